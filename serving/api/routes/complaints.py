"""POST /v1/complaints/classify and /classify-batch (scope: desk)."""
from __future__ import annotations

from fastapi import APIRouter

from serving import service
from serving.api.deps import DeskKey, MetricsDep, ModelDep, SessionDep
from serving.api.routes.common import AUTH_ERRORS, MODEL_ERRORS, SIZE_ERRORS
from serving.schemas import ClassifyBatchRequest, ClassifyBatchResponse, ClassifyRequest, ClassifyResponse

router = APIRouter(prefix="/v1/complaints", tags=["complaints"], responses={**AUTH_ERRORS, **SIZE_ERRORS,
                                                                            **MODEL_ERRORS})


@router.post("/classify", response_model=ClassifyResponse)
def classify(body: ClassifyRequest, key: DeskKey, loaded: ModelDep, session: SessionDep,
             metrics: MetricsDep) -> ClassifyResponse:
    """Topic, responsible agency (with the top three), urgency with its reasons, and whether a person
    should review the answer. The masked text and the answer are stored under ``prediction_id``."""
    [result] = service.classify(loaded, [body], body.explain, session, key.id, metrics)
    return result


@router.post("/classify-batch", response_model=ClassifyBatchResponse)
def classify_batch(body: ClassifyBatchRequest, key: DeskKey, loaded: ModelDep, session: SessionDep,
                   metrics: MetricsDep) -> ClassifyBatchResponse:
    """Up to 1,000 complaints at once, answered in input order."""
    results = service.classify(loaded, body.complaints, body.explain, session, key.id, metrics)
    return ClassifyBatchResponse(model_version=loaded.model.version, results=results)
