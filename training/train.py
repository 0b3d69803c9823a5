"""Train every task of a config, evaluate it on a held-out split and save a model bundle."""
from __future__ import annotations

import hashlib
import json
import platform
import sys
import time
from collections import Counter
from dataclasses import dataclass, field
from datetime import datetime, timezone
from pathlib import Path
from typing import Callable

import numpy as np
import pandas as pd
import sklearn
from sklearn.model_selection import train_test_split

from classifier.language import load_language_identifier
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.compact import compact_for_prediction
from classifier.gazetteer import Gazetteer
from classifier.model import ModelBundle
from classifier.predict import COMPLAINT_FIELDS, Complaint
from classifier.router import AgencyRouter, agency_level
from classifier.routing_table import RoutingTable
from training.routing_table import build_routing_table, routing_table_from
from classifier.text import TextNormalizer
from training.config import RoutingTableConfig, TaskConfig, TrainingConfig
from training.crossval import cross_validate
from training.evaluate import coverage_table, evaluate, markdown_report
from training.pipeline import build_pipeline
from training.readers import DataError, clean_labeled, join_labels, read_table, require_columns


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for chunk in iter(lambda: fh.read(1 << 20), b""):
            digest.update(chunk)
    return digest.hexdigest()


# Form fields a complaint may carry besides its text
INPUT_FIELDS = tuple(f for f in COMPLAINT_FIELDS if f != "text")


@dataclass
class TaskData:
    texts: list[str]
    labels: list[str]  # what the model learns: for a routed agency task, the level ("Kelurahan")
    dates: pd.Series | None
    summary: str
    files: dict[str, str]  # relative path → sha256
    original_labels: list[str]  # the exact training labels ("Kelurahan Ujung")
    inputs: pd.DataFrame  # INPUT_FIELDS ("" when the source has none)
    valid_mask: np.ndarray | None = None  # rows from the task's valid_sources, when it has some

    def complaints(self, index) -> list[Complaint]:
        return [Complaint(self.texts[i], **{f: self.inputs[f].iat[i] for f in INPUT_FIELDS}) for i in index]

    @property
    def has_known_topics(self) -> bool:
        return bool((self.inputs["known_topic"] != "").any())


def load_task_data(task: TaskConfig, data_dir: Path) -> TaskData:
    """Read and concatenate a task's sources into (text, label, date), then clean them."""
    frames, files = [], {}
    for number, source in enumerate(task.sources + task.valid_sources):
        path = data_dir / source.path
        frame = read_table(path, header=source.header, delimiter=source.delimiter)
        if source.labels:  # texts from the data dir, labels from an ids + labels file
            frame = join_labels(frame, path, read_table(source.labels), source.labels, source.id, source.label)
            files[source.labels] = sha256_file(Path(source.labels))
        inputs = {f: getattr(source, f) for f in INPUT_FIELDS if getattr(source, f)}
        wanted = [source.text, source.label] + ([source.date] if source.date else []) + list(inputs.values())
        require_columns(frame, wanted, path)
        part = pd.DataFrame({"text": frame[source.text].fillna("").astype(str),
                             "label": frame[source.label].fillna("").astype(str).str.strip()})
        if source.label_map:
            part["label"] = part["label"].map(lambda v: source.label_map.get(v, ""))
        part["original_label"] = part["label"]
        if task.router is not None:
            part["label"] = part["label"].map(agency_level)
        part["date"] = pd.to_datetime(frame[source.date], errors="coerce") if source.date else pd.NaT
        for f in INPUT_FIELDS:
            part[f] = frame[inputs[f]].fillna("").astype(str).str.strip() if f in inputs else ""
        part["valid"] = number >= len(task.sources)  # duplicates keep the training copy: sources come first
        frames.append(part)
        files[source.path] = sha256_file(path)
    frame, report = clean_labeled(pd.concat(frames, ignore_index=True), "text", "label",
                                  task.min_examples, task.rare_labels)
    if frame.empty:
        raise DataError(f"no usable rows for this task after cleaning ({report.summary()})")
    dates = frame["date"] if frame["date"].notna().all() else None
    return TaskData(frame["text"].tolist(), frame["label"].tolist(), dates, report.summary(), files,
                    frame["original_label"].tolist(), frame[list(INPUT_FIELDS)].reset_index(drop=True),
                    frame["valid"].to_numpy(bool) if task.valid_sources else None)


def split_indices(data: TaskData, task: TaskConfig, seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The task's valid_sources when it has some, else the latest ``valid_fraction`` by date when
    dates exist, else a stratified random split."""
    if data.valid_mask is not None:
        if not data.valid_mask.any():
            raise DataError(f"valid_sources: no usable validation rows in {[s.path for s in task.valid_sources]}")
        return (np.flatnonzero(~data.valid_mask), np.flatnonzero(data.valid_mask),
                "validation sources: " + ", ".join(s.path for s in task.valid_sources))
    n = len(data.texts)
    if task.split.by_time and data.dates is not None:
        order = np.argsort(data.dates.to_numpy(), kind="stable")
        cut = int(round(n * (1 - task.split.valid_fraction)))
        start = data.dates.iloc[order[cut]].date()
        return order[:cut], order[cut:], f"time split, validation from {start}"
    counts = Counter(data.labels)
    stratify = data.labels if min(counts.values()) >= 2 else None
    train_idx, valid_idx = train_test_split(np.arange(n), test_size=task.split.valid_fraction,
                                            random_state=seed, stratify=stratify)
    return train_idx, valid_idx, "stratified random split"


def fit_task(task: TaskConfig, texts: list[str], labels: list[str], seed: int,
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


def with_router(estimator, task: TaskConfig, data: TaskData, extra: "ExtraRows", data_dir: Path):
    """The fitted level model wrapped in its task's agency router; other estimators unchanged."""
    if task.router is None:
        return estimator
    gazetteer = Gazetteer.from_lookups(data_dir / task.router.kelurahan_table, data_dir / task.router.kecamatan_table)
    unit_labels = AgencyRouter.unit_labels_from(data.original_labels + extra.original_labels)
    return AgencyRouter(estimator, gazetteer, unit_labels, task.router.local_weight)


def held_out(name: str, task: TaskConfig, data: TaskData, texts: list[str], train_idx, valid_idx, split_name: str,
             extra: "ExtraRows", data_dir: Path, seed: int,
             routing: RoutingTableConfig | None = None, retired: frozenset[str] = frozenset()) -> tuple[dict, str]:
    """Metrics and report section of a model fitted on the training side and scored on the validation rows.

    With a ``routing`` table configured and known topics in the data, the agency router is also
    scored on complaints that arrive with their topic, as the shipped model would route them.
    Training rows whose exact label is ``retired`` are not learned; the validation rows stay.
    """
    fit_idx = [i for i in train_idx if data.original_labels[i] not in retired]
    y_train = [data.labels[i] for i in fit_idx]
    estimator = fit_task(task, [texts[i] for i in fit_idx] + extra.held_out_texts,
                         y_train + extra.held_out_labels, seed, [1.0] * len(y_train) + extra.held_out_weights)
    estimator = with_router(estimator, task, data, extra, data_dir)
    y_valid, proba, classes = predict_valid(estimator, data, texts, valid_idx)
    # Base rows only: extra rows must not change which labels count as frequent (comparable metrics).
    train_counts = Counter(data.original_labels[i] for i in train_idx)
    metrics = evaluate(y_valid, proba, classes, train_counts, task.frequent_min, task.label_thresholds)
    metrics["split"] = split_name
    if task.router is not None:
        metrics.update(local_unit_metrics(y_valid, proba, classes))
    report = markdown_report(name, metrics, y_valid, proba, classes, data.summary, thresholds=task.label_thresholds)
    if task.router is not None:
        report += "\n" + local_weight_table(estimator, data, texts, valid_idx, train_counts, task.frequent_min)
    if task.router is not None and routing is not None and data.has_known_topics:
        metrics["with_known_topic"] = known_topic_metrics(estimator, data, texts, train_idx, valid_idx, train_counts,
                                                          task.frequent_min, routing.min_complaints)
        report += "\n" + known_topic_table(metrics)
    return metrics, report


def uses_cross_validation(task: TaskConfig, data: TaskData) -> bool:
    """Repeated stratified CV (``split.cv_folds``) replaces the single split of a task without dates."""
    dated = task.split.by_time and data.dates is not None
    return task.split.cv_folds >= 2 and not dated and task.router is None


def cross_validated(name: str, task: TaskConfig, data: TaskData, texts: list[str], extra: "ExtraRows",
                    seed: int) -> tuple[dict, str]:
    """Metrics and report section from out-of-fold predictions; extra rows join every training fold."""
    cv = cross_validate(lambda t, y: fit_task(task, t + extra.held_out_texts, y + extra.held_out_labels, seed,
                                              [1.0] * len(y) + extra.held_out_weights),
                        texts, data.labels, task.split.cv_folds, task.split.cv_repeats, seed, task.label_thresholds)
    y_valid, proba = cv.pooled()
    metrics = evaluate(y_valid, proba, cv.classes, Counter(data.labels), task.frequent_min, task.label_thresholds)
    metrics.update(cv.metrics(), split=f"{cv.split_name}, pooled: each row counted once per repeat",
                   n_valid=len(texts))
    report = markdown_report(name, metrics, y_valid, proba, cv.classes, data.summary,
                             thresholds=task.label_thresholds)
    return metrics, report + "\n" + cv.markdown()


def predict_valid(estimator, data: TaskData, texts: list[str], valid_idx,
                  routing_table: RoutingTable | None = None) -> tuple[list[str], np.ndarray, list[str]]:
    """Validation labels, probabilities and classes; a router is scored on the exact unit labels, from
    the text and location only unless a ``routing_table`` brings in the complaints' known topics."""
    valid_texts = [texts[i] for i in valid_idx]
    if not isinstance(estimator, AgencyRouter):
        return [data.labels[i] for i in valid_idx], estimator.predict_proba(valid_texts), list(estimator.classes_)
    routed = estimator.route(valid_texts, data.complaints(valid_idx), routing_table=routing_table)
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
                        train_counts: Counter, frequent_min: int, min_complaints: int) -> dict:
    """Held-out figures for complaints that arrive with their topic, routed through a routing table
    built from the training side only."""
    table = routing_table_from([data.inputs["known_topic"].iat[i] for i in train_idx],
                               [data.original_labels[i] for i in train_idx], min_complaints)
    y_valid, proba, classes = predict_valid(router, data, texts, valid_idx, routing_table=table)
    metrics = evaluate(y_valid, proba, classes, train_counts, frequent_min)
    metrics.update(local_unit_metrics(y_valid, proba, classes))
    metrics["valid_topics_in_table"] = float(np.mean([table.get(data.inputs["known_topic"].iat[i]) is not None
                                                      for i in valid_idx]))
    metrics["coverage"] = coverage_table(y_valid, proba, classes, thresholds=(0.5, 0.7, 0.8, 0.9, 0.95, 0.97))
    return metrics


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
             "that table; the others are routed from their text.", "",
             "| metric | text only | topic known |", "|---|---|---|"]
    lines += [f"| {title} | {metrics[key]:.3f} | {known[key]:.3f} |" for title, key in rows]
    lines += ["", "Agency confidence with the topic known: coverage vs accuracy", "",
              "| threshold | coverage | accuracy |", "|---|---|---|"]
    lines += [f"| {row['threshold']:.2f} | {row['coverage']:.3f} | {row['accuracy']:.3f} |" for row in known["coverage"]]
    return "\n".join(lines) + "\n"


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


def local_weight_table(router: AgencyRouter, data: TaskData, texts: list[str], valid_idx, train_counts: Counter,
                       frequent_min: int, weights=(0.5, 0.75, 1.0, 1.5, 2.0, 3.0)) -> str:
    """Markdown: city-agency vs local-unit accuracy for each `router.local_weight` a desk may choose."""
    lines = ["### Local weight: city agencies vs kelurahan / kecamatan", "",
             f"Current `local_weight` = {router.local_weight}.", "",
             "| local_weight | frequent-agency accuracy | frequent top-3 | exact local unit | overall accuracy |",
             "|---|---|---|---|---|"]
    for weight in weights:
        candidate = AgencyRouter(router.level_model, router.gazetteer, router.unit_labels, weight)
        y_valid, proba, classes = predict_valid(candidate, data, texts, valid_idx)
        m = {**evaluate(y_valid, proba, classes, train_counts, frequent_min), **local_unit_metrics(y_valid, proba, classes)}
        lines.append(f"| {weight} | {m['frequent_accuracy']:.3f} | {m['frequent_top3_accuracy']:.3f} | "
                     f"{m['local_unit_accuracy']:.3f} | {m['accuracy']:.3f} |")
    return "\n".join(lines) + "\n"


@dataclass
class ExtraRows:
    """Rows added to a task's training side; ``held_out_*`` leaves out texts equal to a validation text."""

    texts: list[str]  # normalized
    labels: list[str]  # what the model learns (the level for a routed agency task)
    original_labels: list[str]
    held_out_texts: list[str]
    held_out_labels: list[str]
    weights: list[float] = field(default_factory=list)  # sample weight per row (the base rows weigh 1)
    held_out_weights: list[float] = field(default_factory=list)

    @classmethod
    def of(cls, task: TaskConfig, rows: list[tuple], normalize, valid_texts: set[str]) -> "ExtraRows":
        """``rows``: (text, label) or (text, label, sample weight)."""
        rows = [(row[0], row[1].strip(), float(row[2]) if len(row) > 2 else 1.0)
                for row in rows if row[0].strip() and row[1].strip()]
        texts = normalize([text for text, _, _ in rows])
        original = [label for _, label, _ in rows]
        weights = [weight for _, _, weight in rows]
        labels = [agency_level(lab) for lab in original] if task.router is not None else original
        # Learning a validation text's label before scoring it would flatter the model.
        kept = [j for j, t in enumerate(texts) if t not in valid_texts]
        return cls(texts, labels, original, [texts[j] for j in kept], [labels[j] for j in kept], weights,
                   [weights[j] for j in kept])

    def summary(self, base_labels: list[str]) -> str:
        known = set(base_labels)
        new = sum(lab not in known for lab in self.original_labels)
        return (f"{len(self.texts)} extra training rows ({len(self.texts) - len(self.held_out_texts)} equal to a "
                f"validation text: used for the final model only; {new} with a label the base data lacks)")


def validation_fingerprint(data: TaskData, valid_idx) -> str:
    """sha256 of the validation rows (text, label): equal fingerprints mean comparable held-out figures."""
    rows = [[data.texts[i], data.original_labels[i]] for i in valid_idx]
    return hashlib.sha256(json.dumps(rows, ensure_ascii=False).encode("utf-8")).hexdigest()


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
    normalizer = TextNormalizer(config.text, slang=load_slang_lexicon(data_dir), stopwords=load_stopwords(data_dir),
                                language=load_language_identifier(data_dir))
    cache: dict[str, str] = {}

    def normalize(texts: list[str]) -> list[str]:
        missing = [t for t in dict.fromkeys(texts) if t not in cache]
        cache.update(zip(missing, normalizer.transform(missing)))
        return [cache[t] for t in texts]

    estimators, task_meta, reports, all_files = {}, {}, [], {}
    for name, task in config.tasks.items():
        t0 = time.perf_counter()
        data = load_task_data(task, data_dir)
        log(f"[{name}] {data.summary}")
        texts = normalize(data.texts)
        by_cv = uses_cross_validation(task, data)
        # Cross-validation scores every row out of fold: all rows are validation rows.
        train_idx, valid_idx, split_name = ((np.arange(0), np.arange(len(texts)), "") if by_cv
                                            else split_indices(data, task, config.seed))
        extra = ExtraRows.of(task, (extra_training or {}).get(name, []), normalize, {texts[i] for i in valid_idx})
        if extra.texts:
            log(f"[{name}] {extra.summary(data.original_labels)}")
        gone = frozenset((retired or {}).get(name, ()))
        metrics, report = (cross_validated(name, task, data, texts, extra, config.seed) if by_cv else
                           held_out(name, task, data, texts, train_idx, valid_idx, split_name, extra, data_dir,
                                    config.seed, config.routing_table, gone))
        reports.append(report)
        # The shipped model learns from every row; the figures above come from the held-out split.
        kept = [i for i, label in enumerate(data.original_labels) if label not in gone]
        final = fit_task(task, [texts[i] for i in kept] + extra.texts, [data.labels[i] for i in kept] + extra.labels,
                         config.seed, [1.0] * len(kept) + extra.weights)
        estimators[name] = with_router(final, task, data, extra, data_dir)
        learned = [data.original_labels[i] for i in kept] + extra.original_labels
        task_meta[name] = {"labels": sorted(set(learned)), "metrics": metrics,
                           "data": data.summary, "n_train": len(data.texts), "n_extra": len(extra.texts),
                           "valid_sha256": validation_fingerprint(data, valid_idx),
                           "label_thresholds": dict(task.label_thresholds),
                           **({"retired_labels": sorted(gone)} if gone else {}),
                           "seconds": round(time.perf_counter() - t0, 1)}
        all_files.update(data.files)
        log(f"[{name}] {metrics['split']}: accuracy {metrics['accuracy']:.3f}, macro-F1 {metrics['macro_f1']:.3f}, "
            f"top-3 {metrics['top3_accuracy']:.3f}, frequent accuracy {metrics['frequent_accuracy']:.3f}, "
            f"frequent macro-F1 {metrics['frequent_macro_f1']:.3f} ({task_meta[name]['seconds']} s)")

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
        "data_files": all_files,
        "routing_table": routing_table_metadata(config.routing_table, data_dir),
        "tasks": task_meta,
    }
    bundle = ModelBundle(normalizer, estimators, metadata)
    target = parent / version
    bundle.save(target)
    (target / "report.md").write_text(f"# aduan model {version}\n\n" + "\n".join(reports), encoding="utf-8")
    log(f"model written to {target} in {metadata['training_seconds']} s")
    return target
