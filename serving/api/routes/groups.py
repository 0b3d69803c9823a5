"""GET /v1/complaints/groups (scope: desk): open groups of near-duplicate complaints, largest first.

A desk handles a problem once however many citizens reported it. The groups come from this worker's
index of the complaints stored in the last ``ADUAN_DUPLICATE_WINDOW_DAYS`` days
(serving/complaint_groups.py), refreshed from the database before answering.
"""
from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select

from classifier.duplicate_index import day_to_datetime
from serving.api.deps import DeskKey, SessionDep
from serving.api.routes.common import AUTH_ERRORS
from serving.db.models import Prediction
from serving.schemas import ComplaintGroup, ComplaintGroupsResponse

router = APIRouter(tags=["complaints"], responses=AUTH_ERRORS)


@router.get("/v1/complaints/groups", response_model=ComplaintGroupsResponse)
def complaint_groups(request: Request, key: DeskKey, session: SessionDep,
                     min_size: Annotated[int, Query(ge=2, le=10_000, description="Smallest group listed")] = 2,
                     limit: Annotated[int, Query(ge=1, le=500, description="Groups to return")] = 50,
                     members: Annotated[int, Query(ge=1, le=1000, description="Member ids listed per group")] = 100,
                     ) -> ComplaintGroupsResponse:
    """Groups of near-duplicate complaints (similar text, same kelurahan, at most the window apart) with a
    member in the window, largest first: each with its earliest complaint, which later ones duplicate."""
    index = request.app.state.complaint_groups
    found = index.groups(session, min_size)
    shown = found[:limit]
    first_ids = [g.group_id for g in shown]
    rows = {r.id: r for r in session.execute(select(Prediction.id, Prediction.text, Prediction.outputs)
                                             .where(Prediction.id.in_(first_ids))).all()} if first_ids else {}
    groups = []
    for group in shown:
        row = rows.get(group.group_id)
        outputs = (row.outputs if row is not None else None) or {}
        groups.append(ComplaintGroup(
            group_id=group.group_id, size=group.size, first_created_at=day_to_datetime(group.first_day),
            last_created_at=day_to_datetime(group.last_day), prediction_ids=group.members[:members],
            text=row.text if row is not None else "", topic=(outputs.get("topic") or {}).get("label"),
            agency=(outputs.get("agency") or {}).get("label")))
    return ComplaintGroupsResponse(threshold=index.threshold, window_days=index.window_days, total=len(found),
                                   groups=groups)
