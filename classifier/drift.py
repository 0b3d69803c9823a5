"""Drift of the complaints a model meets against what it was trained on: label mix, confidence,
needs-review share, unseen words, new phrases, month by month; and whether to retrain.

The reference is the served model's own record (``model.json``: the training label mix of each task
and the document frequencies of its training words and phrases, written by ``aduan train``) or a
labeled table. The current side is predictions: those the API stored, or ``aduan predict``'s on a
file. Label mixes are compared with the population stability index (PSI) and a chi-square test of
homogeneity (scipy), and per label with a two-proportion test, Benjamini-Hochberg adjusted: a label
"moved" when its share changed significantly *and* by at least ``min_share_change``, so that large
samples do not turn small wobbles into alarms. Rendering: ``classifier/drift_report.py``.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import asdict, dataclass, field
from datetime import datetime, timezone
from typing import Iterable, Mapping, Sequence

import numpy as np
import pandas as pd
from scipy.stats import chi2_contingency, false_discovery_control

TASKS = ("topic", "agency", "urgency")
CONFIDENCE_BINS = (0.0, 0.2, 0.4, 0.6, 0.8, 1.0)
RARE = "(rare labels)"


@dataclass(frozen=True)
class DriftConfig:
    """Every threshold of the report. Retraining is advised when a task's predicted label mix shifted
    (PSI >= ``psi_retrain`` and the chi-square test rejects the same mix at ``p_value``), when the
    share of words unseen in training reaches ``unseen_share_retrain``, or when the share of complaints
    needing review reaches ``needs_review_retrain``; never on fewer than ``min_complaints``."""

    psi_watch: float = 0.1  # the usual PSI reading: < 0.1 stable, 0.1-0.25 watch, >= 0.25 shifted
    psi_retrain: float = 0.25
    p_value: float = 0.01
    min_share_change: float = 0.01  # a label moved only if its share changed by this much (absolute)
    unseen_share_retrain: float = 0.10
    needs_review_retrain: float = 0.6
    min_complaints: int = 100
    new_term_min_documents: int = 5
    new_term_ratio: float = 5.0  # a phrase is new when its share is at least this many times the reference's
    new_terms_listed: int = 20
    retrain_command: str = "aduan retrain --config configs/default.toml"

    def __post_init__(self):
        for name in ("psi_watch", "psi_retrain", "new_term_ratio"):
            if not getattr(self, name) > 0:
                raise ValueError(f"{name}: expected a positive number, got {getattr(self, name)!r}")
        for name in ("p_value", "min_share_change", "unseen_share_retrain", "needs_review_retrain"):
            if not 0 < getattr(self, name) <= 1:
                raise ValueError(f"{name}: expected a number in (0, 1], got {getattr(self, name)!r}")


class DriftInputError(ValueError):
    """A reference or current table the report cannot use; the message says which and why."""


# ---------------------------------------------------------------- vocabulary
def _phrases(words: Sequence[str]) -> set[str]:
    return {f"{a} {b}" for a, b in zip(words, words[1:])}


def vocabulary_of(texts: Iterable[str], min_phrase_count: int = 2) -> dict:
    """Document frequencies of the words and two-word phrases of normalized texts (phrases seen fewer
    than ``min_phrase_count`` times are left out, which keeps model.json small)."""
    words, phrases, documents = Counter(), Counter(), 0
    for text in texts:
        tokens = str(text).split()
        documents += 1
        words.update(set(tokens))
        phrases.update(_phrases(tokens))
    return {"documents": documents, "words": dict(sorted(words.items())),
            "phrases": {p: n for p, n in sorted(phrases.items()) if n >= min_phrase_count}}


@dataclass
class Reference:
    """What the current complaints are compared with."""

    source: str
    label_counts: dict[str, dict[str, int]]
    vocabulary: dict

    @classmethod
    def from_metadata(cls, metadata: Mapping, source: str) -> "Reference":
        counts = {task: dict(info["label_counts"]) for task, info in (metadata.get("tasks") or {}).items()
                  if task in TASKS and info.get("label_counts")}
        vocabulary = metadata.get("vocabulary")
        if not counts or not vocabulary:
            raise DriftInputError(f"model {metadata.get('version', '?')} keeps no training label mix or vocabulary "
                                  "(trained before they were recorded): retrain it, or pass --reference LABELED.csv")
        return cls(source, counts, vocabulary)

    @classmethod
    def from_labeled(cls, normalized_texts: Sequence[str], labels: Mapping[str, Sequence[str]],
                     source: str) -> "Reference":
        counts = {task: dict(Counter(str(v).strip() for v in values if str(v).strip()))
                  for task, values in labels.items() if task in TASKS}
        if not any(counts.values()):
            raise DriftInputError(f"{source}: no labeled column among {', '.join(TASKS)}")
        return cls(source, {t: c for t, c in counts.items() if c}, vocabulary_of(normalized_texts))


@dataclass
class Current:
    """Predictions on the complaints being checked."""

    normalized: list[str]
    labels: dict[str, list[str]]  # task → predicted label per complaint
    confidences: dict[str, list[float]]
    needs_review: list[bool]
    created_at: list[datetime] | None = None
    source: str = ""
    def __post_init__(self):
        n = len(self.normalized)
        if any(len(v) != n for v in [*self.labels.values(), *self.confidences.values(), self.needs_review]):
            raise DriftInputError("every prediction column needs one value per complaint")

    def label_mix(self, task: str) -> dict[str, int]:
        """Complaints per predicted label. (Summing the predicted probabilities instead, "probabilistic
        classify and count", was tried by training.drift_check: it found fewer of the topics that moved,
        the calibration of the long tail being poor.)"""
        return dict(Counter(label for label in self.labels[task] if label))


# ---------------------------------------------------------------- label mix
def shares(counts: Mapping[str, float], labels: Sequence[str], smoothing: float = 0.0) -> np.ndarray:
    values = np.array([counts.get(label, 0) for label in labels], dtype=float) + smoothing
    total = values.sum()
    return values / total if total else values


def pooled_table(reference: Mapping[str, float], current: Mapping[str, float]) -> np.ndarray:
    """2 x labels counts, the labels expected fewer than 5 times on either side pooled into one column
    (the chi-square test's validity condition; it also keeps the PSI from reading noise in the long tail)."""
    labels = sorted(set(reference) | set(current))
    table = np.array([[reference.get(k, 0) for k in labels], [current.get(k, 0) for k in labels]], dtype=float)
    expected = table.sum(axis=1, keepdims=True) * table.sum(axis=0, keepdims=True) / max(table.sum(), 1)
    small = (expected < 5).any(axis=0)
    pooled = np.column_stack([table[:, ~small], table[:, small].sum(axis=1)]) if small.any() else table
    return pooled[:, pooled.sum(axis=0) > 0]


def psi(reference: Mapping[str, float], current: Mapping[str, float]) -> float:
    """Population stability index, sum of (c - r) ln(c / r), over the labels (rare ones pooled); half a
    complaint is added to every count so that a label absent on one side stays finite."""
    table = pooled_table(reference, current) + 0.5
    r, c = table[0] / table[0].sum(), table[1] / table[1].sum()
    return float(np.sum((c - r) * np.log(c / r)))


def chi_square(reference: Mapping[str, float], current: Mapping[str, float]) -> tuple[float, float, int]:
    """Chi-square test that both sides draw from one label mix (rare labels pooled)."""
    pooled = pooled_table(reference, current)
    if pooled.shape[1] < 2 or (pooled.sum(axis=1) == 0).any():
        return 0.0, 1.0, 0
    statistic, p_value, dof, _ = chi2_contingency(pooled, correction=False)
    return float(statistic), float(p_value), int(dof)


def label_changes(reference: Mapping[str, int], current: Mapping[str, int], config: DriftConfig) -> list[dict]:
    """Every label with its share on both sides, largest absolute change first; ``flagged`` when the
    change is significant (two-proportion chi-square, Benjamini-Hochberg over the labels) and at
    least ``min_share_change``."""
    labels = sorted(set(reference) | set(current))
    r_total, c_total = sum(reference.values()), sum(current.values())
    r, c = shares(reference, labels), shares(current, labels)
    p_values = np.ones(len(labels))
    for k, label in enumerate(labels):
        table = np.array([[reference.get(label, 0), r_total - reference.get(label, 0)],
                          [current.get(label, 0), c_total - current.get(label, 0)]])
        if (table.sum(axis=0) > 0).all() and (table.sum(axis=1) > 0).all():
            p_values[k] = chi2_contingency(table, correction=True)[1]
    adjusted = false_discovery_control(p_values) if len(labels) else p_values
    rows = [{"label": label, "reference_share": round(float(r[k]), 4), "current_share": round(float(c[k]), 4),
             "change": round(float(c[k] - r[k]), 4), "p_value": float(adjusted[k]),
             "flagged": bool(adjusted[k] < config.p_value and abs(c[k] - r[k]) >= config.min_share_change)}
            for k, label in enumerate(labels)]
    rows.sort(key=lambda row: (-abs(row["change"]), row["label"]))
    return rows


def task_drift(reference: Mapping[str, int], current: Mapping[str, int], config: DriftConfig) -> dict:
    value = psi(reference, current)
    statistic, p_value, dof = chi_square(reference, current)
    moved = label_changes(reference, current, config)
    flagged = [row["label"] for row in moved if row["flagged"]]
    # A PSI alone also grows with a classifier's own bias and the long tail's noise: a shift needs the
    # test to reject one mix and at least one label that moved.
    status = ("shifted" if value >= config.psi_retrain and p_value < config.p_value and flagged else
              "watch" if value >= config.psi_watch else "stable")
    return {"psi": round(value, 4), "chi2": round(statistic, 2), "dof": dof, "p_value": p_value, "status": status,
            "reference_complaints": int(round(sum(reference.values()))),
            "current_complaints": int(round(sum(current.values()))),
            "flagged": flagged,
            "new_labels": sorted(set(current) - set(reference)), "moved": moved}


# ---------------------------------------------------------------- words
def unseen_share(texts: Sequence[str], vocabulary: Mapping) -> float:
    """Share of the words of ``texts`` (all occurrences) that the reference never saw."""
    known = vocabulary.get("words") or {}
    total = unseen = 0
    for text in texts:
        for word in str(text).split():
            total += 1
            unseen += word not in known
    return unseen / total if total else 0.0


def new_terms(texts: Sequence[str], vocabulary: Mapping, config: DriftConfig) -> list[dict]:
    """Words and two-word phrases frequent in ``texts`` and rare or absent in the reference: candidate
    new topics. A phrase whose words are all listed words is shown as the phrase only."""
    documents = Counter()
    for text in texts:
        tokens = str(text).split()
        documents.update(set(tokens) | _phrases(tokens))
    n, reference_n = max(len(texts), 1), max(int(vocabulary.get("documents") or 0), 1)
    seen = {**(vocabulary.get("words") or {}), **(vocabulary.get("phrases") or {})}
    found = []
    for term, count in documents.items():
        if count < config.new_term_min_documents:
            continue
        # A phrase left out of the reference for rarity (seen once there) counts as seen once.
        reference_count = seen.get(term, 1 if " " in term else 0)
        share, reference_share = count / n, reference_count / reference_n
        if share >= config.new_term_ratio * max(reference_share, 0.5 / reference_n):
            found.append({"term": term, "documents": count, "share": round(share, 4),
                          "reference_share": round(reference_share, 5)})
    found.sort(key=lambda t: (-t["documents"], t["term"]))
    phrases = [t for t in found if " " in t["term"]]
    covered = {w for t in phrases[:config.new_terms_listed] for w in t["term"].split()}
    listed = [t for t in found if " " in t["term"] or t["term"] not in covered]
    return listed[:config.new_terms_listed]


# ---------------------------------------------------------------- confidence and time
def confidence_summary(confidences: Sequence[float], low_below: float = 0.4) -> dict:
    values = np.asarray(confidences, dtype=float)
    values = values[~np.isnan(values)]
    counts, _ = np.histogram(values, bins=CONFIDENCE_BINS)
    return {"mean": round(float(values.mean()), 4) if len(values) else None,
            "low_share": round(float((values < low_below).mean()), 4) if len(values) else None,
            "histogram": [{"bin": f"{lo:.1f}-{hi:.1f}", "share": round(float(k / max(len(values), 1)), 4)}
                          for lo, hi, k in zip(CONFIDENCE_BINS, CONFIDENCE_BINS[1:], counts)]}


def monthly(current: Current, vocabulary: Mapping) -> list[dict]:
    if not current.created_at:
        return []
    months = pd.Series(pd.to_datetime(current.created_at, utc=True)).dt.strftime("%Y-%m").to_numpy()
    rows = []
    for month in sorted(set(months)):
        at = np.flatnonzero(months == month)
        row = {"month": month, "complaints": len(at),
               "needs_review_share": round(float(np.mean([current.needs_review[i] for i in at])), 4),
               "unseen_token_share": round(unseen_share([current.normalized[i] for i in at], vocabulary), 4),
               "confidence": {}, "top_label": {}}
        for task, labels in current.labels.items():
            values = np.array([current.confidences[task][i] for i in at], dtype=float)
            row["confidence"][task] = round(float(np.nanmean(values)), 4) if len(values) else None
            row["top_label"][task] = Counter(labels[i] for i in at).most_common(1)[0][0]
        rows.append(row)
    return rows


# ---------------------------------------------------------------- the report
@dataclass
class DriftReport:
    generated_at: str
    reference: dict
    current: dict
    config: dict
    tasks: dict
    confidence: dict
    needs_review_share: float
    unseen_token_share: float
    new_terms: list
    timeline: list
    retrain: dict = field(default_factory=dict)

    def to_dict(self) -> dict:
        return asdict(self)


def build_report(reference: Reference, current: Current, config: DriftConfig | None = None) -> DriftReport:
    config = config or DriftConfig()
    n = len(current.normalized)
    tasks = {task: task_drift(reference.label_counts[task], current.label_mix(task), config)
             for task, labels in current.labels.items() if task in reference.label_counts and labels}
    needs_review = float(np.mean(current.needs_review)) if n else 0.0
    unseen = unseen_share(current.normalized, reference.vocabulary)
    reasons = []
    if n < config.min_complaints:
        reasons.append(f"only {n} complaints: too few to judge (at least {config.min_complaints})")
    else:
        reasons += [f"{task}: predicted label mix shifted (PSI {t['psi']:.3f} >= {config.psi_retrain}, chi-square "
                    f"p {t['p_value']:.1e}; moved: {', '.join(t['flagged'][:5])})"
                    for task, t in tasks.items() if t["status"] == "shifted"]
        if unseen >= config.unseen_share_retrain:
            reasons.append(f"{unseen:.1%} of the words were never seen in training (>= {config.unseen_share_retrain:.0%})")
        if needs_review >= config.needs_review_retrain:
            reasons.append(f"{needs_review:.1%} of the complaints need review (>= {config.needs_review_retrain:.0%})")
    advised = n >= config.min_complaints and bool(reasons)
    times = sorted(current.created_at) if current.created_at else []
    return DriftReport(
        generated_at=datetime.now(timezone.utc).isoformat(timespec="seconds"),
        reference={"source": reference.source, "complaints": int(reference.vocabulary.get("documents") or 0),
                   "tasks": {t: int(sum(c.values())) for t, c in reference.label_counts.items()}},
        current={"source": current.source, "complaints": n,
                 "from": times[0].isoformat() if times else None, "to": times[-1].isoformat() if times else None},
        config=asdict(config), tasks=tasks,
        confidence={task: confidence_summary(values) for task, values in current.confidences.items()},
        needs_review_share=round(needs_review, 4), unseen_token_share=round(unseen, 4),
        new_terms=new_terms(current.normalized, reference.vocabulary, config),
        timeline=monthly(current, reference.vocabulary),
        retrain={"advised": advised, "reasons": reasons if advised or n < config.min_complaints else [],
                 "command": config.retrain_command})
