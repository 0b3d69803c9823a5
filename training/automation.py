"""Confidence thresholds a desk can rely on.

Per field (and, for the agency, per mode: from the text only, or with the topic known at intake) the
threshold is the lowest confidence at which the answers at or above it reached the field's target
precision on the **inner** split. The reported split then shows what that threshold gives on data
it was not chosen on; the best coverage on the reported split itself is shown for information only.
"""
from __future__ import annotations

from dataclasses import replace
from typing import Mapping

import numpy as np

from classifier.confidence import ConfidencePolicy
from classifier.model import ModelBundle
from classifier.predict import ComplaintClassifier, threshold_decisions
from classifier.routing_table import RoutingTable
from training.routing_table import routing_table_from

PRECISIONS = (0.90, 0.95, 0.98)
MIN_ROWS = 20  # a threshold is only trusted when at least this many answers reach it
# field → what its answers are scored against (label in model.json's metrics)
MODES = {"topic": ("topic", "text only"), "agency": ("agency", "text only"),
         "agency_known_topic": ("agency", "topic known")}


def answers(y_true: list[str], proba: np.ndarray, classes: list[str],
            thresholds: Mapping[str, float] | None = None) -> tuple[np.ndarray, np.ndarray]:
    """Confidence of each answer (as prediction chooses it) and whether it is right."""
    chosen = threshold_decisions(proba, classes, thresholds)
    confidence = proba[np.arange(len(chosen)), chosen]
    correct = np.array([classes[j] == t for j, t in zip(chosen, y_true)], dtype=bool)
    return confidence, correct


def threshold_for(confidence: np.ndarray, correct: np.ndarray, precision: float,
                  min_rows: int = MIN_ROWS) -> float | None:
    """The lowest threshold whose answers (confidence >= it) are right at least ``precision`` of the
    time, with at least ``min_rows`` of them; None when no threshold gets there."""
    order = np.argsort(-confidence, kind="stable")
    sorted_conf = confidence[order]
    taken = np.arange(1, len(order) + 1)
    reached = (np.cumsum(correct[order]) / taken >= precision) & (taken >= min_rows)
    reached &= np.r_[sorted_conf[1:] != sorted_conf[:-1], True]  # a threshold takes every tie
    if not reached.any():
        return None
    return float(sorted_conf[np.flatnonzero(reached).max()])


def at_threshold(confidence: np.ndarray, correct: np.ndarray, threshold: float | None) -> tuple[float, float]:
    """Coverage and precision of the answers at or above ``threshold`` (None: nothing taken)."""
    taken = confidence >= threshold if threshold is not None else np.zeros(len(confidence), dtype=bool)
    return float(taken.mean()) if len(taken) else 0.0, float(correct[taken].mean()) if taken.any() else float("nan")


def calibrate(policy: ConfidencePolicy, inner: dict[str, tuple[np.ndarray, np.ndarray]],
              split_name: str) -> ConfidencePolicy:
    """``policy`` with the measured ``auto_at`` (``auto_at_known_topic``) of every field that has a
    precision target; a target no threshold reaches gives 1.0 (nothing is automatic)."""
    automation = dict(policy.automation)
    for name, field_policy in policy.automation.items():
        if field_policy.precision is None or name not in inner:
            continue
        measured = {"auto_at": threshold_for(*inner[name], field_policy.precision)}
        if f"{name}_known_topic" in inner:
            measured["auto_at_known_topic"] = threshold_for(*inner[f"{name}_known_topic"], field_policy.precision)
        measured = {key: 1.0 if value is None else value for key, value in measured.items()}
        automation[name] = replace(field_policy, suggest_at=min(field_policy.suggest_at, measured["auto_at"]), **measured)
    return replace(policy, automation=automation, calibrated_on=split_name)


def automation_metrics(policy: ConfidencePolicy, inner: dict[str, tuple[np.ndarray, np.ndarray]],
                       reported: dict[str, tuple[np.ndarray, np.ndarray]]) -> dict:
    """Per field and mode: for each target precision, the threshold chosen on the inner split and what
    it gives on the reported split, next to the best the reported split would allow (information)."""
    out = {}
    for key, (field_name, mode) in MODES.items():
        if key not in reported:
            continue
        field_policy = policy.automation_of(field_name)
        targets = sorted(set(PRECISIONS) | ({field_policy.precision} if field_policy.precision else set()))
        rows = []
        for target in targets:
            chosen = threshold_for(*inner[key], target) if key in inner else None
            coverage, precision = at_threshold(*reported[key], chosen)
            best = threshold_for(*reported[key], target)
            rows.append({"precision_target": target, "threshold_inner": chosen, "coverage": coverage,
                         "precision": precision, "best_coverage_reported": at_threshold(*reported[key], best)[0],
                         "configured": target == field_policy.precision})
        out[key] = {"field": field_name, "mode": mode, "rows": rows}
    return out


def automation_table(figures: dict, policy: ConfidencePolicy, inner_split: str, reported_split: str) -> str:
    """Markdown: coverage at 90 / 95 / 98 % precision per field and mode, and the thresholds in force."""
    lines = ["## Automation: coverage at a target precision", "",
             f"Thresholds are chosen on the inner split ({inner_split}) and applied to the reported split "
             f"({reported_split}). Coverage: share of complaints whose answer reaches the threshold; precision: "
             "share of those that are right. The last column is the coverage the reported split itself would "
             "allow (information only: choosing there would flatter the figure). * = the configured target, "
             "whose threshold is stored in model.json and used by `aduan predict` and the API.", "",
             "| field | mode | target precision | threshold (inner) | coverage | precision | best coverage on reported |",
             "|---|---|---|---|---|---|---|"]
    for figure in figures.values():
        for row in figure["rows"]:
            threshold = "not reached" if row["threshold_inner"] is None else f"{row['threshold_inner']:.3f}"
            lines.append(f"| {figure['field']} | {figure['mode']} | {row['precision_target']:.2f}"
                         f"{' *' if row['configured'] else ''} | {threshold} | {row['coverage']:.3f} | "
                         f"{row['precision']:.3f} | {row['best_coverage_reported']:.3f} |")
    lines += ["", "Policy in force (`confidence` in model.json):", ""]
    for name, field_policy in policy.automation.items():
        known = (f", with the topic known {field_policy.auto_at_known_topic:.3f}"
                 if field_policy.auto_at_known_topic is not None else "")
        target = f" (measured for precision {field_policy.precision:.2f})" if field_policy.precision else ""
        review = (f"review below / auto from {field_policy.auto_at:.3f}{known}{target}" if field_policy.precision
                  else f"auto from {field_policy.auto_at:.3f}, review when the level is low")
        lines.append(f"- {name}: mode `{field_policy.mode}`, {review}"
                     + ("; never sets needs_review (a person chooses)" if field_policy.mode == "recommend" else ""))
    return "\n".join(lines) + "\n"


def desk_figures(normalizer, estimators: dict, routing_table: RoutingTable, policy: ConfidencePolicy,
                 complaints: list, agencies: list[str]) -> dict:
    """What a desk sees on held-out complaints, through ``ComplaintClassifier`` as `aduan predict` runs:
    per mode (text only, topic known), the share flagged ``needs_review``, the share whose agency is
    applied automatically, and how often those automatic agencies are right."""
    model = ComplaintClassifier(ModelBundle(normalizer, estimators, {"routing_table": routing_table.to_dict()}),
                                policy)
    out = {}
    for mode, with_topic in (("text only", False), ("topic known", True)):
        items = [c if with_topic else replace(c, known_topic=None) for c in complaints]
        predictions = model.predict(items)
        auto = np.array([p.agency is not None and p.agency.action == "auto" for p in predictions])
        right = np.array([p.agency is not None and p.agency.label == truth for p, truth in zip(predictions, agencies)])
        out[mode] = {"n": len(items), "needs_review": float(np.mean([p.needs_review for p in predictions])),
                     "agency_auto": float(auto.mean()),
                     "agency_auto_precision": float(right[auto].mean()) if auto.any() else float("nan"),
                     "no_review_agency_precision": float(right[[not p.needs_review for p in predictions]].mean())
                     if not all(p.needs_review for p in predictions) else float("nan")}
    return out


def desk_table(figures: dict, description: str) -> str:
    lines = ["### What a desk sees", "", f"{description}", "",
             "| mode | complaints | needs_review | agency applied automatically | its precision | "
             "agency precision without review |", "|---|---|---|---|---|---|"]
    for mode, f in figures.items():
        lines.append(f"| {mode} | {f['n']} | {f['needs_review']:.3f} | {f['agency_auto']:.3f} | "
                     f"{f['agency_auto_precision']:.3f} | {f['no_review_agency_precision']:.3f} |")
    return "\n".join(lines) + "\n"


def desk_on_held_out(normalizer, policy: ConfidencePolicy, topic_model, topic_data, topic_valid_idx,
                     agency_model, agency_data, agency_train_idx, agency_valid_idx,
                     min_complaints: int) -> tuple[dict, str]:
    """``desk_figures`` on the agency task's validation complaints that the held-out topic model never saw
    (dated from the topic split's first validation day), with a routing table from the training side."""
    first_day = topic_data.dates.iloc[topic_valid_idx].min() if topic_data.dates is not None else None
    rows = [i for i in agency_valid_idx
            if first_day is None or agency_data.dates is None or agency_data.dates.iat[i] >= first_day]
    table = routing_table_from([agency_data.inputs["known_topic"].iat[i] for i in agency_train_idx],
                               [agency_data.original_labels[i] for i in agency_train_idx], min_complaints)
    figures = desk_figures(normalizer, {"topic": topic_model, "agency": agency_model}, table, policy,
                           agency_data.complaints(rows), [agency_data.original_labels[i] for i in rows])
    return figures, desk_table(figures, f"The held-out topic and agency models with the policy in force, through "
                                        f"`ComplaintClassifier.predict`, on {len(rows)} validation complaints of the "
                                        "agency task that the topic model did not learn from. Topic known: each "
                                        "complaint's channel topic is passed as `known_topic` (routing table from "
                                        "the training side).")
