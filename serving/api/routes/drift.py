"""GET /v1/reports/drift (scope: reporting): the complaints of the last days against what the served
model was trained on (classifier/drift.py), as JSON or, with ``?format=html``, one offline page.

The current side is the stored predictions of the period (their masked texts normalized as the model
normalizes, their stored labels and confidences); the reference is the served model's model.json.
The headline figures also go to /metrics (``aduan_drift_psi``, ``aduan_drift``).
"""
from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from fastapi import APIRouter, Query
from fastapi.responses import HTMLResponse, Response
from sqlalchemy import select

from classifier.drift import TASKS, Current, DriftInputError, Reference, build_report
from classifier.drift_report import render_html, render_json
from serving.api.deps import MetricsDep, ModelDep, ReportingKey, SessionDep
from serving.api.errors import ApiError
from serving.api.routes.common import AUTH_ERRORS, MODEL_ERRORS
from serving.complaint_groups import as_utc
from serving.db.models import Prediction, utcnow
from serving.schemas import ErrorBody, DriftReportResponse

router = APIRouter(tags=["reports"], responses={**AUTH_ERRORS, **MODEL_ERRORS})
MAX_ROWS = 50_000  # the newest complaints of the period, at most: normalizing costs about 0.2 ms each


@router.get("/v1/reports/drift", response_model=DriftReportResponse, responses={
    200: {"content": {"text/html": {"schema": {"type": "string"}}},
          "description": "The report as JSON, or as HTML with ?format=html"},
    409: {"model": ErrorBody, "description": "The served model keeps no training label mix or vocabulary"}})
def drift_report(key: ReportingKey, loaded: ModelDep, session: SessionDep, metrics: MetricsDep,
                 days: Annotated[int, Query(ge=1, le=366, description="The period: the last N days")] = 30,
                 format: Literal["json", "html"] = Query("json")) -> Response:
    """Predicted label mix per task against the training mix (PSI, chi-square, the labels that moved),
    confidence, needs-review share, words unseen in training, new frequent phrases and a monthly
    timeline of the stored complaints of the last ``days`` days; and whether to retrain."""
    bundle = loaded.model.bundle
    try:
        reference = Reference.from_metadata(bundle.metadata, f"model {loaded.model.version}")
    except DriftInputError as exc:
        # The server works; this model cannot answer (trained before it kept its training mix): a
        # client error with the remedy, not a 5xx that monitoring would page on.
        raise ApiError(409, str(exc)) from None
    rows = session.execute(select(Prediction.created_at, Prediction.text, Prediction.outputs, Prediction.needs_review)
                           .where(Prediction.created_at >= utcnow() - timedelta(days=days))
                           .order_by(Prediction.created_at.desc()).limit(MAX_ROWS)).all()[::-1]
    tasks = [t for t in TASKS if t in reference.label_counts and any((r.outputs or {}).get(t) for r in rows)]
    answers = {t: [(r.outputs or {}).get(t) or {} for r in rows] for t in tasks}
    current = Current(
        normalized=[str(t) for t in bundle.normalizer.transform([r.text for r in rows])] if rows else [],
        labels={t: [a.get("label") or "" for a in answers[t]] for t in tasks},
        confidences={t: [float(a.get("confidence", float("nan"))) for a in answers[t]] for t in tasks},
        needs_review=[bool(r.needs_review) for r in rows], created_at=[as_utc(r.created_at) for r in rows],
        source=f"stored predictions of the last {days} days")
    report = build_report(reference, current)
    metrics.observe_drift(report)
    if format == "html":
        return HTMLResponse(render_html(report))
    return Response(render_json(report), media_type="application/json")
