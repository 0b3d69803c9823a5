"""A task's labeled rows as training reads them, and the splits they are scored on."""
from __future__ import annotations

import hashlib
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import numpy as np
import pandas as pd
from sklearn.model_selection import train_test_split

from classifier.address import TextWithAddress, with_addresses
from classifier.predict import COMPLAINT_FIELDS, Complaint
from classifier.router import agency_level
from training.config import TaskConfig
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

    def with_addresses(self, normalized: list[str]) -> list[TextWithAddress]:
        """The model inputs: each normalized text carrying its reporter's address (classifier/address.py)."""
        return with_addresses(normalized, self.complaints(range(len(normalized))))

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


def inner_split_indices(data: TaskData, task: TaskConfig, train_idx, fraction: float,
                        seed: int) -> tuple[np.ndarray, np.ndarray, str]:
    """The training side split again, for choices: its latest ``fraction`` by date (else a stratified
    part) is where a step, a setting or a threshold is chosen, so the reported split is scored once."""
    train_idx = np.asarray(train_idx)
    if task.split.by_time and data.dates is not None:
        order = train_idx[np.argsort(data.dates.to_numpy()[train_idx], kind="stable")]
        cut = int(round(len(order) * (1 - fraction)))
        dates = data.dates.iloc[order]
        return (order[:cut], order[cut:], f"inner time split: training side before {dates.iloc[cut].date()}, "
                f"choices scored from {dates.iloc[cut].date()} to {dates.iloc[-1].date()}")
    labels = [data.labels[i] for i in train_idx]
    stratify = labels if min(Counter(labels).values()) >= 2 else None
    inner_train, inner_valid = train_test_split(train_idx, test_size=fraction, random_state=seed, stratify=stratify)
    return inner_train, inner_valid, "inner stratified split of the training side"


def seen_in_training(data: TaskData, train_idx, valid_idx) -> np.ndarray:
    """Per validation row: its lower-cased, space-collapsed text also occurs on the training side
    (a resent complaint), which flatters a model that memorizes."""
    def key(i):
        return " ".join(data.texts[i].lower().split())

    seen = {key(i) for i in train_idx}
    return np.array([key(i) in seen for i in valid_idx], dtype=bool)


def uses_cross_validation(task: TaskConfig, data: TaskData) -> bool:
    """Repeated stratified CV (``split.cv_folds``) replaces the single split of a task without dates."""
    dated = task.split.by_time and data.dates is not None
    return task.split.cv_folds >= 2 and not dated and task.router is None



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

