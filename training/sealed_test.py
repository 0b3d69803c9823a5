"""Scoring on labeled complaints that nothing was chosen on: a task's ``sealed_test``.

Cross-validated figures of a model whose hand-written rules were written while reading its
training examples flatter it. A sealed test set is labeled by the same guideline but never read
while writing rules or choosing settings; `aduan train` scores the final model on it once and
reports that figure as the task's estimate. The same figures score any held-out labels file
(``python -m training.urgency_eval --score-on``).
"""
from __future__ import annotations

from typing import Mapping, Sequence

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from classifier.predict import threshold_decisions
from training.readers import DataError

BOOTSTRAP_SAMPLES = 1000


def scores_on_labels(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str],
                 thresholds: Mapping[str, float] | None = None, positive: str = "tinggi", seed: int = 0) -> dict:
    """n, macro-F1, per-class precision / recall, the ``positive`` label's precision and recall, and
    bootstrap 95 % intervals (on a few hundred rows a figure moves by several points by chance)."""
    classes = list(classes)
    unknown = sorted(set(y_true) - set(classes))
    if unknown:
        raise DataError(f"test labels {unknown} are not among the model's labels {classes}")
    y_true = np.asarray(y_true, dtype=object)
    y_pred = np.asarray([classes[j] for j in threshold_decisions(proba, classes, thresholds)], dtype=object)
    p, r, f, s = precision_recall_fscore_support(y_true, y_pred, labels=classes, zero_division=0)
    metrics = {"n": int(len(y_true)),
               "macro_f1": float(f1_score(y_true, y_pred, labels=classes, average="macro", zero_division=0)),
               "accuracy": float(np.mean(y_true == y_pred)),
               "per_class": {c: {"precision": float(p[j]), "recall": float(r[j]), "f1": float(f[j]),
                                 "support": int(s[j])} for j, c in enumerate(classes)},
               "label_thresholds": dict(thresholds or {})}
    rng = np.random.default_rng(seed)
    macro, recall = [], []
    for _ in range(BOOTSTRAP_SAMPLES):
        sample = rng.integers(0, len(y_true), len(y_true))
        macro.append(f1_score(y_true[sample], y_pred[sample], labels=classes, average="macro", zero_division=0))
        if positive in classes:
            recall.append(precision_recall_fscore_support(y_true[sample], y_pred[sample], labels=[positive],
                                                          zero_division=0)[1][0])
    metrics["macro_f1_ci95"] = [float(v) for v in np.percentile(macro, [2.5, 97.5])]
    if positive in classes:
        metrics.update({f"{positive}_precision": metrics["per_class"][positive]["precision"],
                        f"{positive}_recall": metrics["per_class"][positive]["recall"],
                        f"{positive}_recall_ci95": [float(v) for v in np.percentile(recall, [2.5, 97.5])]})
    return metrics


def scores_markdown(title: str, metrics: dict, positive: str = "tinggi") -> str:
    """A report section: the headline figures with their intervals, then precision and recall per label."""
    headline = (f"{metrics['n']} complaints: macro-F1 {metrics['macro_f1']:.3f} "
                f"(95 % bootstrap interval {metrics['macro_f1_ci95'][0]:.3f}–{metrics['macro_f1_ci95'][1]:.3f})")
    if f"{positive}_recall" in metrics:
        low, high = metrics[f"{positive}_recall_ci95"]
        headline += (f", {positive} recall {metrics[f'{positive}_recall']:.3f} ({low:.3f}–{high:.3f}) at precision "
                     f"{metrics[f'{positive}_precision']:.3f}")
    lines = [title, "", headline + (f"; label thresholds {metrics['label_thresholds']}."
                                    if metrics["label_thresholds"] else "."), "",
             "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, row in metrics["per_class"].items():
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |")
    return "\n".join(lines) + "\n"
