"""Dependencies of the routes: settings, database session, API key with scope, model, metrics.

The ones that only read app state are ``async``: FastAPI runs sync dependencies in the thread
pool, a hop per dependency that a single classify request would pay five times.
"""
from __future__ import annotations

from typing import Annotated, Callable, Iterator

from fastapi import Depends, Request, Security
from fastapi.security import APIKeyHeader
from sqlalchemy.orm import Session

from serving.api.errors import ApiError
from serving.core.config import Settings
from serving.db.models import ApiKey
from serving.holder import LoadedModel, ModelHolder
from serving.keys import find_key
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
    def current_key(request: Request, key: Annotated[str | None, Security(api_key_header)]) -> ApiKey:
        if not key:
            raise ApiError(401, "missing API key: send it in the X-API-Key header", field="X-API-Key")
        # A session of its own, closed at once: the route's session would keep its connection
        # through the whole prediction, and under load the pool would run dry.
        with request.app.state.sessions() as session:
            row = find_key(session, key)
        if row is None:
            raise ApiError(401, "invalid or revoked API key", field="X-API-Key")
        if scope not in row.scope_set:
            raise ApiError(403, f"this API key lacks the {scope!r} scope (it has: {row.scopes})", field="X-API-Key")
        return row

    return current_key


SettingsDep = Annotated[Settings, Depends(get_settings)]
SessionDep = Annotated[Session, Depends(get_db)]
ModelDep = Annotated[LoadedModel, Depends(get_model)]
HolderDep = Annotated[ModelHolder, Depends(get_holder)]
MetricsDep = Annotated[Metrics, Depends(get_metrics)]
DeskKey = Annotated[ApiKey, Depends(require_scope("desk"))]
ReportingKey = Annotated[ApiKey, Depends(require_scope("reporting"))]
AdminKey = Annotated[ApiKey, Depends(require_scope("admin"))]
