"""Topic → agency table: for deployments with topic labels but no agency labels, as the fallback when
the agency model is unsure but the topic model is sure, and to route a complaint whose topic is
already known (chosen by the reporter or the desk).

The table is data, generated from labeled complaints by `aduan routing-table` (agency counts per
topic), never written by hand. Local units are stored as their level ("Kelurahan"), which the agency
router resolves to the exact unit from the complaint's location.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass, field
from pathlib import Path
from typing import Sequence

import numpy as np

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Route:
    agency: str  # the agency most of the topic's complaints went to
    share: float  # share of the topic's complaints that went to it
    complaints: int
    counts: dict[str, int] = field(default_factory=dict)  # every agency the topic's complaints went to


def _topic_key(topic: str) -> str:
    return " ".join(topic.lower().split())


class RoutingTable:
    def __init__(self, routes: dict[str, Route]):
        self.routes = routes
        # A known topic typed or exported with other case or spacing still finds its route.
        self._by_key = {_topic_key(topic): route for topic, route in routes.items()}

    def __len__(self) -> int:
        return len(self.routes)

    def get(self, topic: str | None) -> Route | None:
        return self._by_key.get(_topic_key(topic)) if topic else None

    def agency_prior(self, topic: str | None, classes: Sequence[str], smoothing: float = 0.1) -> np.ndarray | None:
        """P(agency | topic) over ``classes`` from the counts; None when the topic is not in the table.

        ``smoothing`` pseudo-complaints spread over all classes keep an agency the topic never went
        to possible, so strong text evidence can still win.
        """
        route = self.get(topic)
        if route is None:
            return None
        counts = route.counts or {route.agency: route.share * route.complaints}
        found = np.array([counts.get(c, 0.0) for c in classes], dtype=float)
        return (found + smoothing / len(classes)) / (found.sum() + smoothing)

    @classmethod
    def load(cls, path: str | Path) -> "RoutingTable":
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return cls.from_dict(data.get("topics", {}))

    @classmethod
    def from_dict(cls, routes: dict[str, dict]) -> "RoutingTable":
        """The inverse of :meth:`to_dict` (model.json) and of the ``[topics]`` tables of a TOML file."""
        return cls({topic: Route(str(r["agency"]), float(r["share"]), int(r["complaints"]),
                                 {str(a): int(n) for a, n in (r.get("counts") or {}).items()})
                    for topic, r in routes.items()})

    def to_dict(self) -> dict[str, dict]:
        return {topic: {"agency": r.agency, "share": r.share, "complaints": r.complaints, "counts": dict(r.counts)}
                for topic, r in self.routes.items()}

    def to_toml(self, header: str = "") -> str:
        lines = [f"# {line}" for line in header.splitlines()] + [""]
        for topic in sorted(self.routes):
            r = self.routes[topic]
            lines.append(f"[topics.{_quote(topic)}]")
            lines.append(f"agency = {_quote(r.agency)}")
            lines.append(f"share = {r.share:.3f}")
            lines.append(f"complaints = {r.complaints}")
            if r.counts:
                pairs = ", ".join(f"{_quote(a)} = {n}" for a, n in sorted(r.counts.items(), key=lambda p: -p[1]))
                lines.append(f"counts = {{ {pairs} }}")
            lines.append("")
        return "\n".join(lines)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
