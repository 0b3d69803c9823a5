"""What the routes do: predict, store the masked prediction, count it in the metrics."""
from __future__ import annotations

import uuid
from typing import Sequence

from sqlalchemy import insert
from sqlalchemy.orm import Session

from classifier.pii import mask_nested, mask_pii
from serving.complaint_groups import GROUPS_KEY, ComplaintGroups
from serving.db.models import FORM_FIELDS, Prediction, utcnow
from serving.holder import LoadedModel
from serving.mapping import complaint_response, predict_complaints, sentiment_result
from serving.metrics import Metrics
from serving.schemas import DUPLICATE_FIELDS, ClassifyResponse, ComplaintIn, SentimentResult

# Left out of the stored outputs: the id and version have their own columns, and explanations are
# for the caller only. What is stored is masked once more (mask_nested): reasons quote the text.
_NOT_STORED = {"prediction_id": True, "model_version": True,
               **{task: {"explanation"} for task in ("topic", "agency", "urgency")},
               # Groups grow and merge after the answer: the index keeps them (serving/complaint_groups.py).
               **{name: True for name in DUPLICATE_FIELDS}}


def classify(loaded: LoadedModel, complaints: Sequence[ComplaintIn], explain: bool, session: Session,
             api_key_id: int | None, metrics: Metrics) -> list[ClassifyResponse]:
    version = loaded.model.version
    predictions = predict_complaints(loaded.model, complaints, explain)
    responses = [complaint_response(p, uuid.uuid4().hex, version, explain) for p in predictions]
    now = utcnow()
    # Text and form fields are stored masked: a reviewed complaint becomes a training example (`aduan retrain`).
    rows = [{"id": r.prediction_id, "created_at": now, "model_version": version, "text": mask_pii(c.text),
             "outputs": mask_nested(r.model_dump(mode="json", exclude=_NOT_STORED)), "needs_review": r.needs_review,
             "api_key_id": api_key_id,
             **{f: mask_pii(getattr(c, f)) if getattr(c, f) else None for f in FORM_FIELDS}}
            for c, r in zip(complaints, responses)]
    groups: ComplaintGroups | None = session.info.get(GROUPS_KEY)
    if groups is not None:  # near-duplicates of complaints stored in the window, or of earlier ones in the batch
        for r, match in zip(responses, groups.add(session, rows)):
            if match is not None:
                r.duplicate_of, r.group_id, r.group_size = match.duplicate_of, match.group_id, match.group_size
    try:
        session.execute(insert(Prediction), rows)
        session.commit()
    except Exception:
        if groups is not None:
            groups.invalidate()  # it holds complaints that were not stored
        raise
    for r in responses:
        for task in ("topic", "agency", "urgency"):
            result = getattr(r, task)
            metrics.count_label(task, result.label if result else None)
        metrics.count_review(r.needs_review)
    return responses


def sentiment(loaded: LoadedModel, texts: Sequence[str], metrics: Metrics) -> list[SentimentResult]:
    results = [sentiment_result(p) for p in loaded.model.sentiment(list(texts))]
    for r in results:
        metrics.count_label("sentiment", r.label)
    return results
