"""Scores for `aduan retrain`: production and candidate on the newest reviewed complaints, and the
plain reference (word TF-IDF + LinearSVC on lower-cased raw text, the baseline the product targets
are stated against: training.baseline) trained on the same training rows, on both slices."""
from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass

from sklearn.metrics import accuracy_score, f1_score

from classifier.predict import ComplaintClassifier
from training.config import TaskConfig
from training.evaluate import evaluate
from training.reference import plain_reference
from training.reviews import ReviewedExample
from training.train import TaskData, split_indices, uses_cross_validation

SLICE_METRICS = ("accuracy", "macro_f1")
PREDICTED_TASKS = ("topic", "agency", "urgency")  # what ComplaintClassifier.predict answers


@dataclass(frozen=True)
class SliceScores:
    """One task on the newest slice: ``n`` examples; metrics per model (production None: no such task)."""

    n: int
    production: dict[str, float] | None
    candidate: dict[str, float]
    reference: dict[str, float] | None = None


def slice_metrics(y_true: list[str], y_pred: list[str]) -> dict[str, float]:
    return {"accuracy": float(accuracy_score(y_true, y_pred)),
            "macro_f1": float(f1_score(y_true, y_pred, average="macro", zero_division=0))}


def predicted_labels(model: ComplaintClassifier, examples: list[ReviewedExample]) -> dict[tuple[str, str], str]:
    """(complaint id, task) → the model's label, predicting each complaint once with its form fields."""
    complaints = {e.complaint_id: e.complaint() for e in examples}
    ids = list(complaints)
    out = {}
    for complaint_id, prediction in zip(ids, model.predict([complaints[c] for c in ids])):
        for task in PREDICTED_TASKS:
            answer = getattr(prediction, task)
            if answer is not None:
                out[(complaint_id, task)] = answer.label
    return out


def reference_on(texts: list[str], labels: list[str], seed: int):
    """training.reference's plain reference fitted on these rows; None when they hold fewer than two labels."""
    return plain_reference(texts, labels, seed) if len(set(labels)) >= 2 else None


def score_newest(newest: list[ReviewedExample], production: ComplaintClassifier | None,
                 candidate: ComplaintClassifier, references: dict[str, object]) -> dict[str, SliceScores]:
    """Per task of the candidate: production, candidate and reference on the newest slice."""
    by_task: dict[str, list[ReviewedExample]] = defaultdict(list)
    for e in newest:
        if e.task in candidate.tasks and e.task in PREDICTED_TASKS:
            by_task[e.task].append(e)
    cand = predicted_labels(candidate, newest)
    prod = predicted_labels(production, newest) if production is not None else {}
    scores = {}
    for task, rows in by_task.items():
        truth = [e.label for e in rows]
        reference = references.get(task)
        scores[task] = SliceScores(
            len(rows),
            slice_metrics(truth, [prod[(e.complaint_id, task)] for e in rows])
            if production is not None and task in production.tasks else None,
            slice_metrics(truth, [cand[(e.complaint_id, task)] for e in rows]),
            slice_metrics(truth, list(reference.predict([e.text.lower() for e in rows]))) if reference else None)
    return scores


def base_reference(task: TaskConfig, data: TaskData, older: list[ReviewedExample], retired: set[str], seed: int,
                   metric: str) -> float | None:
    """The reference's ``metric`` on the base data's held-out split, trained on the candidate's training
    side there (base training rows, less retired labels, plus the older reviewed complaints). None for
    tasks scored by cross-validation."""
    if uses_cross_validation(task, data):
        return None
    train_idx, valid_idx, _ = split_indices(data, task, seed)
    valid_texts = {data.texts[i] for i in valid_idx}
    fit = [i for i in train_idx if data.original_labels[i] not in retired]
    extra = [e for e in older if e.text not in valid_texts]
    model = reference_on([data.texts[i] for i in fit] + [e.text for e in extra],
                            [data.original_labels[i] for i in fit] + [e.label for e in extra], seed)
    if model is None:
        return None
    y_valid = [data.original_labels[i] for i in valid_idx]
    scores = model.decision_function([data.texts[i].lower() for i in valid_idx])
    counts = defaultdict(int)
    for i in train_idx:
        counts[data.original_labels[i]] += 1
    metrics = evaluate(y_valid, scores, list(model.classes_), counts, task.frequent_min)
    return metrics.get(metric)


def newest_reference(data: TaskData, older: list[ReviewedExample], retired: set[str], seed: int):
    """The reference trained as the candidate's shipped model is: every base row (less retired labels)
    plus the older reviewed complaints; it is scored on the newest slice."""
    fit = [i for i, label in enumerate(data.original_labels) if label not in retired]
    return reference_on([data.texts[i] for i in fit] + [e.text for e in older],
                        [data.original_labels[i] for i in fit] + [e.label for e in older], seed)
