"""Held-out metrics and the markdown report of a task."""
from __future__ import annotations

from collections import Counter
from typing import Mapping

import numpy as np
from sklearn.metrics import accuracy_score, f1_score, precision_recall_fscore_support

from classifier.predict import threshold_decisions


def top_k_accuracy(y_true, proba: np.ndarray, classes: list[str], k: int) -> float:
    index = {c: i for i, c in enumerate(classes)}
    top = np.argsort(-proba, axis=1)[:, :k]
    hits = [index.get(t, -1) in row for t, row in zip(y_true, top)]
    return float(np.mean(hits)) if hits else 0.0


def evaluate(y_true: list[str], proba: np.ndarray, classes: list[str], train_counts: Counter,
             frequent_min: int, thresholds: Mapping[str, float] | None = None) -> dict:
    """Accuracy, macro-F1, top-k and the same figures restricted to frequent labels.

    "Frequent" labels have at least ``frequent_min`` training rows: the product targets are
    stated on them, and the long tail is reported separately rather than hidden. ``thresholds``:
    the task's label thresholds, applied as prediction applies them.
    """
    y_pred = [classes[i] for i in threshold_decisions(proba, classes, thresholds)]
    frequent = sorted(lab for lab, n in train_counts.items() if n >= frequent_min)
    freq_mask = np.array([t in set(frequent) for t in y_true])
    y_true_arr, y_pred_arr = np.array(y_true, dtype=object), np.array(y_pred, dtype=object)
    metrics = {
        "n_valid": len(y_true),
        "accuracy": float(accuracy_score(y_true, y_pred)),
        "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0)),
        "top3_accuracy": top_k_accuracy(y_true, proba, classes, 3),
        "frequent_min": frequent_min,
        "n_frequent_labels": len(frequent),
        "frequent_accuracy": float(np.mean(y_true_arr[freq_mask] == y_pred_arr[freq_mask])) if freq_mask.any() else 0.0,
        "frequent_top3_accuracy": top_k_accuracy(list(y_true_arr[freq_mask]), proba[freq_mask], classes, 3)
        if freq_mask.any() else 0.0,
        "frequent_macro_f1": float(f1_score(y_true, y_pred, labels=frequent, average="macro", zero_division=0))
        if frequent else 0.0,
    }
    return metrics


def coverage_table(y_true: list[str], proba: np.ndarray, classes: list[str],
                   thresholds=(0.3, 0.4, 0.5, 0.6, 0.7, 0.8, 0.9)) -> list[dict]:
    """For each confidence threshold: share of complaints at or above it and their accuracy."""
    confidence = proba.max(axis=1)
    correct = np.array([classes[i] == t for i, t in zip(proba.argmax(axis=1), y_true)])
    rows = []
    for t in thresholds:
        mask = confidence >= t
        rows.append({"threshold": t, "coverage": float(mask.mean()),
                     "accuracy": float(correct[mask].mean()) if mask.any() else float("nan")})
    return rows


def markdown_report(task: str, metrics: dict, y_true: list[str], proba: np.ndarray, classes: list[str],
                    data_summary: str, top_confusions: int = 15,
                    thresholds: Mapping[str, float] | None = None, note: str = "") -> str:
    """The task's section of report.md; ``note`` (e.g. why its figures are optimistic) follows the data line."""
    y_pred = [classes[i] for i in threshold_decisions(proba, classes, thresholds)]
    labels = sorted(set(y_true) | set(y_pred))
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=labels, zero_division=0)
    lines = [f"## {task}", "", f"Data: {data_summary}", "", *([note, ""] if note else []),
             f"Held-out ({metrics['split']}, {metrics['n_valid']} complaints): "
             f"accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}, "
             f"top-3 accuracy {metrics['top3_accuracy']:.3f}; on the {metrics['n_frequent_labels']} labels with "
             f">= {metrics['frequent_min']} training rows: accuracy {metrics['frequent_accuracy']:.3f}, "
             f"top-3 {metrics['frequent_top3_accuracy']:.3f}, macro-F1 {metrics['frequent_macro_f1']:.3f}.", "",
             "### Confidence threshold: coverage vs accuracy", "",
             "| threshold | coverage | accuracy |", "|---|---|---|"]
    for row in coverage_table(y_true, proba, classes):
        lines.append(f"| {row['threshold']:.2f} | {row['coverage']:.3f} | {row['accuracy']:.3f} |")
    lines += ["", "### Per class", "", "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for i in np.argsort(-s):
        if s[i] == 0:
            continue
        lines.append(f"| {labels[i]} | {p[i]:.2f} | {r[i]:.2f} | {f[i]:.2f} | {s[i]} |")
    confusions = Counter((t, q) for t, q in zip(y_true, y_pred) if t != q)
    lines += ["", "### Most confused pairs", "", "| true | predicted | count |", "|---|---|---|"]
    for (t, q), n in confusions.most_common(top_confusions):
        lines.append(f"| {t} | {q} | {n} |")
    return "\n".join(lines) + "\n"
