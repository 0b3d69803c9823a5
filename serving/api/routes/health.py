"""GET /healthz (alive), /readyz (model loaded and database reachable), /metrics (Prometheus)."""
from __future__ import annotations

from fastapi import APIRouter, Request, Response
from fastapi.responses import JSONResponse
from sqlalchemy import text
from sqlalchemy.exc import DBAPIError

from serving.api.deps import HolderDep, MetricsDep
from serving.metrics import CONTENT_TYPE
from serving.schemas import Health, Readiness

router = APIRouter(tags=["operations"])


@router.get("/healthz", response_model=Health)
def healthz() -> Health:
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
    except DBAPIError as exc:
        problems.append(f"database unreachable ({exc.__class__.__name__})")
    body = Readiness(status="not ready" if problems else "ready",
                     model_version=current.model.version if current else None, problems=problems)
    return JSONResponse(body.model_dump(), status_code=503 if problems else 200)


@router.get("/metrics", response_class=Response, responses={200: {"content": {"text/plain": {}}}})
def metrics(metrics: MetricsDep) -> Response:
    return Response(metrics.render(), media_type=CONTENT_TYPE)
