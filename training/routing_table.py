"""Build the topic → agency routing table from labeled complaints."""
from __future__ import annotations

from collections import Counter, defaultdict
from pathlib import Path

from classifier.router import agency_level
from classifier.routing_table import Route, RoutingTable
from training.readers import DataError, read_table, require_columns


def build_routing_table(path: Path, topic_col: str, agency_col: str, min_complaints: int = 5) -> RoutingTable:
    """Most frequent agency (local units as their level) for each topic with enough complaints."""
    frame = read_table(path)
    require_columns(frame, [topic_col, agency_col], path)
    counts: dict[str, Counter] = defaultdict(Counter)
    for topic, agency in zip(frame[topic_col].str.strip(), frame[agency_col].str.strip()):
        if topic and agency:
            counts[topic][agency_level(agency)] += 1
    routes = {}
    for topic, agencies in counts.items():
        total = sum(agencies.values())
        if total >= min_complaints:
            agency, n = agencies.most_common(1)[0]
            routes[topic] = Route(agency, n / total, total)
    if not routes:
        raise DataError(f"{path}: no topic has {min_complaints} or more complaints with an agency")
    return RoutingTable(routes)
