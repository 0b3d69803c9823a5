"""POST /v1/sentiment (scope: reporting)."""
from __future__ import annotations

from fastapi import APIRouter

from serving import service
from serving.api.deps import MetricsDep, ModelDep, ReportingKey
from serving.api.routes.common import AUTH_ERRORS, MODEL_ERRORS, SIZE_ERRORS
from serving.schemas import SentimentRequest, SentimentResponse

router = APIRouter(tags=["sentiment"], responses={**AUTH_ERRORS, **SIZE_ERRORS, **MODEL_ERRORS})


@router.post("/v1/sentiment", response_model=SentimentResponse)
def sentiment(body: SentimentRequest, key: ReportingKey, loaded: ModelDep, metrics: MetricsDep) -> SentimentResponse:
    """Sentiment (positive / neutral / negative) and class probabilities of up to 1,000 texts.
    Answers 503 when the served model has no sentiment task."""
    return SentimentResponse(model_version=loaded.model.version,
                             results=service.sentiment(loaded, body.texts, metrics))
