"""POST /v1/feedback (scope: desk): a desk's correction of a stored prediction."""
from __future__ import annotations

from fastapi import APIRouter

from classifier.pii import mask_pii
from serving.api.deps import DeskKey, SessionDep
from serving.api.errors import ApiError
from serving.api.routes.common import AUTH_ERRORS
from serving.db.models import Feedback, Prediction
from serving.schemas import ErrorBody, FeedbackRequest, FeedbackResponse

router = APIRouter(tags=["feedback"], responses={**AUTH_ERRORS, 404: {"model": ErrorBody,
                                                                      "description": "Unknown prediction_id"}})


@router.post("/v1/feedback", response_model=FeedbackResponse, status_code=201)
def feedback(body: FeedbackRequest, key: DeskKey, session: SessionDep) -> FeedbackResponse:
    """Record the correct topic, agency or urgency of a prediction, for review and retraining."""
    prediction = session.get(Prediction, body.prediction_id)
    if prediction is None:
        raise ApiError(404, f"no prediction with id {body.prediction_id}", field="prediction_id")
    predicted = (prediction.outputs.get(body.field) or {}).get("label")
    row = Feedback(prediction_id=prediction.id, field=body.field, predicted_value=predicted,
                   correct_value=body.correct_value, note=mask_pii(body.note) if body.note else None,
                   api_key_id=key.id)
    session.add(row)
    session.commit()
    return FeedbackResponse.model_validate(row, from_attributes=True)
