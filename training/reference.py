"""The plain reference every figure is compared with: word TF-IDF + LinearSVC (scikit-learn defaults)
on lower-cased raw text, flat labels (an agency is its exact label: no kelurahan / kecamatan routing).

It is trained and scored on exactly the rows of the configured model's split, so the two figures
differ only by the model.
"""
from __future__ import annotations

from collections import Counter

import numpy as np
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.model_selection import RepeatedStratifiedKFold
from sklearn.pipeline import make_pipeline
from sklearn.svm import LinearSVC

from training.config import TaskConfig
from training.scoring import score_metrics
from training.task_data import TaskData


def plain_reference(texts: list[str], labels: list[str], seed: int):
    """The fitted reference model (``decision_function`` scores, no probabilities)."""
    return make_pipeline(TfidfVectorizer(), LinearSVC(random_state=seed)).fit([t.lower() for t in texts], labels)


def reference_scores(data: TaskData, train_idx, valid_idx, seed: int) -> tuple[list[str], np.ndarray, list[str]]:
    """Exact validation labels, the reference's decision scores and its classes."""
    model = plain_reference([data.texts[i] for i in train_idx], [data.original_labels[i] for i in train_idx], seed)
    scores = model.decision_function([data.texts[i].lower() for i in valid_idx])
    classes = [str(c) for c in model.classes_]
    if scores.ndim == 1:  # two classes: one score column, for the second class
        scores = np.column_stack([-scores, scores])
    return [data.original_labels[i] for i in valid_idx], scores, classes


def reference_metrics(task: TaskConfig, data: TaskData, train_idx, valid_idx, split_name: str, seed: int) -> dict:
    """The reference's figures on the same split (no label thresholds: it has no probabilities)."""
    y_valid, scores, classes = reference_scores(data, train_idx, valid_idx, seed)
    train_counts = Counter(data.original_labels[i] for i in train_idx)
    return {**score_metrics(task, y_valid, scores, classes, train_counts, thresholds={}), "split": split_name}


def reference_cv_metrics(task: TaskConfig, data: TaskData, seed: int, repeats: int | None = None) -> dict:
    """The reference under the same repeated stratified folds as the configured model's cross-validation."""
    labels = np.asarray(data.original_labels, dtype=object)
    repeats = repeats or task.split.cv_repeats
    splitter = RepeatedStratifiedKFold(n_splits=task.split.cv_folds, n_repeats=repeats, random_state=seed)
    y_all, scores_all, classes = [], [], sorted(set(data.original_labels))
    for train_idx, valid_idx in splitter.split(np.zeros(len(labels)), labels):
        y_valid, scores, fold_classes = reference_scores(data, train_idx, valid_idx, seed)
        full = np.full((len(valid_idx), len(classes)), -np.inf)
        full[:, [classes.index(c) for c in fold_classes]] = scores
        y_all += y_valid
        scores_all.append(full)
    metrics = score_metrics(task, y_all, np.vstack(scores_all), classes, Counter(data.original_labels), thresholds={})
    return {**metrics, "split": f"repeated stratified {task.split.cv_folds}-fold cross-validation x {repeats}, "
                                f"pooled (the configured model's folds)"}
