"""GET /v1/review-queue (scope: desk): unreviewed stored complaints, those a review would teach most first.

A review teaches most where the model is unsure (a small margin between its two best labels) and
where the complaint is unlike what it was trained on (many words its vocabulary lacks): the score is
the mean of the two, each in [0, 1], and the response shows both parts.
"""
from __future__ import annotations

from typing import Annotated

import numpy as np
from fastapi import APIRouter, Query
from sqlalchemy import exists, select

from serving.api.deps import DeskKey, ModelDep, SessionDep
from serving.api.routes.common import AUTH_ERRORS, MODEL_ERRORS
from serving.db.models import Feedback, Prediction
from serving.schemas import ReviewQueueItem, ReviewQueueResponse

router = APIRouter(tags=["feedback"], responses={**AUTH_ERRORS, **MODEL_ERRORS})

TASKS = ("topic", "agency")  # the fields a desk routes by; urgency has its own guideline cues
MAX_SCAN = 5000


def uncertainty(outputs: dict) -> float:
    """1 − (best − second best confidence), averaged over the stored topic and agency answers."""
    margins = []
    for task in TASKS:
        top = [s["confidence"] for s in (outputs.get(task) or {}).get("top") or []]
        if top:
            margins.append(top[0] - (top[1] if len(top) > 1 else 0.0))
    return float(1.0 - np.mean(margins)) if margins else 1.0


def word_vocabulary(estimator) -> frozenset[str]:
    """The single words of a task's word TF-IDF vocabulary (through a router or the urgency rules)."""
    estimator = getattr(estimator, "level_model", estimator)
    estimator = getattr(estimator, "estimator_", estimator)
    steps = getattr(estimator, "steps", None)
    if not steps:
        return frozenset()  # e.g. a transformer: no vocabulary to compare with
    features = steps[0][1]
    parts = dict(getattr(features, "transformer_list", [("word", features)]))
    vocabulary = getattr(parts.get("word"), "vocabulary_", {}) or {}
    return frozenset(term for term in vocabulary if " " not in term)


def known_words(bundle) -> frozenset[str]:
    cached = bundle.__dict__.get("_known_words")  # a bundle never changes once loaded
    if cached is None:
        cached = frozenset().union(*(word_vocabulary(bundle.tasks[t]) for t in TASKS if t in bundle.tasks))
        bundle.__dict__["_known_words"] = cached
    return cached


def novelty(normalized: str, vocabulary: frozenset[str]) -> float:
    """Share of the complaint's words the model never learned (1 for an empty text or vocabulary)."""
    words = normalized.split()
    if not words or not vocabulary:
        return 1.0
    return sum(w not in vocabulary for w in words) / len(words)


@router.get("/v1/review-queue", response_model=ReviewQueueResponse)
def review_queue(key: DeskKey, loaded: ModelDep, session: SessionDep,
                 limit: Annotated[int, Query(ge=1, le=1000, description="Complaints to return")] = 50,
                 scan: Annotated[int, Query(ge=1, le=MAX_SCAN, description="How many of the newest unreviewed "
                                                                           "complaints to rank")] = 1000,
                 ) -> ReviewQueueResponse:
    """Unreviewed complaints (no feedback yet) ranked by how much a review would teach the next
    retrain: uncertainty (small margin) and novelty (unseen words), with both parts."""
    reviewed = exists(select(Feedback.id).where(Feedback.prediction_id == Prediction.id))
    rows = session.execute(select(Prediction.id, Prediction.created_at, Prediction.text, Prediction.outputs,
                                  Prediction.needs_review)
                           .where(~reviewed).order_by(Prediction.created_at.desc(), Prediction.id).limit(scan)).all()
    bundle = loaded.model.bundle
    vocabulary = known_words(bundle)
    normalized = bundle.normalizer.transform([r.text for r in rows]) if rows else []
    items = []
    for row, text in zip(rows, normalized):
        unsure, new = uncertainty(row.outputs), novelty(text, vocabulary)
        items.append(ReviewQueueItem(
            prediction_id=row.id, created_at=row.created_at, text=row.text, score=round((unsure + new) / 2, 4),
            uncertainty=round(unsure, 4), novelty=round(new, 4), needs_review=row.needs_review,
            topic=(row.outputs.get("topic") or {}).get("label"), agency=(row.outputs.get("agency") or {}).get("label")))
    items.sort(key=lambda item: (-item.score, item.prediction_id))
    return ReviewQueueResponse(model_version=loaded.model.version, scanned=len(rows), items=items[:limit])
