"""Reviewed complaints from the API's feedback store, as training examples for `aduan retrain`.

Every reviewed field of a stored prediction is an example: a correction, an explicit accept, and
(``[retrain] unchanged_after_days`` > 0) a predicted field nobody changed in that many days. For each
(prediction, field) the latest feedback wins. Texts and form fields are the stored, masked ones.
"""
from __future__ import annotations

import sys
from datetime import datetime, timedelta, timezone
from pathlib import Path

from sqlalchemy import inspect, make_url, select

from serving.db.migrate import upgrade
from serving.db.models import Feedback, Prediction
from serving.db.session import make_engine
from training.config import RetrainConfig
from training.reviews import ReviewedExample

FIELDS = ("topic", "agency", "urgency")


def _warn(message: str) -> None:
    print(f"aduan: warning: {message}", file=sys.stderr)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)  # SQLite keeps no zone


def _example(prediction: Prediction, task: str, label: str, kind: str, new_label: bool = False) -> ReviewedExample:
    return ReviewedExample(prediction.id, task, prediction.text, label, kind, _utc(prediction.created_at), new_label,
                           prediction.alamat, prediction.kecamatan, prediction.kelurahan, prediction.known_topic)


def load_reviewed(url: str, policy: RetrainConfig | None = None, now: datetime | None = None) -> list[ReviewedExample]:
    """The reviewed examples in the store at ``url``; none (with a warning) when there is no store."""
    policy = policy or RetrainConfig()
    parsed = make_url(url)
    shown = parsed.render_as_string(hide_password=True)
    if parsed.drivername.startswith("sqlite") and parsed.database and not Path(parsed.database).is_file():
        _warn(f"no feedback store at {shown}: training without reviewed complaints")
        return []
    engine = make_engine(url)
    try:
        if not inspect(engine).has_table(Feedback.__tablename__):
            _warn(f"no feedback table at {shown}: training without reviewed complaints")
            return []
        upgrade(url)  # a store written before the kind / new_label / form-field columns (as the API does)
        with engine.connect() as connection:
            rows = connection.execute(select(Feedback.prediction_id, Feedback.field, Feedback.kind,
                                             Feedback.correct_value, Feedback.new_label)
                                      .order_by(Feedback.created_at, Feedback.id)).all()
            latest = {(p, f): (kind, value, new) for p, f, kind, value, new in rows}  # later wins
            reviewed_ids = {p for p, _ in latest}
            predictions = {p.id: p for p in _predictions(connection, reviewed_ids, policy, now)}
    finally:
        engine.dispose()
    examples = [_example(predictions[p], field, value, kind, bool(new))
                for (p, field), (kind, value, new) in latest.items() if p in predictions]
    if policy.unchanged_after_days:
        cutoff = _utc(now or datetime.now(timezone.utc)) - timedelta(days=policy.unchanged_after_days)
        for prediction in predictions.values():
            if _utc(prediction.created_at) > cutoff:
                continue
            for field in FIELDS:
                label = (prediction.outputs.get(field) or {}).get("label")
                if label and (prediction.id, field) not in latest:
                    examples.append(_example(prediction, field, label, "unchanged"))
    return examples


def _predictions(connection, reviewed_ids: set[str], policy: RetrainConfig, now: datetime | None):
    """The reviewed predictions, and with ``unchanged_scope = "all"`` every one old enough."""
    query = select(Prediction)
    if policy.unchanged_after_days and policy.unchanged_scope == "all":
        cutoff = _utc(now or datetime.now(timezone.utc)) - timedelta(days=policy.unchanged_after_days)
        found = list(connection.execute(query.where(Prediction.created_at <= cutoff)).all())
        missing = reviewed_ids - {row.id for row in found}
    else:
        found, missing = [], reviewed_ids
    ids = sorted(missing)
    for start in range(0, len(ids), 500):  # bounded IN lists
        found += connection.execute(query.where(Prediction.id.in_(ids[start:start + 500]))).all()
    return found
