"""Build the topic → agency routing table from labeled complaints."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path
from typing import Iterable

from classifier.router import agency_level
from classifier.routing_table import Route, RoutingTable
from training.readers import DataError, read_table, require_columns


def routing_table_from(topics: Iterable[str], agencies: Iterable[str], min_complaints: int = 1) -> RoutingTable:
    """Agency counts (local units as their level) for each topic with ``min_complaints`` or more."""
    counts: dict[str, Counter] = defaultdict(Counter)
    for topic, agency in zip(topics, agencies):
        topic, agency = (topic or "").strip(), (agency or "").strip()
        if topic and agency:
            counts[topic][agency_level(agency)] += 1
    routes = {}
    for topic, found in counts.items():
        total = sum(found.values())
        if total >= min_complaints:
            agency, n = found.most_common(1)[0]
            routes[topic] = Route(agency, n / total, total, dict(found))
    return RoutingTable(routes)


def build_routing_table(path: Path, topic_col: str, agency_col: str, min_complaints: int = 1) -> RoutingTable:
    """The routing table of a labeled complaints file."""
    frame = read_table(path)
    require_columns(frame, [topic_col, agency_col], path)
    table = routing_table_from(frame[topic_col].fillna("").astype(str), frame[agency_col].fillna("").astype(str),
                               min_complaints)
    if not table.routes:
        raise DataError(f"{path}: no topic has {min_complaints} or more complaints with an agency")
    return table
