"""Fit a task's model on one side of a split and score it on the other."""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np

from classifier.compact import compact_for_prediction
from classifier.gazetteer import Gazetteer
from classifier.router import LOCAL_LEVELS, AgencyRouter, agency_level
from classifier.routing_table import RoutingTable
from training.agency_eval import (known_topic_metrics, known_topic_table, local_unit_metrics, local_weight_table,
                                  route_valid)
from training.config import RoutingTableConfig, TaskConfig
from training.crossval import cross_validate
from training.evaluate import evaluate, markdown_report
from training.pipeline import build_pipeline
from training.task_data import ExtraRows, TaskData, seen_in_training

NO_EXTRA = ExtraRows([], [], [], [], [])


def fit_task(task: TaskConfig, texts: list[str], labels: list, seed: int,
             sample_weight: list[float] | None = None):
    """Fit on labels that have enough rows for the calibration folds; the rest cannot be learned.

    ``sample_weight`` (one per row, e.g. recency weights of reviewed complaints) reaches the linear
    classifier; the transformer kind ignores it.
    """
    if task.model.kind == "transformer":  # no calibration folds: every label is learned
        from training.transformer_train import fine_tune  # torch is needed only for this kind

        return fine_tune(texts, labels, task.model, seed)
    counts = Counter(labels)
    keep = [i for i, lab in enumerate(labels) if counts[lab] >= task.model.calibration_folds]
    estimator = build_pipeline(task.features, task.model, seed)
    fit_params = {}
    if sample_weight is not None and any(w != 1.0 for w in sample_weight):
        fit_params["classifier__sample_weight"] = np.asarray([sample_weight[i] for i in keep], dtype=float)
    estimator.fit([texts[i] for i in keep], [labels[i] for i in keep], **fit_params)
    return compact_for_prediction(estimator)


def fit_local_model(task: TaskConfig, texts: list[str], labels: list[str], seed: int,
                    sample_weight: list[float] | None = None):
    """The calibrated local-or-city model of a router with ``local_model`` on (classes False / True);
    None when it is off or one side has too few rows to calibrate."""
    if task.router is None or not task.router.local_model:
        return None
    is_local = [label in LOCAL_LEVELS for label in labels]
    if min(Counter(is_local).get(side, 0) for side in (False, True)) < task.model.calibration_folds:
        return None
    return fit_task(task, texts, is_local, seed, sample_weight)


def fit_model(task: TaskConfig, texts: list[str], labels: list[str], seed: int, unit_labels: list[str],
              data_dir: Path, sample_weight: list[float] | None = None):
    """The task's estimator; for an agency task with a router, the fitted level model (and local-or-city
    model) wrapped in its router, which spells units as ``unit_labels`` do."""
    estimator = fit_task(task, texts, labels, seed, sample_weight)
    if task.router is None:
        return estimator
    gazetteer = Gazetteer.from_lookups(data_dir / task.router.kelurahan_table, data_dir / task.router.kecamatan_table)
    return AgencyRouter(estimator, gazetteer, AgencyRouter.unit_labels_from(unit_labels), task.router.local_weight,
                        fit_local_model(task, texts, labels, seed, sample_weight))


@dataclass
class Scored:
    """A model fitted on the training side of a split, and its answers on the validation rows."""

    estimator: object
    y_true: list[str]
    proba: np.ndarray
    classes: list[str]
    metrics: dict
    valid_idx: np.ndarray
    # agency with the topic known at intake (routing table from the training side): y, proba, classes
    known_topic: tuple[list[str], np.ndarray, list[str]] | None = None
    extra_sections: list[str] = field(default_factory=list)


def predict_valid(estimator, data: TaskData, texts: list[str], valid_idx,
                  routing_table: RoutingTable | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """Validation labels, probabilities and classes; a router is scored on the exact unit labels, from
    the text and location only unless a ``routing_table`` brings in the complaints' known topics."""
    if isinstance(estimator, AgencyRouter):
        return route_valid(estimator, data, texts, valid_idx, routing_table)
    return ([data.labels[i] for i in valid_idx], estimator.predict_proba([texts[i] for i in valid_idx]),
            list(estimator.classes_))


def score_metrics(task: TaskConfig, y_true: list[str], proba: np.ndarray, classes: list[str],
                  train_counts: Counter, thresholds=None) -> dict:
    """The task's held-out figures; exact kelurahan / kecamatan figures when the labels have local units."""
    metrics = evaluate(y_true, proba, classes, train_counts, task.frequent_min,
                       task.label_thresholds if thresholds is None else thresholds)
    if any(agency_level(t) != t for t in y_true):
        metrics.update(local_unit_metrics(y_true, proba, classes))
    return metrics


def score_split(task: TaskConfig, data: TaskData, texts: list[str], train_idx, valid_idx, split_name: str,
                data_dir: Path, seed: int, extra: ExtraRows = NO_EXTRA, routing: RoutingTableConfig | None = None,
                retired: frozenset[str] = frozenset(), unseen: bool = False, local_weights: bool = False) -> Scored:
    """Fit on ``train_idx`` (plus the extra rows), score on ``valid_idx``.

    With a ``routing`` table configured and known topics in the data, the agency router is also
    scored on complaints that arrive with their topic, as the shipped model would route them.
    Training rows whose exact label is ``retired`` are not learned; the validation rows stay.
    ``unseen``: the figures again without validation rows whose text also occurs on the training side.
    ``local_weights``: a router's report gets the local-weight trade-off table.
    """
    fit_idx = [i for i in train_idx if data.original_labels[i] not in retired]
    estimator = fit_model(task, [texts[i] for i in fit_idx] + extra.held_out_texts,
                          [data.labels[i] for i in fit_idx] + extra.held_out_labels, seed,
                          data.original_labels + extra.original_labels, data_dir,
                          [1.0] * len(fit_idx) + extra.held_out_weights)
    y_valid, proba, classes = predict_valid(estimator, data, texts, valid_idx)
    # Base rows only: extra rows must not change which labels count as frequent (comparable metrics).
    train_counts = Counter(data.original_labels[i] for i in train_idx)
    metrics = {**score_metrics(task, y_valid, proba, classes, train_counts), "split": split_name}
    scored = Scored(estimator, y_valid, proba, classes, metrics, np.asarray(valid_idx))
    if unseen:
        seen = seen_in_training(data, train_idx, valid_idx)
        keep = np.flatnonzero(~seen)
        metrics["unseen"] = {**score_metrics(task, [y_valid[j] for j in keep], proba[keep], classes, train_counts),
                             "n_seen_in_training": int(seen.sum()),
                             "split": f"{split_name}, without the {int(seen.sum())} complaints whose lower-cased "
                                      "text also occurs on the training side"}
    if isinstance(estimator, AgencyRouter):
        if local_weights:
            scored.extra_sections.append(local_weight_table(estimator, data, texts, valid_idx, train_counts,
                                                            task.frequent_min, split_name))
        if routing is not None and data.has_known_topics:
            metrics["with_known_topic"], scored.known_topic = known_topic_metrics(
                estimator, data, texts, train_idx, valid_idx, train_counts, task.frequent_min,
                routing.min_complaints)
            scored.extra_sections.append(known_topic_table(metrics))
    return scored


def report_section(name: str, task: TaskConfig, data: TaskData, scored: Scored, note: str = "") -> str:
    """The task's section of report.md: figures, coverage, per-class table, confusions, router tables."""
    report = markdown_report(name, scored.metrics, scored.y_true, scored.proba, scored.classes, data.summary,
                             thresholds=task.label_thresholds, note=note)
    unseen = scored.metrics.get("unseen")
    if unseen:
        report += (f"\nWithout the {unseen['n_seen_in_training']} validation complaints whose lower-cased text "
                   f"also occurs on the training side ({unseen['n_valid']} left): accuracy {unseen['accuracy']:.3f}, "
                   f"macro-F1 {unseen['macro_f1']:.3f}, frequent accuracy {unseen['frequent_accuracy']:.3f}, "
                   f"frequent macro-F1 {unseen['frequent_macro_f1']:.3f}"
                   + (f", exact local unit {unseen['local_unit_accuracy']:.3f}" if "local_unit_accuracy" in unseen
                      else "") + ".\n")
    return report + "".join("\n" + section for section in scored.extra_sections)


def cross_validated(task: TaskConfig, data: TaskData, texts: list[str], seed: int, extra: ExtraRows = NO_EXTRA,
                    repeats: int | None = None) -> Scored:
    """Out-of-fold predictions of every row (``repeats`` times, default the task's); extra rows join every
    training fold. Its ``cv`` attribute holds the fold-level figures."""
    cv = cross_validate(lambda t, y: fit_task(task, t + extra.held_out_texts, y + extra.held_out_labels, seed,
                                              [1.0] * len(y) + extra.held_out_weights),
                        texts, data.labels, task.split.cv_folds, repeats or task.split.cv_repeats, seed,
                        task.label_thresholds)
    y_valid, proba = cv.pooled()
    metrics = score_metrics(task, y_valid, proba, cv.classes, Counter(data.labels))
    metrics.update(cv.metrics(), split=f"{cv.split_name}, pooled: each row counted once per repeat",
                   n_valid=len(texts))
    scored = Scored(None, y_valid, proba, cv.classes, metrics, np.arange(len(texts)))
    scored.extra_sections.append(cv.markdown())
    return scored
