"""The API key check, made from the request headers before any byte of the body is read.

``AccessMiddleware`` (pure ASGI) answers 401/403 itself, so a keyless or wrong-scope client costs a
header lookup and, for a presented key, one indexed query, never the parsing of its body. The key
row it found goes into ``scope["state"]``, where the routes' key dependency
(``serving.api.deps.require_scope``) takes it without a second query.

Which scope a route needs is read from the route itself: the ``required_scope`` of its key
dependency. Every path under ``/v1`` needs a valid key, even one no route matches (404/405 come
after the key check and tell a stranger nothing); ``/metrics`` needs one when
``Settings.metrics_scope`` names a scope.
"""
from __future__ import annotations

from fastapi.dependencies.models import Dependant
from fastapi.routing import APIRoute
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.routing import Match, Router

from serving.api.errors import ApiError, database_unavailable, error_body, send_json
from serving.db.models import ApiKey
from serving.keys import find_key

KEY_HEADER = b"x-api-key"
KEY_STATE = "api_key"  # scope["state"][KEY_STATE]: the ApiKey row of the request
PROTECTED_PREFIX = "/v1/"
METRICS_PATH = "/metrics"


def missing_key() -> ApiError:
    return ApiError(401, "missing API key: send it in the X-API-Key header", field="X-API-Key")


def check_scope(row: ApiKey, scope: str | None) -> ApiKey:
    if scope is not None and scope not in row.scope_set:
        raise ApiError(403, f"this API key lacks the {scope!r} scope (it has: {row.scopes})", field="X-API-Key")
    return row


def authenticate(sessions: sessionmaker[Session], presented: str | None, scope: str | None) -> ApiKey:
    """The active key row for ``presented`` that has ``scope`` (None: any key), else a 401/403 ApiError."""
    if not presented:
        raise missing_key()
    # A session of its own, closed at once: it must not hold a pooled connection through the request.
    with sessions() as session:
        row = find_key(session, presented)
    if row is None:
        raise ApiError(401, "invalid or revoked API key", field="X-API-Key")
    return check_scope(row, scope)


def _scope_of(dependant: Dependant) -> str | None:
    for dependency in dependant.dependencies:
        found = getattr(dependency.call, "required_scope", None) or _scope_of(dependency)
        if found:
            return found
    return None


def route_scopes(router: Router, metrics_scope: str | None) -> list[tuple[APIRoute, str | None]]:
    """Each route with the scope its key dependency requires (None: public, or any valid key under /v1)."""
    return [(route, metrics_scope if route.path == METRICS_PATH else _scope_of(route.dependant))
            for route in router.routes if isinstance(route, APIRoute)]


class AccessMiddleware:
    def __init__(self, app, router: Router, sessions: sessionmaker[Session], metrics_scope: str | None = None):
        self.app = app
        self.router = router  # its routes are added after the middleware, so they are read on first use
        self.sessions = sessions
        self.metrics_scope = metrics_scope
        self._scopes: list[tuple[APIRoute, str | None]] | None = None

    def _required(self, scope) -> tuple[bool, str | None]:
        """(whether a key is needed, the scope it must have) for this request."""
        if self._scopes is None:
            self._scopes = route_scopes(self.router, self.metrics_scope)
        for route, required in self._scopes:
            match, _ = route.matches(scope)
            if match is Match.FULL:
                return required is not None or scope["path"].startswith(PROTECTED_PREFIX), required
        return scope["path"].startswith(PROTECTED_PREFIX), None

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        needed, required = self._required(scope)
        if not needed:
            await self.app(scope, receive, send)
            return
        presented = next((v.decode("latin-1") for k, v in scope["headers"] if k == KEY_HEADER), None)
        try:
            if not presented:  # no thread hop for the commonest refusal
                raise missing_key()
            row = await run_in_threadpool(authenticate, self.sessions, presented, required)
        except ApiError as exc:
            await send_json(send, exc.status_code, error_body(exc.detail, exc.field))
            return
        except SQLAlchemyError as exc:  # outside the app's exception handlers: answer here
            await database_unavailable(exc)(scope, receive, send)
            return
        scope.setdefault("state", {})[KEY_STATE] = row
        await self.app(scope, receive, send)
