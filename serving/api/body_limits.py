"""Request body size per route, and UTF-8 for JSON bodies, enforced while the body streams in.

``BodyLimitMiddleware`` (pure ASGI) refuses a body whose Content-Length is over the route's limit
before reading any of it, and counts the chunks of the others (a chunked body has no length), so no
route ever holds more than its limit in memory. The limits are settings (serving.core.config);
the 413 names the limit and the variable that sets it.
"""
from __future__ import annotations

import codecs
from dataclasses import dataclass

from serving.api.errors import ApiError, UndecodableBody, error_body, send_json
from serving.core.config import Settings

# The setting that bounds the body of each route; any other route gets max_small_body_bytes.
ROUTE_LIMITS = {
    "/v1/complaints/classify": "max_classify_body_bytes",
    "/v1/complaints/classify-batch": "max_batch_body_bytes",
    "/v1/sentiment": "max_sentiment_body_bytes",
    "/v1/ikm/reports": "max_ikm_json_bytes",
    "/desk/klasifikasi": "max_classify_body_bytes",  # the desk page's paste box: one complaint, as a form
}
UPLOAD_ROUTES = {"/v1/ikm/reports"}  # multipart there: the uploaded file's limit
FORM_OVERHEAD = 64 * 1024  # boundaries, part headers and the option fields around an uploaded file


@dataclass(frozen=True)
class BodyLimit:
    bytes: int
    setting: str
    field: str

    def error(self) -> ApiError:
        what = "upload" if self.field == "file" else "request body"
        return ApiError(413, f"{what} larger than {self.bytes} bytes (ADUAN_{self.setting.upper()})", field=self.field)


def body_limit(settings: Settings, path: str, content_type: str) -> BodyLimit:
    if path in UPLOAD_ROUTES and content_type == "multipart/form-data":
        limit = BodyLimit(settings.max_upload_bytes + FORM_OVERHEAD, "max_upload_bytes", "file")
    else:
        setting = ROUTE_LIMITS.get(path, "max_small_body_bytes")
        limit = BodyLimit(getattr(settings, setting), setting, "body")
    if settings.max_body_bytes < limit.bytes:
        return BodyLimit(settings.max_body_bytes, "max_body_bytes", limit.field)
    return limit


def _is_json(content_type: str) -> bool:
    # FastAPI parses a body without a Content-Type as JSON too.
    return not content_type or content_type == "application/json" or content_type.endswith("+json")


class BodyLimitMiddleware:
    def __init__(self, app, settings: Settings):
        self.app = app
        self.settings = settings

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        headers = dict(scope["headers"])
        content_type = headers.get(b"content-type", b"").decode("latin-1").split(";")[0].strip().lower()
        limit = body_limit(self.settings, scope["path"], content_type)
        length = headers.get(b"content-length", b"")
        if length.isdigit() and int(length) > limit.bytes:
            error = limit.error()
            await send_json(send, error.status_code, error_body(error.detail, error.field))
            return
        decoder = codecs.getincrementaldecoder("utf-8")() if _is_json(content_type) else None
        received = 0

        async def limited_receive():
            nonlocal received
            message = await receive()
            if message["type"] == "http.request":
                chunk = message.get("body", b"")
                if received + len(chunk) > limit.bytes:
                    raise limit.error()  # an HTTPException: FastAPI's body reading lets it through
                if decoder is not None:
                    try:
                        decoder.decode(chunk, final=not message.get("more_body", False))
                    except UnicodeDecodeError as exc:
                        # exc.object may start with the undecoded tail of the previous chunk.
                        raise UndecodableBody(exc, received - (len(exc.object) - len(chunk))) from None
                received += len(chunk)
            return message

        await self.app(scope, limited_receive, send)
