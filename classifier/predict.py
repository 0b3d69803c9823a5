"""Prediction: load a model bundle and classify complaints into typed results."""
from __future__ import annotations

from dataclasses import dataclass, field
from pathlib import Path
from typing import Mapping, Sequence

import numpy as np

from classifier.model import ModelBundle

# Texts longer than this are cut before prediction: the first 20k characters hold the complaint.
MAX_TEXT_CHARS = 20_000
# Fewer normalized tokens than this: too short to judge, always needs review.
MIN_TOKENS = 3


@dataclass(frozen=True)
class Complaint:
    text: str
    alamat: str | None = None
    kecamatan: str | None = None
    kelurahan: str | None = None

    @classmethod
    def coerce(cls, value: "str | Mapping | Complaint") -> "Complaint":
        if isinstance(value, Complaint):
            return value
        if isinstance(value, str):
            return cls(text=value)
        return cls(**{k: (None if value.get(k) is None else str(value.get(k)))
                      for k in ("text", "alamat", "kecamatan", "kelurahan")})


@dataclass(frozen=True)
class LabelScore:
    label: str
    confidence: float


@dataclass
class TaskPrediction:
    """One field's answer: best label, its calibrated confidence and the runners-up."""

    label: str
    confidence: float
    top: list[LabelScore]
    unresolved: bool = False  # a local level ("Kelurahan") whose unit could not be located


@dataclass
class ComplaintPrediction:
    topic: TaskPrediction | None = None
    agency: TaskPrediction | None = None
    urgency: TaskPrediction | None = None
    urgency_reasons: list[str] = field(default_factory=list)
    needs_review: bool = True

    def to_row(self) -> dict:
        """The columns of the `aduan predict` contract, in contract order."""

        def label(p):
            return p.label if p else ""

        def conf(p):
            return round(p.confidence, 4) if p else ""

        return {
            "topic": label(self.topic),
            "topic_confidence": conf(self.topic),
            "agency": label(self.agency),
            "agency_confidence": conf(self.agency),
            "agency_top3": "|".join(s.label for s in self.agency.top[:3]) if self.agency else "",
            "urgency": label(self.urgency),
            "urgency_confidence": conf(self.urgency),
            "needs_review": "true" if self.needs_review else "false",
        }


PREDICTION_COLUMNS = list(ComplaintPrediction().to_row())


def _task_predictions(estimator, texts: list[str], k: int = 3) -> list[TaskPrediction]:
    proba = estimator.predict_proba(texts)
    classes = np.asarray(estimator.classes_)
    order = np.argsort(-proba, axis=1)[:, :k]
    out = []
    for row, idx in zip(proba, order):
        top = [LabelScore(str(classes[i]), float(row[i])) for i in idx]
        out.append(TaskPrediction(top[0].label, top[0].confidence, top))
    return out


def _routed_predictions(router, texts: list[str], complaints: list[Complaint]) -> list[TaskPrediction]:
    out = []
    for routed in router.route(texts, complaints):
        top = [LabelScore(lab, conf) for lab, conf in zip(routed.labels, routed.confidences)]
        out.append(TaskPrediction(top[0].label, top[0].confidence, top, unresolved=routed.unresolved_level))
    return out


class TaskNotTrained(LookupError):
    """The model bundle has no model for this task (e.g. sentiment was not in the training config)."""


class ComplaintClassifier:
    """Topic, agency and urgency for complaints, from a trained :class:`ModelBundle`."""

    def __init__(self, bundle: ModelBundle, review_threshold: float | None = None):
        self.bundle = bundle
        self.review_threshold = (review_threshold if review_threshold is not None
                                 else float(bundle.metadata.get("review_threshold", 0.5)))

    @property
    def version(self) -> str:
        return self.bundle.version

    @property
    def tasks(self) -> list[str]:
        return list(self.bundle.tasks)

    def predict(self, complaints: Sequence["str | Mapping | Complaint"]) -> list[ComplaintPrediction]:
        items = [Complaint.coerce(c) for c in complaints]
        texts = self.bundle.normalizer.transform((c.text or "")[:MAX_TEXT_CHARS] for c in items)
        results = [ComplaintPrediction() for _ in items]
        for task in ("topic", "agency", "urgency"):
            estimator = self.bundle.tasks.get(task)
            if estimator is None:
                continue
            predictions = (_routed_predictions(estimator, texts, items) if hasattr(estimator, "route")
                           else _task_predictions(estimator, texts))
            for result, pred in zip(results, predictions):
                setattr(result, task, pred)
        for result, text in zip(results, texts):
            result.needs_review = self._needs_review(result, text)
        return results

    def sentiment(self, texts: Sequence[str]) -> list[TaskPrediction]:
        """Sentiment (positive / neutral / negative) of survey comments or complaints."""
        estimator = self.bundle.tasks.get("sentiment")
        if estimator is None:
            raise TaskNotTrained(f"model {self.version} has no sentiment model: add [tasks.sentiment] and retrain")
        texts = self.bundle.normalizer.transform((t or "")[:MAX_TEXT_CHARS] for t in texts)
        return _task_predictions(estimator, texts)

    def _needs_review(self, result: ComplaintPrediction, normalized: str) -> bool:
        if len(normalized.split()) < MIN_TOKENS:
            return True
        fields_ = [p for p in (result.topic, result.agency, result.urgency) if p is not None]
        return (not fields_ or any(p.confidence < self.review_threshold or p.unresolved for p in fields_))


def load_model(path: str | Path) -> ComplaintClassifier:
    """Load a model directory written by `aduan train`."""
    return ComplaintClassifier(ModelBundle.load(path))
