"""Classifier results → response schemas, in one place.

Optional fields of the classifier's results (``level``, ``action``, ``explanation``,
``unresolved``) are read with getattr and a default, so a model or library without them still
answers. Explanations and urgency reasons quote the complaint: they are masked here once more,
the last step before they are returned or stored, whatever the classifier did.
"""
from __future__ import annotations

from typing import Any, Sequence

from classifier.pii import mask_pii
from classifier.predict import COMPLAINT_FIELDS, ComplaintClassifier, ComplaintPrediction, TaskPrediction
from serving.schemas import (AgencyResult, ClassifyResponse, ComplaintIn, LabelScore, SentimentResult, TaskResult,
                             UrgencyResult)

TOP_K = 3


def predict_complaints(model: ComplaintClassifier, complaints: Sequence[ComplaintIn],
                       explain: bool) -> list[ComplaintPrediction]:
    records = [c.model_dump(include=set(COMPLAINT_FIELDS)) for c in complaints]
    return model.predict(records, explain=explain)


def _task(prediction: TaskPrediction | None, schema: type[TaskResult], explain: bool, **extra: Any):
    if prediction is None:
        return None
    explanation = getattr(prediction, "explanation", None) if explain else None
    return schema(
        label=prediction.label,
        confidence=prediction.confidence,
        level=getattr(prediction, "level", None) or None,
        action=getattr(prediction, "action", None) or None,
        top=[LabelScore(label=s.label, confidence=s.confidence) for s in prediction.top[:TOP_K]],
        explanation=[mask_pii(str(cue)) for cue in explanation] if explanation is not None else None,
        **extra,
    )


def complaint_response(prediction: ComplaintPrediction, prediction_id: str, model_version: str,
                       explain: bool) -> ClassifyResponse:
    return ClassifyResponse(
        prediction_id=prediction_id,
        model_version=model_version,
        topic=_task(prediction.topic, TaskResult, explain),
        agency=_task(prediction.agency, AgencyResult, explain,
                     unresolved=bool(getattr(prediction.agency, "unresolved", False))),
        urgency=_task(prediction.urgency, UrgencyResult, explain,
                      reasons=[mask_pii(str(r)) for r in getattr(prediction, "urgency_reasons", [])]),
        needs_review=bool(prediction.needs_review),
        language=str(getattr(prediction, "language", "")),
    )


def sentiment_result(prediction: TaskPrediction) -> SentimentResult:
    return SentimentResult(label=prediction.label, confidence=prediction.confidence,
                           level=getattr(prediction, "level", None),
                           scores={s.label: s.confidence for s in prediction.top},
                           language=str(getattr(prediction, "language", "")))
