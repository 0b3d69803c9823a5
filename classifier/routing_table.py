"""Topic → default agency table: for deployments with topic labels but no agency labels, and as
the fallback when the agency model is unsure but the topic model is sure.

The table is data, generated from labeled complaints by `aduan routing-table` (most frequent agency
per topic), never written by hand. Local units are stored as their level ("Kelurahan"), which the
agency router resolves to the exact unit from the complaint's location.
"""
from __future__ import annotations

import sys
from dataclasses import dataclass
from pathlib import Path

if sys.version_info >= (3, 11):
    import tomllib
else:  # pragma: no cover
    import tomli as tomllib


@dataclass(frozen=True)
class Route:
    agency: str
    share: float  # share of the topic's complaints that went to this agency
    complaints: int


class RoutingTable:
    def __init__(self, routes: dict[str, Route]):
        self.routes = routes

    def __len__(self) -> int:
        return len(self.routes)

    def get(self, topic: str) -> Route | None:
        return self.routes.get(topic)

    @classmethod
    def load(cls, path: str | Path) -> "RoutingTable":
        data = tomllib.loads(Path(path).read_text(encoding="utf-8"))
        return cls({topic: Route(str(r["agency"]), float(r["share"]), int(r["complaints"]))
                    for topic, r in data.get("topics", {}).items()})

    def to_toml(self, header: str = "") -> str:
        lines = [f"# {line}" for line in header.splitlines()] + [""]
        for topic in sorted(self.routes):
            r = self.routes[topic]
            lines.append(f"[topics.{_quote(topic)}]")
            lines.append(f"agency = {_quote(r.agency)}")
            lines.append(f"share = {r.share:.3f}")
            lines.append(f"complaints = {r.complaints}")
            lines.append("")
        return "\n".join(lines)


def _quote(value: str) -> str:
    return '"' + value.replace("\\", "\\\\").replace('"', '\\"') + '"'
