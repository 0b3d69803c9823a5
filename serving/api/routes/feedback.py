"""POST /v1/feedback (scope: desk): a desk's correction or confirmation of a stored prediction.

Feedback becomes training data (`aduan retrain`), so a correction must name a label of the served
model for that field (any case or spacing; stored in the model's spelling), or, for a topic or an
agency, be flagged ``new_label`` and still look like a label. Error messages never quote the value:
it may hold personal data.
"""
from __future__ import annotations

from fastapi import APIRouter
from sqlalchemy.orm import Session

from classifier.labels import clean_label, label_problem, model_label_set
from classifier.pii import mask_pii
from serving.api.deps import DeskKey, ModelDep, SessionDep
from serving.api.errors import ApiError, field_error
from serving.api.routes.common import AUTH_ERRORS, MODEL_ERRORS
from serving.db.models import Feedback, Prediction
from serving.holder import LoadedModel
from serving.schemas import ErrorBody, FeedbackRequest, FeedbackResponse

router = APIRouter(tags=["feedback"], responses={**AUTH_ERRORS, **MODEL_ERRORS,
                                                 404: {"model": ErrorBody, "description": "Unknown prediction_id"}})

# Urgency follows the guideline's fixed levels: a desk cannot add one.
NEW_LABEL_FIELDS = ("topic", "agency")


def checked_value(body: FeedbackRequest, predicted: str | None, loaded: LoadedModel) -> tuple[str, bool]:
    """The label to store and whether it is new; a 422 naming the field otherwise."""
    if body.kind == "accept":
        if predicted is None:
            raise field_error("field", f"the prediction has no {body.field} to accept")
        if body.correct_value is not None and clean_label(body.correct_value) != predicted:
            raise field_error("correct_value", "an accept confirms the predicted value: omit correct_value, "
                                               "or send kind=correct to change it")
        return predicted, False
    labels = model_label_set(loaded.model.bundle, body.field)
    known = labels.canonical(body.correct_value)
    if known is not None:
        return known, False
    problem = label_problem(body.correct_value)
    if problem:
        raise field_error("correct_value", f"not a label: {problem}")
    if not body.new_label:
        hint = (" (send new_label: true to propose a new one)" if body.field in NEW_LABEL_FIELDS else "")
        raise field_error("correct_value", f"not a {body.field} label of the served model {loaded.model.version}"
                                           f"{hint}; known labels start with {labels.sample(3)}")
    if body.field not in NEW_LABEL_FIELDS:
        raise field_error("new_label", f"{body.field} has fixed levels; new labels are for {NEW_LABEL_FIELDS}")
    return mask_pii(clean_label(body.correct_value)), True


def record_feedback(session: Session, body: FeedbackRequest, loaded: LoadedModel, api_key_id: int | None) -> Feedback:
    """Check ``body`` against its stored prediction and the served model and add the feedback row to
    ``session`` (the caller commits). POST /v1/feedback and the desk page (serving/api/routes/desk.py)
    both write feedback through here: a 404 ApiError or a 422 naming the field otherwise."""
    if body.kind == "correct" and body.correct_value is None:  # checked before the lookup: a body error
        raise field_error("correct_value", "required for kind=correct", kind="missing")
    prediction = session.get(Prediction, body.prediction_id)
    if prediction is None:
        raise ApiError(404, f"no prediction with id {body.prediction_id}", field="prediction_id")
    predicted = (prediction.outputs.get(body.field) or {}).get("label")
    value, new_label = checked_value(body, predicted, loaded)
    row = Feedback(prediction_id=prediction.id, field=body.field, kind=body.kind, predicted_value=predicted,
                   correct_value=value, new_label=new_label, note=mask_pii(body.note) if body.note else None,
                   api_key_id=api_key_id)
    session.add(row)
    return row


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201)
def feedback(body: FeedbackRequest, key: DeskKey, loaded: ModelDep, session: SessionDep) -> FeedbackResponse:
    """Record the correct topic, agency or urgency of a prediction (kind=correct), or confirm the
    predicted one (kind=accept), for review and retraining."""
    row = record_feedback(session, body, loaded, key.id)
    session.commit()
    return FeedbackResponse.model_validate(row, from_attributes=True)
