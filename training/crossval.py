"""Repeated stratified cross-validation, for tasks whose data has no date to split by.

On a few hundred labeled rows a single held-out split is too noisy to choose a model or a
threshold by. Here every row is scored out of fold, ``repeats`` times with a different fold
assignment each time; figures are pooled over the repeats, and their spread across repeats is
reported next to them.
"""
from __future__ import annotations

from dataclasses import dataclass
from typing import Callable, Mapping, Sequence

import numpy as np
from sklearn.metrics import confusion_matrix, f1_score, precision_recall_fscore_support
from sklearn.model_selection import RepeatedStratifiedKFold

from classifier.predict import threshold_decisions

THRESHOLD_GRID = (0.1, 0.15, 0.2, 0.25, 0.3, 0.35, 0.4, 0.5, 0.6, 0.7)


@dataclass
class CrossValidation:
    classes: list[str]
    y_true: list[str]
    probas: list[np.ndarray]  # per repeat: out-of-fold probabilities, one column per class
    folds: int
    thresholds: dict[str, float]

    @property
    def repeats(self) -> int:
        return len(self.probas)

    @property
    def split_name(self) -> str:
        return f"repeated stratified {self.folds}-fold cross-validation x {self.repeats}"

    def pooled(self) -> tuple[list[str], np.ndarray]:
        """Labels and probabilities of every repeat stacked: one row per (repeat, complaint)."""
        return self.y_true * self.repeats, np.vstack(self.probas)

    def predictions(self, thresholds: Mapping[str, float] | None = None) -> list[list[str]]:
        thresholds = self.thresholds if thresholds is None else thresholds
        return [[self.classes[j] for j in threshold_decisions(p, self.classes, thresholds)] for p in self.probas]

    def spread(self) -> dict:
        """Mean and standard deviation across repeats of macro-F1 and of each label's recall."""
        macro, recalls = [], []
        for y_pred in self.predictions():
            macro.append(f1_score(self.y_true, y_pred, labels=self.classes, average="macro", zero_division=0))
            recalls.append(precision_recall_fscore_support(self.y_true, y_pred, labels=self.classes,
                                                           zero_division=0)[1])
        recalls = np.array(recalls)
        return {"macro_f1_mean": float(np.mean(macro)), "macro_f1_std": float(np.std(macro)),
                "recall": {c: {"mean": float(recalls[:, j].mean()), "std": float(recalls[:, j].std())}
                           for j, c in enumerate(self.classes)}}

    def confusion(self) -> np.ndarray:
        """Mean confusion matrix over the repeats (rows: true label, columns: predicted)."""
        return np.mean([confusion_matrix(self.y_true, y_pred, labels=self.classes)
                        for y_pred in self.predictions()], axis=0)

    def threshold_table(self, label: str, grid: Sequence[float] = THRESHOLD_GRID) -> list[dict]:
        """Precision and recall of ``label`` (and macro-F1) when it is predicted at each threshold."""
        rows = []
        for t in grid:
            predictions = self.predictions({**self.thresholds, label: t})
            scores = [precision_recall_fscore_support(self.y_true, y_pred, labels=[label], zero_division=0)
                      for y_pred in predictions]
            rows.append({"threshold": t,
                         "precision": float(np.mean([s[0][0] for s in scores])),
                         "recall": float(np.mean([s[1][0] for s in scores])),
                         "flagged": float(np.mean([np.mean(np.asarray(p) == label) for p in predictions])),
                         "macro_f1": float(np.mean([f1_score(self.y_true, p, labels=self.classes, average="macro",
                                                             zero_division=0) for p in predictions]))})
        return rows

    def metrics(self) -> dict:
        """The cross-validation figures stored in model.json (next to the pooled held-out metrics)."""
        confusion = self.confusion()
        return {"cv_folds": self.folds, "cv_repeats": self.repeats, **self.spread(),
                "confusion_matrix": {"labels": self.classes, "mean_counts": confusion.round(1).tolist()},
                "label_thresholds": dict(self.thresholds),
                "threshold_tradeoff": {label: self.threshold_table(label) for label in self.thresholds}}

    def markdown(self) -> str:
        spread = self.spread()
        lines = ["### Cross-validation", "",
                 f"{self.split_name}: macro-F1 {spread['macro_f1_mean']:.3f} ± {spread['macro_f1_std']:.3f} "
                 f"across repeats" + (f", with label thresholds {self.thresholds}" if self.thresholds else "")
                 + ".", "", "| label | recall (mean ± std over repeats) |", "|---|---|"]
        for c in self.classes:
            lines.append(f"| {c} | {spread['recall'][c]['mean']:.3f} ± {spread['recall'][c]['std']:.3f} |")
        confusion = self.confusion()
        lines += ["", "Confusion matrix (mean counts per repeat; rows: true label, columns: predicted):", "",
                  "| true \\ predicted | " + " | ".join(self.classes) + " |",
                  "|---" * (len(self.classes) + 1) + "|"]
        for c, row in zip(self.classes, confusion):
            lines.append(f"| {c} | " + " | ".join(f"{v:.1f}" for v in row) + " |")
        for label in self.thresholds:
            lines += ["", f"#### Threshold for {label}: precision vs recall", "",
                      f"Predict {label} when its probability reaches the threshold "
                      f"(configured: {self.thresholds[label]}).", "",
                      f"| threshold | {label} precision | {label} recall | share predicted {label} | macro-F1 |",
                      "|---|---|---|---|---|"]
            for row in self.threshold_table(label):
                lines.append(f"| {row['threshold']:.2f} | {row['precision']:.3f} | {row['recall']:.3f} | "
                             f"{row['flagged']:.3f} | {row['macro_f1']:.3f} |")
        return "\n".join(lines) + "\n"


def cross_validate(fit: Callable[[list[str], list[str]], object], texts: Sequence[str], labels: Sequence[str],
                   folds: int, repeats: int, seed: int,
                   thresholds: Mapping[str, float] | None = None) -> CrossValidation:
    """Out-of-fold probabilities of ``fit(train_texts, train_labels)`` for every row, ``repeats`` times."""
    classes = sorted(set(labels))
    texts, labels = list(texts), list(labels)
    y = np.asarray(labels, dtype=object)
    probas = [np.zeros((len(texts), len(classes))) for _ in range(repeats)]
    splitter = RepeatedStratifiedKFold(n_splits=folds, n_repeats=repeats, random_state=seed)
    for k, (train_idx, test_idx) in enumerate(splitter.split(np.zeros(len(y)), y)):
        estimator = fit([texts[i] for i in train_idx], [labels[i] for i in train_idx])
        proba = estimator.predict_proba([texts[i] for i in test_idx])
        columns = [classes.index(str(c)) for c in estimator.classes_]
        probas[k // folds][np.ix_(test_idx, columns)] = proba
    return CrossValidation(classes, labels, probas, folds, dict(thresholds or {}))
