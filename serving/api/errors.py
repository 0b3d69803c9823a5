"""Every error is JSON: ``{"detail": ..., "field": ...}``, and 422s list each invalid field.

Request bodies are never echoed back or logged: they may hold personal data.
"""
from __future__ import annotations

import json
import logging
import traceback

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse
from sqlalchemy.exc import DBAPIError, SQLAlchemyError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from starlette.exceptions import HTTPException as StarletteHTTPException

from classifier.pii import mask_pii
from classifier.predict import TaskNotTrained
from serving.holder import ModelUnavailable

log = logging.getLogger("aduan.api")


class ApiError(StarletteHTTPException):
    """An HTTP error about one request field."""

    def __init__(self, status_code: int, detail: str, field: str | None = None):
        super().__init__(status_code, detail)
        self.field = field


def field_error(field: str, message: str, kind: str = "value_error") -> RequestValidationError:
    """A 422 in the same shape as pydantic's, for checks made after validation."""
    return RequestValidationError([{"loc": ("body", field), "msg": message, "type": kind}])


def error_body(detail, field: str | None = None) -> dict:
    return {"detail": detail, "field": field} if field else {"detail": detail}


def _field(loc) -> str:
    parts = [str(p) for p in loc]
    if parts and parts[0] in ("body", "query", "path", "header") and len(parts) > 1:
        parts = parts[1:]
    return ".".join(parts)


def validation_errors(errors) -> list[dict]:
    return [{"loc": list(e.get("loc", ())), "field": _field(e.get("loc", ())), "msg": e.get("msg", ""),
             "type": e.get("type", "")} for e in errors]


async def _validation(request: Request, exc: RequestValidationError) -> JSONResponse:
    return JSONResponse(status_code=422, content={"detail": validation_errors(exc.errors())})


class UndecodableBody(StarletteHTTPException):
    """A JSON body that is not UTF-8 (RFC 8259 allows no other encoding): a 422 like malformed JSON."""

    def __init__(self, error: UnicodeDecodeError, offset: int):
        byte = error.object[error.start:error.start + 1].hex()
        super().__init__(422, f"JSON must be UTF-8: invalid byte 0x{byte} at position {offset + error.start}")


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    if isinstance(exc, UndecodableBody):
        return JSONResponse(status_code=422, content={"detail": [
            {"loc": ["body"], "field": "body", "msg": exc.detail, "type": "json_invalid"}]})
    return JSONResponse(status_code=exc.status_code, content=error_body(exc.detail, getattr(exc, "field", None)),
                        headers=getattr(exc, "headers", None))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content=error_body(str(exc)))


# Seconds a client should wait before retrying when the database is busy or unreachable.
RETRY_AFTER_SECONDS = 2


def database_unavailable(exc: SQLAlchemyError) -> JSONResponse:
    """503 + Retry-After: no free connection in the pool (PoolTimeout), or the database failed."""
    if isinstance(exc, PoolTimeout):
        detail = "database busy: no connection free; retry shortly"
    else:
        detail = "database unavailable; retry shortly"
    # The class only: a driver message may quote the SQL and its parameters, i.e. request data.
    log.error("database error: %s", exc.__class__.__name__)
    return JSONResponse(status_code=503, content=error_body(detail), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})


async def _database(request: Request, exc: SQLAlchemyError) -> JSONResponse:
    return database_unavailable(exc)


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ModelUnavailable, _unavailable)
    app.add_exception_handler(TaskNotTrained, _unavailable)
    app.add_exception_handler(DBAPIError, _database)
    app.add_exception_handler(PoolTimeout, _database)


class GuardMiddleware:
    """Innermost safety net: unexpected exceptions become a JSON 500 and are logged masked, without
    the traceback's exception message (Starlette's own handler would log it raw)."""

    def __init__(self, app):
        self.app = app

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, tracking_send)
        except Exception as exc:  # the last line of defence: a JSON 500, never a raw traceback
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("unhandled %s on %s: %s\n%s", exc.__class__.__name__, scope.get("path"),
                      mask_pii(str(exc))[:500], frames)
            if not started:
                await send_json(send, 500, error_body("internal error; the server log has the details"))


async def send_json(send, status: int, content: dict, headers: dict[str, str] | None = None) -> None:
    """Answer from a middleware, without the app (and without reading the request body)."""
    body = json.dumps(content).encode()
    extra = [(k.lower().encode("latin-1"), v.encode("latin-1")) for k, v in (headers or {}).items()]
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode()),
                            *extra]})
    await send({"type": "http.response.body", "body": body})
