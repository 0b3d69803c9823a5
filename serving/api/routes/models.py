"""GET /v1/models and POST /v1/models/reload (scope: admin)."""
from __future__ import annotations

import logging
from typing import Annotated

from fastapi import APIRouter, Body, Request

from classifier.model import ModelNotFound
from serving import model_store
from serving.api.deps import AdminKey, HolderDep, SettingsDep
from serving.api.errors import ApiError
from serving.api.routes.common import AUTH_ERRORS
from serving.schemas import ErrorBody, ModelsResponse, ReloadRequest, ReloadResponse

log = logging.getLogger("aduan.api")
router = APIRouter(prefix="/v1/models", tags=["models"], responses=AUTH_ERRORS)


@router.get("", response_model=ModelsResponse)
def list_models(key: AdminKey, holder: HolderDep, settings: SettingsDep) -> ModelsResponse:
    """The model this worker serves and every model directory under the models dir."""
    current = holder.current
    return ModelsResponse(
        current=model_store.model_info(current.path, serving=True) if current else None,
        unavailable_reason=None if current else holder.unavailable_reason,
        available=model_store.list_models(settings.models_dir, current.path if current else None),
    )


@router.post("/reload", response_model=ReloadResponse, responses={
    404: {"model": ErrorBody, "description": "No such model version"},
    409: {"model": ErrorBody, "description": "The model could not be loaded; the previous one is still served"}})
def reload_model(key: AdminKey, holder: HolderDep, settings: SettingsDep, request: Request,
                 body: Annotated[ReloadRequest | None, Body()] = None) -> ReloadResponse:
    """Load a model (default: the latest under the models dir) and swap it in atomically: requests
    in flight finish with the old model, later ones get the new one. Other workers follow within
    a few seconds."""
    version = body.version if body else None
    try:
        path = model_store.resolve(settings.models_dir, version)
    except ModelNotFound as exc:
        raise ApiError(404, str(exc), field="version") from None
    previous = holder.current
    try:
        loaded = holder.load(path, publish=lambda p: model_store.publish(request.app.state.sessions, p))
    except Exception as exc:  # unpickling a model directory can fail in many ways; none may stop serving
        log.error("reload of %s failed: %s: %s", path, exc.__class__.__name__, exc)
        raise ApiError(409, f"model {path.name} could not be loaded ({exc.__class__.__name__}); "
                            "the previous model is still served", field="version") from None
    log.info("model reloaded: %s → %s", previous.model.version if previous else None, loaded.model.version)
    return ReloadResponse(previous_version=previous.model.version if previous else None,
                          current=model_store.model_info(loaded.path, serving=True))
