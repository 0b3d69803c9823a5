"""Near-duplicate groups of the stored complaints, one in-memory index per worker.

Each worker's ``DuplicateIndex`` (classifier/duplicate_index.py) is rebuilt from the database the
first time it is needed and again when the UTC day changes (which also drops complaints older than
the window), learning its IDF from the stored complaints of the window created before that day's
start: workers that rebuild on the same day learn the same IDF from the same rows. Between
rebuilds it adds the complaints this worker classifies as they come, and the rows other workers
stored since its newest one before each classify (and, at most every ``REFRESH_SECONDS`` and before
the groups listing, those of the last ``GRACE_SECONDS`` before it, so that a transaction that
committed late is not missed). Every row is checked against all rows held, whoever added it, so every worker ends up
with the same groups. What a worker can miss is a duplicate another worker is storing at the same
moment: that classify answer lacks ``duplicate_of``; the groups link the two at the next refresh.
"""
from __future__ import annotations

import threading
import time
from datetime import datetime, timedelta, timezone
from typing import Callable, Sequence

import pandas as pd
from sqlalchemy import select
from sqlalchemy.orm import Session

from classifier.duplicate_index import DuplicateIndex, DuplicateMatch, Group
from serving.db.models import Prediction, utcnow

# Where a worker's ComplaintGroups travels: in the info of every database session (serving.main).
GROUPS_KEY = "complaint_groups"
REFRESH_SECONDS = 1.0
GRACE_SECONDS = 10.0
ID_CHUNK = 500
COLUMNS = (Prediction.id, Prediction.created_at, Prediction.text, Prediction.kelurahan, Prediction.kecamatan,
           Prediction.alamat)


def as_utc(moment: datetime) -> datetime:
    """SQLite gives stored times back without their offset: they are UTC."""
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _frame(rows) -> pd.DataFrame:
    frame = pd.DataFrame([tuple(r) for r in rows],
                         columns=["id", "created_at", "text", "kelurahan", "kecamatan", "alamat"])
    frame["created_at"] = [as_utc(t).isoformat() for t in frame["created_at"]]
    return frame.sort_values(["created_at", "id"], kind="stable").reset_index(drop=True)


class ComplaintGroups:
    def __init__(self, threshold: float, window_days: float, clock: Callable[[], datetime] = utcnow):
        self.threshold = threshold
        self.window_days = window_days
        self.clock = clock
        self._lock = threading.Lock()
        self.index: DuplicateIndex | None = None
        self.day = None
        self.newest: datetime | None = None  # the newest created_at held
        self.refreshed_at = 0.0  # time.monotonic() of the last refresh

    def invalidate(self) -> None:
        """Rebuild at the next use (an insert the index already holds failed)."""
        with self._lock:
            self.index = None

    def refresh(self, session: Session, force: bool = False) -> None:
        with self._lock:
            self._refresh(session, force)

    def _refresh(self, session: Session, force: bool) -> None:
        now = self.clock()
        if self.index is None or now.date() != self.day:
            self._rebuild(session, now)
            self.refreshed_at = time.monotonic()
            return
        newest = self.newest or now - timedelta(days=self.window_days)
        if force or time.monotonic() - self.refreshed_at >= REFRESH_SECONDS:
            # Now and then look back: a row another worker stored just before one of ours commits later.
            since, self.refreshed_at = newest - timedelta(seconds=GRACE_SECONDS), time.monotonic()
            seen = session.execute(select(Prediction.id).where(Prediction.created_at >= since)).scalars().all()
        else:  # every time: the rows newer than the newest held (usually none, or the other workers' last ones)
            seen = session.execute(select(Prediction.id).where(Prediction.created_at > newest)).scalars().all()
        unseen = [i for i in seen if i not in self.index]
        for start in range(0, len(unseen), ID_CHUNK):
            rows = session.execute(select(*COLUMNS).where(Prediction.id.in_(unseen[start:start + ID_CHUNK]))).all()
            records = _frame(rows).to_dict("records")
            self.index.add_many(records)
            for record in records:
                self._saw(record["created_at"])

    def _rebuild(self, session: Session, now: datetime) -> None:
        start = now - timedelta(days=self.window_days)
        rows = session.execute(select(*COLUMNS).where(Prediction.created_at >= start)).all()
        day_start = datetime(now.year, now.month, now.day, tzinfo=timezone.utc)
        self.index = DuplicateIndex(self.threshold, self.window_days).rebuild(_frame(rows), fit_before=day_start)
        self.day = now.date()
        self.newest = max((as_utc(r.created_at) for r in rows), default=None)

    def _saw(self, created_at) -> None:
        moment = as_utc(datetime.fromisoformat(created_at)) if isinstance(created_at, str) else as_utc(created_at)
        self.newest = max(self.newest, moment) if self.newest else moment

    def add(self, session: Session, complaints: Sequence[dict]) -> list[DuplicateMatch | None]:
        """Check and hold new complaints (``id``, masked ``text``, ``created_at``, ``kelurahan``,
        ``kecamatan``, ``alamat``), in order: a complaint can duplicate an earlier one of the same batch."""
        with self._lock:
            self._refresh(session, force=False)
            matches = self.index.add_many(list(complaints))
            for c in complaints:
                self._saw(c["created_at"])
            return matches

    def groups(self, session: Session, min_size: int = 2) -> list[Group]:
        """Open groups (a member within the window), largest first."""
        with self._lock:
            self._refresh(session, force=True)
            return self.index.groups(min_size, active_since=self.clock() - timedelta(days=self.window_days))
