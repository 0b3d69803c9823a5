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
from sqlalchemy.exc import DBAPIError
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


def _body(detail, field: str | None = None) -> dict:
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


async def _http(request: Request, exc: StarletteHTTPException) -> JSONResponse:
    return JSONResponse(status_code=exc.status_code, content=_body(exc.detail, getattr(exc, "field", None)),
                        headers=getattr(exc, "headers", None))


async def _unavailable(request: Request, exc: Exception) -> JSONResponse:
    return JSONResponse(status_code=503, content=_body(str(exc)))


async def _database(request: Request, exc: DBAPIError) -> JSONResponse:
    log.error("database error: %s", exc.__class__.__name__)
    return JSONResponse(status_code=503, content=_body("database unavailable; try again later"))


def install_handlers(app: FastAPI) -> None:
    app.add_exception_handler(RequestValidationError, _validation)
    app.add_exception_handler(StarletteHTTPException, _http)
    app.add_exception_handler(ModelUnavailable, _unavailable)
    app.add_exception_handler(TaskNotTrained, _unavailable)
    app.add_exception_handler(DBAPIError, _database)


class BodyTooLarge(ApiError):
    def __init__(self, limit: int):
        super().__init__(413, f"request body larger than {limit} bytes", field="body")


class GuardMiddleware:
    """Innermost safety net and body-size limit.

    Unexpected exceptions become a JSON 500 and are logged masked, without the traceback's
    exception message (Starlette's own handler would log it raw). Bodies over ``max_body_bytes``
    are refused with 413, by Content-Length or while streaming.
    """

    def __init__(self, app, max_body_bytes: int):
        self.app = app
        self.max_body_bytes = max_body_bytes

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = self.max_body_bytes
        length = dict(scope.get("headers", ())).get(b"content-length")
        if length is not None and length.isdigit() and int(length) > limit:
            await _send_json(send, 413, _body(f"request body larger than {limit} bytes", "body"))
            return
        received = 0
        started = False

        async def limited_receive():
            nonlocal received
            message = await receive()
            received += len(message.get("body", b""))
            if received > limit:
                raise BodyTooLarge(limit)
            return message

        async def tracking_send(message):
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, limited_receive, tracking_send)
        except Exception as exc:  # the last line of defence: a JSON 500, never a raw traceback
            frames = "".join(traceback.format_tb(exc.__traceback__))
            log.error("unhandled %s on %s: %s\n%s", exc.__class__.__name__, scope.get("path"),
                      mask_pii(str(exc))[:500], frames)
            if not started:
                await _send_json(send, 500, _body("internal error; the server log has the details"))


async def _send_json(send, status: int, content: dict) -> None:
    body = json.dumps(content).encode()
    await send({"type": "http.response.start", "status": status,
                "headers": [(b"content-type", b"application/json"), (b"content-length", str(len(body)).encode())]})
    await send({"type": "http.response.body", "body": body})
