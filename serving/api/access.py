"""The API key check, made from the request headers before any byte of the body is read.

``AccessMiddleware`` (pure ASGI) answers 401/403 itself, so a keyless or wrong-scope client costs a
header lookup and, for a presented key, one indexed query, never the parsing of its body. The key
row it found goes into ``scope["state"]``, where the routes' key dependency
(``serving.api.deps.require_scope``) takes it without a second query.

Which scope a route needs is read from the OpenAPI schema the routes produce: each scope is its own
security scheme (``DeskKey``, ``ReportingKey``, ``AdminKey``, all the ``X-API-Key`` header), so the
schema tells clients and this middleware the same thing. Every path under ``/v1`` needs a valid
key, even one no route matches (404/405 come after the key check and tell a stranger nothing);
``/metrics`` needs one when ``Settings.metrics_scope`` names a scope.
"""
from __future__ import annotations

import re

from fastapi import FastAPI
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from serving.api.errors import ApiError, database_unavailable, error_body, send_json
from serving.db.models import ApiKey
from serving.keys import SCOPES, find_key

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


def scheme_name(scope: str) -> str:
    """The OpenAPI security scheme of the routes that need ``scope``."""
    return f"{scope.capitalize()}Key"


def operation_scopes(openapi: dict, metrics_scope: str | None) -> list[tuple[re.Pattern, str, str | None]]:
    """(path pattern, method, scope) of every operation of the schema; scope None: public or any key."""
    by_scheme = {scheme_name(scope): scope for scope in SCOPES}
    operations = []
    for path, methods in openapi.get("paths", {}).items():
        pattern = re.compile("^" + re.sub(r"\\\{[^/]+?\\\}", "[^/]+", re.escape(path)) + "$")
        for method, operation in methods.items():
            schemes = [name for requirement in operation.get("security", []) for name in requirement]
            scope = next((by_scheme[name] for name in schemes if name in by_scheme), None)
            operations.append((pattern, method.upper(), metrics_scope if path == METRICS_PATH else scope))
    return operations


class AccessMiddleware:
    def __init__(self, app, api: FastAPI, sessions: sessionmaker[Session], metrics_scope: str | None = None):
        self.app = app
        self.api = api  # its routes are added after the middleware, so the schema is read on first use
        self.sessions = sessions
        self.metrics_scope = metrics_scope
        self._operations: list[tuple[re.Pattern, str, str | None]] | None = None

    def _required(self, scope) -> tuple[bool, str | None]:
        """(whether a key is needed, the scope it must have) for this request."""
        if self._operations is None:
            self._operations = operation_scopes(self.api.openapi(), self.metrics_scope)
        path = scope["path"].removeprefix(scope.get("root_path", ""))  # the schema's paths exclude a root path
        method = "GET" if scope["method"] == "HEAD" else scope["method"]
        protected = path.startswith(PROTECTED_PREFIX)
        for pattern, operation_method, required in self._operations:
            if operation_method == method and pattern.match(path):
                return protected or required is not None, required
        return protected, None

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
