"""Held-out figures particular to agency routing: exact kelurahan / kecamatan units, the local weight
trade-off, and complaints that arrive with their topic known."""
from __future__ import annotations

from collections import Counter

import numpy as np

from classifier.router import AgencyRouter, agency_level
from classifier.routing_table import RoutingTable
from training.evaluate import coverage_table, evaluate
from training.routing_table import routing_table_from
from training.task_data import TaskData


def route_valid(router: AgencyRouter, data: TaskData, texts: list[str], valid_idx,
                routing_table: RoutingTable | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """Exact validation labels, and the router's top-3 confidences as a probability matrix over the
    labels it answered (local levels resolved to units), from the text and location, plus the known
    topic when a ``routing_table`` is given."""
    routed = router.route([texts[i] for i in valid_idx], data.complaints(valid_idx), routing_table=routing_table)
    y_valid = [data.original_labels[i] for i in valid_idx]
    classes = sorted({lab for r in routed for lab in r.labels} | set(y_valid))
    column = {c: j for j, c in enumerate(classes)}
    proba = np.zeros((len(routed), len(classes)))
    for row, r in zip(proba, routed):
        for lab, conf in zip(r.labels, r.confidences):
            row[column[lab]] = max(row[column[lab]], conf)
    return y_valid, proba, classes


def local_unit_metrics(y_true: list[str], proba: np.ndarray, classes: list[str]) -> dict:
    """Exact-match accuracy, and top-3 (what a desk in `recommend` mode sees), on complaints whose true
    agency is one specific kelurahan or kecamatan."""
    column = {c: j for j, c in enumerate(classes)}
    top3 = np.argsort(-proba, axis=1)[:, :3]
    local = [j for j, t in enumerate(y_true) if agency_level(t) != t]
    hits = np.array([top3[j][0] == column.get(y_true[j], -1) for j in local], dtype=bool)
    in_top3 = np.array([column.get(y_true[j], -1) in top3[j] for j in local], dtype=bool)
    return {"n_local_units": len(local),
            "local_unit_accuracy": float(hits.mean()) if local else 0.0,
            "local_unit_top3_accuracy": float(in_top3.mean()) if local else 0.0}


def known_topic_metrics(router: AgencyRouter, data: TaskData, texts: list[str], train_idx, valid_idx,
                        train_counts: Counter, frequent_min: int,
                        min_complaints: int) -> tuple[dict, tuple[list[str], np.ndarray, list[str]]]:
    """Held-out figures (and the answers behind them) for complaints that arrive with their topic,
    routed through a routing table built from the training side only."""
    table = routing_table_from([data.inputs["known_topic"].iat[i] for i in train_idx],
                               [data.original_labels[i] for i in train_idx], min_complaints)
    y_valid, proba, classes = route_valid(router, data, texts, valid_idx, table)
    metrics = evaluate(y_valid, proba, classes, train_counts, frequent_min)
    metrics.update(local_unit_metrics(y_valid, proba, classes))
    metrics["valid_topics_in_table"] = float(np.mean([table.get(data.inputs["known_topic"].iat[i]) is not None
                                                      for i in valid_idx]))
    metrics["coverage"] = coverage_table(y_valid, proba, classes, thresholds=(0.5, 0.7, 0.8, 0.9, 0.95, 0.97))
    return metrics, (y_valid, proba, classes)


def known_topic_table(metrics: dict) -> str:
    """Markdown: text-only figures next to those with the topic known at intake."""
    known = metrics["with_known_topic"]
    rows = [("frequent-agency accuracy", "frequent_accuracy"), ("frequent top-3", "frequent_top3_accuracy"),
            ("exact local unit", "local_unit_accuracy"), ("local unit in top-3", "local_unit_top3_accuracy"),
            ("overall accuracy", "accuracy")]
    lines = ["### With the topic known at intake", "",
             "Complaints that arrive with a topic (chosen by the reporter or the desk: `known_topic`) are routed "
             "with P(agency | topic) from a routing table built from the training side, times the text model's "
             f"probabilities. {known['valid_topics_in_table']:.1%} of the validation complaints have a topic in "
             f"that table; the others are routed from their text. Split: {metrics['split']}.", "",
             "| metric | text only | topic known |", "|---|---|---|"]
    lines += [f"| {title} | {metrics[key]:.3f} | {known[key]:.3f} |" for title, key in rows]
    lines += ["", "Agency confidence with the topic known: coverage vs accuracy", "",
              "| threshold | coverage | accuracy |", "|---|---|---|"]
    lines += [f"| {row['threshold']:.2f} | {row['coverage']:.3f} | {row['accuracy']:.3f} |" for row in known["coverage"]]
    return "\n".join(lines) + "\n"


def local_weight_table(router: AgencyRouter, data: TaskData, texts: list[str], valid_idx, train_counts: Counter,
                       frequent_min: int, split_name: str, weights=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0)) -> str:
    """Markdown: city-agency vs local-unit accuracy for each `router.local_weight` a desk may choose."""
    lines = [f"### Local weight: city agencies vs kelurahan / kecamatan ({split_name})", "",
             f"Current `local_weight` = {router.local_weight}"
             + (", with the local-or-city model" if router.local_model is not None else "")
             + ". Choose it on the inner split; the reported split's table is for information.", "",
             "| local_weight | frequent-agency accuracy | frequent top-3 | exact local unit | overall accuracy |",
             "|---|---|---|---|---|"]
    for weight in weights:
        candidate = AgencyRouter(router.level_model, router.gazetteer, router.unit_labels, weight, router.local_model)
        y_valid, proba, classes = route_valid(candidate, data, texts, valid_idx)
        m = {**evaluate(y_valid, proba, classes, train_counts, frequent_min), **local_unit_metrics(y_valid, proba, classes)}
        lines.append(f"| {weight} | {m['frequent_accuracy']:.3f} | {m['frequent_top3_accuracy']:.3f} | "
                     f"{m['local_unit_accuracy']:.3f} | {m['accuracy']:.3f} |")
    return "\n".join(lines) + "\n"
