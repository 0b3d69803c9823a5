"""POST /v1/ikm/reports (scope: reporting): an IKM report from survey rows (JSON) or a table upload.

Both ways are bounded before a DataFrame is built (classifier.tables): rows, columns (distinct keys
of the JSON rows) and bytes → 413; an unreadable file or a malformed row → 422 naming the line.
With ``on_bad_lines=skip`` malformed rows are skipped and listed in the report's ``warnings``.
"""
from __future__ import annotations

from typing import Literal

import pandas as pd
from fastapi import APIRouter, Query, Request, Response
from fastapi.concurrency import run_in_threadpool
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse
from pydantic import ValidationError
from starlette.datastructures import UploadFile

from classifier.ikm_report import IkmInputError, IkmReport, build_report, render_html, render_json
from classifier.tables import BAD_LINE_POLICIES, BadRowError, TableError, TableTooLarge, frame_from_records
from serving.api.deps import HolderDep, ReportingKey, SettingsDep
from serving.api.errors import ApiError, field_error
from serving.api.routes.common import AUTH_ERRORS, SIZE_ERRORS
from serving.core.config import Settings
from serving.holder import ModelHolder
from serving.schemas import ErrorBody, IkmOptions, IkmReportRequest
from serving.uploads import read_upload, table_limits

router = APIRouter(tags=["ikm"], responses={**AUTH_ERRORS, **SIZE_ERRORS})

OPTION_FIELDS = ("by", "weight", "population", "comment_col", "sentiment")
UPLOAD_FIELDS = ("file", *OPTION_FIELDS, "on_bad_lines")
MAX_FORM_FIELDS = 20  # room to name unknown fields in a 422 instead of a bare 400

REQUEST_BODY = {
    "required": True,
    "content": {
        "application/json": {"schema": IkmReportRequest.model_json_schema()},
        "multipart/form-data": {"schema": {
            "type": "object",
            "required": ["file"],
            "additionalProperties": False,
            "properties": {
                "file": {"type": "string", "format": "binary",
                         "description": "CSV, TSV, XLSX or JSONL, one row per respondent"},
                "by": {"type": "string", "description": "Columns to group by, comma-separated"},
                "weight": {"type": "string", "enum": ["exact", "0.111"]},
                "population": {"type": "integer", "minimum": 1, "maximum": 1_000_000_000},
                "comment_col": {"type": "string", "minLength": 1, "maxLength": 100},
                "sentiment": {"type": "boolean"},
                "on_bad_lines": {"type": "string", "enum": list(BAD_LINE_POLICIES),
                                 "description": "error (default): a malformed row is a 422 naming its line; "
                                                "skip: skipped and listed in the report's warnings"},
            },
        }},
    },
}


def _invalid(exc: ValidationError, where: str = "body") -> RequestValidationError:
    return RequestValidationError([{**e, "loc": (where, *e["loc"])} for e in exc.errors()])


async def _from_json(request: Request, settings: Settings) -> tuple[pd.DataFrame, IkmOptions, str, list[str]]:
    body = await request.body()
    try:  # in the thread pool, like every step that grows with the survey: the event loop stays free
        params = await run_in_threadpool(IkmReportRequest.model_validate_json, body)
    except ValidationError as exc:
        raise _invalid(exc) from None
    try:
        frame = await run_in_threadpool(frame_from_records, params.rows, table_limits(settings))
    except TableTooLarge as exc:
        raise ApiError(413, f"rows: {exc}", field="rows") from None
    return frame, params, "rows", []


async def _from_upload(request: Request, settings: Settings) -> tuple[pd.DataFrame, IkmOptions, str, list[str]]:
    # The whole body is already bounded (serving/api/body_limits.py); this bounds the file part alone.
    form = await request.form(max_files=1, max_fields=MAX_FORM_FIELDS)
    unknown = sorted(set(form.keys()) - set(UPLOAD_FIELDS))
    if unknown:
        raise field_error(unknown[0], f"unknown form field; expected file and optionally "
                                      f"{', '.join(UPLOAD_FIELDS[1:])}", "extra_forbidden")
    upload = form.get("file")
    if not isinstance(upload, UploadFile):
        raise field_error("file", "missing: upload the survey as the form field 'file'", "missing")
    if upload.size is not None and upload.size > settings.max_upload_bytes:
        raise ApiError(413, f"upload larger than {settings.max_upload_bytes} bytes", field="file")
    raw = {k: form[k] for k in OPTION_FIELDS if isinstance(form.get(k), str) and form[k] != ""}
    if "by" in raw:
        raw["by"] = [c.strip() for c in raw["by"].split(",") if c.strip()]
    try:
        options = IkmOptions.model_validate(raw)
    except ValidationError as exc:
        raise _invalid(exc) from None
    on_bad_lines = form.get("on_bad_lines") or "error"
    if on_bad_lines not in BAD_LINE_POLICIES:
        raise field_error("on_bad_lines", f"expected one of {', '.join(BAD_LINE_POLICIES)}", "enum")
    data = await upload.read()
    try:
        table = await run_in_threadpool(read_upload, upload.filename or "", data, settings, on_bad_lines)
    except TableTooLarge as exc:
        raise ApiError(413, f"file: {exc}", field="file") from None
    except BadRowError as exc:
        raise field_error("file", f"{exc} (send on_bad_lines=skip to skip malformed rows)") from None
    except TableError as exc:
        raise field_error("file", str(exc)) from None
    skipped = table.skipped_summary()
    return table.frame, options, "file", [f"file: {skipped}"] if skipped else []


def _sentiment_fn(holder: ModelHolder, wanted: bool):
    current = holder.current
    if not wanted or current is None:
        return None
    model = current.model
    return lambda texts: [p.label for p in model.sentiment(texts)]


@router.post("/v1/ikm/reports", openapi_extra={"requestBody": REQUEST_BODY}, responses={
    200: {"model": IkmReport, "content": {"text/html": {"schema": {"type": "string"}}},
          "description": "The report as JSON, or as HTML with ?format=html"},
    400: {"model": ErrorBody, "description": "A multipart body that cannot be parsed (the reason is named)"},
    415: {"model": ErrorBody, "description": "Neither JSON nor a multipart upload"},
})
async def ikm_report(request: Request, key: ReportingKey, holder: HolderDep, settings: SettingsDep,
                     format: Literal["json", "html"] = Query("json")) -> Response:
    """IKM (PermenPANRB 14/2017) per group: NRR per unsur, IKM, grade, sentiment and negative themes
    of the comments. Send ``{"rows": [...]}`` as JSON, or a CSV/TSV/XLSX/JSONL file as ``file`` in a
    multipart form (≤ 10 MB, ≤ 100,000 rows, ≤ 200 columns by default)."""
    content_type = request.headers.get("content-type", "").split(";")[0].strip().lower()
    if content_type == "application/json":
        frame, options, source, notes = await _from_json(request, settings)
    elif content_type == "multipart/form-data":
        frame, options, source, notes = await _from_upload(request, settings)
    else:
        raise ApiError(415, "send the survey as application/json or as a multipart/form-data upload",
                       field="Content-Type")
    try:
        report = await run_in_threadpool(build_report, frame, by=options.by,
                                         sentiment=_sentiment_fn(holder, options.sentiment), weight=options.weight,
                                         population=options.population, comment_col=options.comment_col,
                                         max_columns=settings.max_table_columns)
    except IkmInputError as exc:
        raise field_error(source, str(exc)) from None
    report.warnings[:0] = notes  # the rows never read come first
    if format == "html":
        return HTMLResponse(render_html(report))
    return Response(render_json(report), media_type="application/json")
