"""Scoring on labeled complaints that nothing was chosen on: a task's ``sealed_test``.

Cross-validated figures of a model whose hand-written rules were written while reading its
training examples flatter it. A sealed test set is labeled by the same guideline but never read
while writing rules or choosing settings; `aduan train` scores the final model on it once and
reports that figure as the task's estimate. The same figures score any held-out labels file
(``python -m training.urgency_eval --score-on``).
"""
from __future__ import annotations

from dataclasses import replace
from pathlib import Path
from typing import Callable, Mapping, Sequence

import numpy as np
from sklearn.metrics import f1_score, precision_recall_fscore_support

from classifier.predict import threshold_decisions
from training.config import TaskConfig
from training.readers import DataError

BOOTSTRAP_SAMPLES = 1000


def load_sealed(name: str, task: TaskConfig, data_dir: Path, load: Callable):
    """The task's sealed test rows (``load`` is training.task_data.load_task_data), or None when none is
    configured. Read before any training, so that a missing file fails at once."""
    if task.sealed_test is None:
        return None
    sealed = replace(task, sources=[task.sealed_test], valid_sources=[], rare_labels="keep", min_examples=1)
    try:
        return load(sealed, data_dir)
    except DataError as exc:
        raise DataError(f"tasks.{name}.sealed_test: {exc} (labels kept for the final scoring only; "
                        f"remove sealed_test from the config to train without them)") from None


def with_estimate(name: str, task: TaskConfig, metrics: dict, report: str, estimator, sealed,
                  sealed_inputs: Sequence[str], training_inputs: Sequence[str],
                  log: Callable[[str], None] = print) -> tuple[dict, str]:
    """The task's metrics and report section with the sealed-test figures of the final model (``sealed``
    from :func:`load_sealed`, ``sealed_inputs`` its model inputs) as the task's estimate."""
    seen = set(training_inputs)
    keep = [i for i, text in enumerate(sealed_inputs) if text not in seen]  # never score a training example
    try:
        if not keep:
            raise DataError(f"all {len(sealed_inputs)} complaints are also training complaints")
        scores = scores_on_labels([sealed.labels[i] for i in keep],
                                  estimator.predict_proba([sealed_inputs[i] for i in keep]),
                                  list(estimator.classes_), task.label_thresholds)
    except DataError as exc:
        raise DataError(f"tasks.{name}.sealed_test: {exc}") from None
    scores.update(source=task.sealed_test.labels or task.sealed_test.path, data=sealed.summary,
                  equal_to_a_training_text=len(sealed_inputs) - len(keep))
    metrics["sealed_test"] = scores
    title = f"### Estimate: sealed test set ({Path(scores['source']).name}, scored once)"
    section = (scores_markdown(title, scores) + "\nThis is the task's estimate: the final model, scored once on labels "
               "that no rule or setting was chosen on. The figures below come from the training labels.")
    log(f"[{name}] sealed test: {headline(scores)}")
    heading, rest = report.split("\n\n", 1)
    return metrics, f"{heading}\n\n{section}\n\n{rest}"


def scores_on_labels(y_true: Sequence[str], proba: np.ndarray, classes: Sequence[str],
                     thresholds: Mapping[str, float] | None = None, positive: str = "tinggi", seed: int = 0) -> dict:
    """n, macro-F1, per-class precision / recall, the ``positive`` label's precision and recall, and
    bootstrap 95 % intervals (on a few hundred rows a figure moves by several points by chance)."""
    classes = list(classes)
    unknown = sorted(set(y_true) - set(classes))
    if unknown:
        raise DataError(f"label(s) {unknown} are not among the model's labels {classes}")
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


def headline(metrics: dict, positive: str = "tinggi") -> str:
    """One line: n, macro-F1 and the ``positive`` label's recall and precision, with their intervals."""
    line = (f"{metrics['n']} complaints: macro-F1 {metrics['macro_f1']:.3f} "
            f"(95 % bootstrap interval {metrics['macro_f1_ci95'][0]:.3f}–{metrics['macro_f1_ci95'][1]:.3f})")
    if f"{positive}_recall" in metrics:
        low, high = metrics[f"{positive}_recall_ci95"]
        line += (f", {positive} recall {metrics[f'{positive}_recall']:.3f} ({low:.3f}–{high:.3f}) at precision "
                 f"{metrics[f'{positive}_precision']:.3f}")
    return line + (f"; label thresholds {metrics['label_thresholds']}." if metrics["label_thresholds"] else ".")


def scores_markdown(title: str, metrics: dict, positive: str = "tinggi") -> str:
    """A report section: the headline figures with their intervals, then precision and recall per label."""
    lines = [title, "", headline(metrics, positive), "",
             "| label | precision | recall | F1 | support |", "|---|---|---|---|---|"]
    for label, row in metrics["per_class"].items():
        lines.append(f"| {label} | {row['precision']:.3f} | {row['recall']:.3f} | {row['f1']:.3f} | {row['support']} |")
    return "\n".join(lines) + "\n"
