"""Train every task of a config, evaluate it on a held-out split and save a model bundle.

The pieces live next door: ``task_data`` (rows and splits), ``scoring`` (fit on one side, score on the
other), ``strict_eval`` (inner split, plain reference, ablation) and ``automation`` (thresholds).
"""
from __future__ import annotations

import platform
import sys
import time
from collections import Counter
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import sklearn

from classifier.drift import vocabulary_of
from classifier.language import load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.model import ModelBundle
from classifier.routing_table import RoutingTable
from classifier.text import TextConfig, TextNormalizer
from training.automation import answers, automation_metrics, automation_table, calibrate, desk_on_held_out
from training.config import RoutingTableConfig, TrainingConfig
from training.readers import DataError
from training.routing_table import build_routing_table
from training.language_slices import language_slices
from training.scoring import Scored, cross_validated, fit_model, report_section, score_split
from training.sealed_test import load_sealed, with_estimate
from training.strict_eval import evaluate_strictly, optimistic_note
from training.task_data import (ExtraRows, TaskData, load_task_data, split_indices, uses_cross_validation,
                                validation_fingerprint)
# Other modules (evaluation scripts, retraining) import these from here.
from training.scoring import fit_task  # noqa: E402,F401


def routing_table_metadata(config: RoutingTableConfig | None, data_dir: Path) -> dict | None:
    if config is None:
        return None
    if config.source:
        table = build_routing_table(data_dir / config.source, config.topic, config.agency, config.min_complaints)
    else:
        try:
            table = RoutingTable.load(config.file)
        except FileNotFoundError:
            raise DataError(f"routing_table.file: {config.file} not found (write it with `aduan routing-table`)") from None
    return table.to_dict()


class Normalizers:
    """One fitted normalizer per text configuration (the ablation switches text steps), each with a
    cache: a text is normalized once per configuration."""

    def __init__(self, data_dir: Path):
        self.resources = {"slang": load_slang_lexicon(data_dir), "stopwords": load_stopwords(data_dir),
                          "language": load_language_identifier(data_dir)}
        self._normalizers: dict[TextConfig, tuple[TextNormalizer, dict[str, str]]] = {}

    def normalizer(self, text: TextConfig) -> TextNormalizer:
        if text not in self._normalizers:
            self._normalizers[text] = (TextNormalizer(text, **self.resources), {})
        return self._normalizers[text][0]

    def normalize(self, text: TextConfig, texts: list[str]) -> list[str]:
        normalizer, cache = self.normalizer(text), self._normalizers[text][1]
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        cache.update(zip(missing, normalizer.transform(missing)))
        return [cache[t] for t in texts]


def field_answers(name: str, scored: Scored, thresholds) -> dict[str, tuple[np.ndarray, np.ndarray]]:
    """(confidence, correct) of a task's answers per automation field and mode (see training.automation)."""
    out = {}
    if name in ("topic", "agency"):
        out[name] = answers(scored.y_true, scored.proba, scored.classes, thresholds)
    if name == "agency" and scored.known_topic is not None:
        out["agency_known_topic"] = answers(*scored.known_topic)
    return out


def split_names(by_task: dict[str, str]) -> str:
    """One description when every task used the same split, else one per task."""
    if len(set(by_task.values())) == 1:
        return next(iter(by_task.values()))
    return "; ".join(f"{task}: {name}" for task, name in by_task.items())


def train(config: TrainingConfig, data_dir: Path, output_dir: Path | None = None,
          log: Callable[[str], None] = print, extra_training: dict[str, list[tuple]] | None = None,
          retired: dict[str, set[str]] | None = None) -> Path:
    """Train all tasks of ``config`` and write a model directory; return its path.

    ``extra_training`` (task → (text, label) or (text, label, sample weight) rows, e.g. reviewed
    complaints) joins the training side only: the held-out figures stay on the base data's validation
    rows, so models trained with and without it are scored on the same rows (``valid_sha256`` in
    model.json identifies them). ``retired`` (task → exact labels, e.g. topics that no longer occur):
    base rows with these labels are not learned, but stay among the validation rows, so the held-out
    figures show what forgetting them costs.
    """
    started = time.perf_counter()
    np.random.seed(config.seed)
    normalizers = Normalizers(data_dir)

    def normalize(texts: list[str]) -> list[str]:
        return normalizers.normalize(config.text, texts)

    estimators, task_meta, reports, all_files = {}, {}, [], {}
    vocabulary = None
    inner_answers, reported_answers, splits_used, held = {}, {}, {}, {}
    # Sealed test sets are read first: a missing one fails before any training.
    sealed_sets = {name: load_sealed(name, task, data_dir, load_task_data) for name, task in config.tasks.items()}
    for name, task in config.tasks.items():
        t0 = time.perf_counter()
        data = load_task_data(task, data_dir)
        log(f"[{name}] {data.summary}")

        def inputs_for(text: TextConfig, data: TaskData = data) -> list[str]:
            return data.with_addresses(normalizers.normalize(text, data.texts))

        texts = inputs_for(config.text)
        by_cv = uses_cross_validation(task, data)
        # Cross-validation scores every row out of fold: all rows are validation rows.
        train_idx, valid_idx, split_name = ((np.arange(0), np.arange(len(texts)), "") if by_cv
                                            else split_indices(data, task, config.seed))
        extra = ExtraRows.of(task, (extra_training or {}).get(name, []), normalize, {texts[i] for i in valid_idx})
        if extra.texts:
            log(f"[{name}] {extra.summary(data.original_labels)}")
        gone = frozenset((retired or {}).get(name, ()))
        scored = (cross_validated(task, data, texts, config.seed, extra) if by_cv else
                  score_split(task, data, texts, train_idx, valid_idx, split_name, data_dir, config.seed, extra,
                              config.routing_table, gone, unseen=config.evaluation.unseen, local_weights=True))
        metrics = scored.metrics
        note = optimistic_note(config.evaluation, name)
        if note:
            metrics["estimate"] = note.replace("**", "")
        strict = evaluate_strictly(name, task, config.text, data, texts, inputs_for, scored, train_idx, valid_idx,
                                   by_cv, config.evaluation, config.routing_table, gone, data_dir, config.seed, log)
        metrics.update(strict.metrics)
        reports.append(report_section(name, task, data, scored, note) + "".join("\n" + s for s in strict.sections))
        metrics["by_language"], section = language_slices(task, data, scored, normalizers.resources["language"])
        reports[-1] += "\n" + section
        reported_answers.update(field_answers(name, scored, task.label_thresholds))
        if strict.inner is not None:
            inner_answers.update(field_answers(name, strict.inner, task.label_thresholds))
            splits_used[name] = (strict.inner.metrics["split"], split_name)
            held[name] = (scored.estimator, data, train_idx, valid_idx)
        # The shipped model learns from every row; the figures above come from the held-out split.
        kept = [i for i, label in enumerate(data.original_labels) if label not in gone]
        estimators[name] = fit_model(task, [texts[i] for i in kept] + extra.texts,
                                     [data.labels[i] for i in kept] + extra.labels, config.seed,
                                     data.original_labels + extra.original_labels, data_dir,
                                     [1.0] * len(kept) + extra.weights)
        if sealed_sets[name] is not None:  # the estimate: the final model scored once on labels nothing was chosen on
            metrics, reports[-1] = with_estimate(name, task, metrics, reports[-1], estimators[name], sealed_sets[name],
                                                 inputs_for(config.text, sealed_sets[name]), texts, log)
        learned = [data.original_labels[i] for i in kept] + extra.original_labels
        task_meta[name] = {"labels": sorted(set(learned)), "metrics": metrics,
                           "label_counts": dict(sorted(Counter(learned).items())),  # the drift report's reference
                           "data": data.summary, "n_train": len(data.texts), "n_extra": len(extra.texts),
                           "valid_sha256": validation_fingerprint(data, valid_idx),
                           "label_thresholds": dict(task.label_thresholds),
                           **({"retired_labels": sorted(gone)} if gone else {}),
                           "seconds": round(time.perf_counter() - t0, 1)}
        all_files.update(data.files)
        if name != "sentiment" and vocabulary is None:  # the complaints' words and phrases, for the drift report
            vocabulary = vocabulary_of(texts)
        log(f"[{name}] {metrics['split']}: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}, "
            f"top-3 {metrics['top3_accuracy']:.3f}, frequent accuracy {metrics['frequent_accuracy']:.3f}, "
            f"frequent macro-F1 {metrics['frequent_macro_f1']:.3f} ({task_meta[name]['seconds']} s)")

    inner_names, reported_names = (split_names({task: names[k] for task, names in splits_used.items()}) for k in (0, 1))
    policy = calibrate(config.confidence, inner_answers, inner_names)
    automation = automation_metrics(policy, inner_answers, reported_answers)
    if automation:
        reports.append(automation_table(automation, policy, inner_names, reported_names))
    desk = None
    if {"topic", "agency"} <= set(held) and held["agency"][1].has_known_topics:
        (topic_model, topic_data, _, topic_valid), agency = held["topic"], held["agency"]
        desk, section = desk_on_held_out(
            normalizers.normalizer(config.text), policy, topic_model, topic_data, topic_valid, *agency,
            config.routing_table.min_complaints if config.routing_table else 1)
        reports.append(section)

    created = datetime.now(timezone.utc)
    version = created.strftime("%Y%m%dT%H%M%SZ")
    parent = Path(output_dir or config.output_dir)
    if (parent / version).exists():  # two runs in one second: never overwrite a registered version
        version = created.strftime("%Y%m%dT%H%M%S%fZ")
    metadata = {
        "version": version,
        "created_at": created.isoformat(),
        "training_seconds": round(time.perf_counter() - started, 1),
        "libraries": {"python": platform.python_version(), "scikit-learn": sklearn.__version__,
                      "numpy": np.__version__, "pandas": pd.__version__,
                      # present only when a transformer task was trained
                      **{m: sys.modules[m].__version__ for m in ("torch", "transformers") if m in sys.modules}},
        "config": config.to_dict(),
        "confidence": policy.to_dict(),  # the configured policy with the thresholds measured above
        "automation": {"fields": automation, "desk": desk},  # report.md: "Automation"
        "data_files": all_files,
        "routing_table": routing_table_metadata(config.routing_table, data_dir),
        "tasks": task_meta,
        "vocabulary": vocabulary,
    }
    bundle = ModelBundle(normalizers.normalizer(config.text), estimators, metadata)
    target = parent / version
    bundle.save(target)
    (target / "report.md").write_text(f"# aduan model {version}\n\n" + "\n".join(reports), encoding="utf-8")
    log(f"model written to {target} in {metadata['training_seconds']} s")
    return target
