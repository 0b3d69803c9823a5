"""GET /healthz (alive), /readyz (model loaded and database reachable), /metrics (Prometheus).

They are public: /readyz tells which model this worker serves and its pid (with several workers
each answers for itself), never a path or an exception, which go to the log. /metrics needs a key
only when ADUAN_METRICS_SCOPE names a scope (AccessMiddleware checks it).
"""
from __future__ import annotations

import logging
import os

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import SQLAlchemyError

from serving.api.deps import HolderDep, MetricsDep
from serving.api.routes.common import AUTH_ERRORS
from serving.metrics import CONTENT_TYPE
from serving.schemas import Health, Readiness

log = logging.getLogger("aduan.api")
router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
async def healthz() -> Health:
    # async: answered on the event loop, without waiting for a thread of the (maybe busy) pool.
    return Health(status="ok")


@router.get("/readyz", response_model=Readiness, responses={503: {"model": Readiness}})
def readyz(request: Request, holder: HolderDep):
    problems = []
    current = holder.current
    if current is None:
        problems.append(holder.unavailable_reason)
    try:
        with request.app.state.sessions() as session:
            session.execute(text("SELECT 1"))
    except SQLAlchemyError as exc:
        log.error("readiness: database unreachable: %s", exc.__class__.__name__)
        problems.append("database unreachable")
    body = Readiness(status="not ready" if problems else "ready", pid=os.getpid(),
                     model_version=current.model.version if current else None, problems=problems)
    return JSONResponse(body.model_dump(), status_code=503 if problems else 200)


@router.get("/metrics", response_class=Response, responses={
    200: {"content": {"text/plain": {"schema": {"type": "string"}}}, "description": "Prometheus text format"},
    **{status: {**answer, "description": answer["description"] + " (only when ADUAN_METRICS_SCOPE is set)"}
       for status, answer in AUTH_ERRORS.items()}})
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)
