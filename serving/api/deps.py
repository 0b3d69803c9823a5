"""Dependencies of the routes: settings, database session, API key with scope, model, metrics.

The ones that only read app state are ``async``: FastAPI runs sync dependencies in the thread
pool, a hop per dependency that a single classify request would pay five times.

The API key is checked by ``serving.api.access.AccessMiddleware`` before the body is read; the key
dependency hands the routes the row it found, and puts the route's scope in the OpenAPI schema,
where the middleware reads it.
"""
from __future__ import annotations

from typing import Annotated, Callable, Iterator

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from serving.api.access import KEY_STATE, authenticate, check_scope, scheme_name
from serving.core.config import Settings
from serving.db.models import ApiKey
from serving.holder import LoadedModel, ModelHolder
from serving.metrics import Metrics



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
    """The key row of the request, which must have ``scope``; in the OpenAPI schema as the scope's own
    security scheme on the X-API-Key header, which is how AccessMiddleware knows the route's scope."""
    header = APIKeyHeader(name="X-API-Key", scheme_name=scheme_name(scope), auto_error=False,
                          description=f"A key with the `{scope}` scope: `aduan keys create --scope {scope}`")

    async def current_key(request: Request, key: str | None = Security(header)) -> ApiKey:
        row = request.scope.get("state", {}).get(KEY_STATE)
        if row is None:  # a route left out of the schema: checked here, after its body was read
            return await run_in_threadpool(authenticate, request.app.state.sessions, key, scope)
        return check_scope(row, scope)

    return current_key


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]
ModelDep = Annotated[LoadedModel, Depends(get_model)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
DeskKey = Annotated[ApiKey, Depends(require_scope("desk"))]
ReportingKey = Annotated[ApiKey, Depends(require_scope("reporting"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
