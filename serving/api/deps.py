"""Dependencies of the routes: settings, database session, API key with scope, model, metrics.

The ones that only read app state are ``async``: FastAPI runs sync dependencies in the thread
pool, a hop per dependency that a single classify request would pay five times.

The API key is checked by ``serving.api.access.AccessMiddleware`` before the body is read; the key
dependency hands the routes the row it found, and tells the middleware (``required_scope``) and
the OpenAPI schema (the ``X-API-Key`` security scheme) which scope the route needs.
"""
from __future__ import annotations

from typing import Annotated, Callable, Iterator

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from serving.api.access import KEY_STATE, authenticate, check_scope
from serving.core.config import Settings
from serving.db.models import ApiKey
from serving.holder import LoadedModel, ModelHolder
from serving.metrics import Metrics

api_key_header = APIKeyHeader(name="X-API-Key", auto_error=False,
                              description="A key from `aduan keys create --scope desk|reporting|admin`")


async def get_settings(request: Request) -> Settings:
    return request.app.state.settings


def get_db(request: Request) -> Iterator[Session]:
    with request.app.state.sessions() as session:
        yield session


async def get_holder(request: Request) -> ModelHolder:
    return request.app.state.holder


async def get_model(request: Request) -> LoadedModel:
    """The model at the start of the request; a concurrent reload does not change it."""
    return request.app.state.holder.get()


async def get_metrics(request: Request) -> Metrics:
    return request.app.state.metrics


def require_scope(scope: str) -> Callable[..., ApiKey]:
    async def current_key(request: Request, key: Annotated[str | None, Security(api_key_header)]) -> ApiKey:
        row = request.scope.get("state", {}).get(KEY_STATE)
        if row is None:  # an app without AccessMiddleware: check here, after the body was read
            return await run_in_threadpool(authenticate, request.app.state.sessions, key, scope)
        return check_scope(row, scope)

    current_key.required_scope = scope  # read by AccessMiddleware
    return current_key


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]
ModelDep = Annotated[LoadedModel, Depends(get_model)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
DeskKey = Annotated[ApiKey, Depends(require_scope("desk"))]
ReportingKey = Annotated[ApiKey, Depends(require_scope("reporting"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
