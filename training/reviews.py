"""Reviewed complaints as training examples: which labels may be learned, how much each example
weighs, which base labels retire, and which complaints are held out as the newest slice.

Every function here is pure (lists in, lists out): `aduan retrain` reads the feedback store
(aduan/reviews.py) and ``training.retrain`` decides with these.
"""
from __future__ import annotations

from collections import Counter, defaultdict
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Iterable

from classifier.labels import LabelSet, label_problem
from training.config import RetrainConfig

KINDS = ("correct", "accept", "unchanged")  # a desk's correction, explicit accept, prediction left as it was


@dataclass(frozen=True)
class ReviewedExample:
    """One field of one reviewed complaint: its masked text and form fields, and the reviewed label."""

    complaint_id: str  # the prediction id: the fields of one complaint stay together
    task: str
    text: str
    label: str
    kind: str
    at: datetime  # when the complaint arrived (the prediction's time): the order of the newest slice
    new_label: bool = False  # the desk flagged the label as new
    alamat: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None
    known_topic: str | None = None

    def complaint(self) -> dict:
        return {"text": self.text, "alamat": self.alamat, "kecamatan": self.kecamatan,
                "kelurahan": self.kelurahan, "known_topic": self.known_topic}


@dataclass(frozen=True)
class Dropped:
    task: str
    label: str | None  # None when the label itself must not be shown (markup, personal data)
    reason: str
    count: int

    def line(self) -> str:
        shown = "" if self.label is None else f" of {self.label!r}"
        return f"dropped {self.count} {self.task} example(s){shown}: {self.reason}"


def screen(examples: Iterable[ReviewedExample], known: dict[str, LabelSet], allow_new_labels: bool,
           min_examples: int) -> tuple[list[ReviewedExample], list[Dropped]]:
    """The examples that may be learned, spelled as the known labels spell them, and what was dropped.

    Dropped: labels that are no labels (markup, personal data: older stores accepted anything), tasks
    the config does not train, labels outside ``known`` unless ``allow_new_labels``, and new labels with
    fewer than ``min_examples`` examples.
    """
    kept, dropped = [], Counter()
    new: dict[tuple[str, str], list[ReviewedExample]] = defaultdict(list)
    for example in examples:
        if example.task not in known:
            dropped[(example.task, None, "this config trains no such task")] += 1
            continue
        canonical = known[example.task].canonical(example.label)
        if canonical is not None and label_problem(canonical, known=True) is None:
            kept.append(example if canonical == example.label else _relabel(example, canonical))
        elif (problem := label_problem(example.label)) is not None:
            dropped[(example.task, None, f"not a label ({problem})")] += 1
        elif not allow_new_labels:
            flagged = "flagged new by the desk, " if example.new_label else ""
            dropped[(example.task, example.label,
                     f"{flagged}never seen by the production model (allow with --allow-new-labels)")] += 1
        else:
            new[(example.task, " ".join(example.label.split()))].append(example)
    for (task, label), rows in new.items():
        if len(rows) >= min_examples:
            kept += [_relabel(r, label) for r in rows]
        else:
            dropped[(task, label, f"new label with {len(rows)} example(s), fewer than [retrain] min_examples "
                                  f"{min_examples}")] += len(rows)
    return kept, [Dropped(task, label, reason, n) for (task, label, reason), n in sorted(
        dropped.items(), key=lambda item: (item[0][0], -item[1], str(item[0][1])))]


def _relabel(example: ReviewedExample, label: str) -> ReviewedExample:
    return ReviewedExample(**{**example.__dict__, "label": label})


def split_newest(examples: list[ReviewedExample], config: RetrainConfig
                 ) -> tuple[list[ReviewedExample], list[ReviewedExample], str]:
    """(older, newest, description): the newest reviewed complaints by arrival time, a complaint's
    fields together; the last ``newest_days`` days when set, else the last ``newest_fraction``."""
    if not examples:
        return [], [], "no reviewed complaints"
    arrived = {}
    for e in examples:
        arrived[e.complaint_id] = max(arrived.get(e.complaint_id, e.at), e.at)
    order = sorted(arrived, key=lambda c: (arrived[c], c))
    if config.newest_days:
        start = arrived[order[-1]] - timedelta(days=config.newest_days)
        newest_ids = {c for c in order if arrived[c] > start}
        rule = f"last {config.newest_days} days"
    else:
        count = max(1, round(len(order) * config.newest_fraction))
        newest_ids = set(order[-count:])
        rule = f"newest {config.newest_fraction:.0%}"
    newest = [e for e in examples if e.complaint_id in newest_ids]
    older = [e for e in examples if e.complaint_id not in newest_ids]
    first = min(arrived[c] for c in newest_ids)
    return older, newest, f"{rule}: {len(newest_ids)} of {len(order)} reviewed complaints, from {first:%Y-%m-%d}"


def recency_weights(examples: list[ReviewedExample], config: RetrainConfig) -> list[float]:
    """``feedback_weight`` halved every ``half_life_days`` of age, counted back from the newest example."""
    if not examples:
        return []
    newest = max(e.at for e in examples)
    if not config.half_life_days:
        return [config.feedback_weight] * len(examples)
    return [config.feedback_weight * 0.5 ** ((newest - e.at).total_seconds() / 86400 / config.half_life_days)
            for e in examples]


def retired_labels(examples: list[ReviewedExample], base_counts: dict[str, Counter], config: RetrainConfig
                   ) -> tuple[dict[str, set[str]], list[str]]:
    """Base labels that no longer occur: expected at least ``retire_min_expected`` times among the
    reviewed examples of the last ``retire_window_days`` (from their share of the base data), seen
    not once there. Returns task → labels and one report line per retired label."""
    if not examples or not config.retire_min_expected:
        return {}, []
    start = max(e.at for e in examples) - timedelta(days=config.retire_window_days)
    window: dict[str, Counter] = defaultdict(Counter)
    for e in examples:
        if e.at > start:
            window[e.task][e.label] += 1
    retired: dict[str, set[str]] = {}
    lines = []
    for task, seen in sorted(window.items()):
        counts = base_counts.get(task, Counter())
        total, n = sum(counts.values()), sum(seen.values())
        for label, count in sorted(counts.items()):
            expected = n * count / total if total else 0.0
            if expected >= config.retire_min_expected and not seen[label]:
                retired.setdefault(task, set()).add(label)
                lines.append(f"retired {task} label {label!r}: {count} base rows predict {expected:.1f} among the "
                             f"{n} reviewed complaints of the last {config.retire_window_days} days; none occurred")
    return retired, lines
