"""The desk page's review queue: which stored complaints to show, in which order, and how.

Unreviewed complaints (no feedback yet) are read newest first, at most ``SCAN`` of them within the
date filter, then filtered and ordered here: those the model flagged ``needs_review`` first, then
by urgency (tinggi first) and by age (the longest waiting first); or, with ``order="aktif"``, by
the review queue's active-learning score (serving/api/routes/review_queue.py), the complaints a
review would teach the next retrain most.

Each row's text is cut into segments that mark the words the model cited: the stored urgency
reasons, and the topic / agency cue words the served model gives when it reads the stored (masked)
text again, kept only when it still gives the stored label.
"""
from __future__ import annotations

import re
from dataclasses import dataclass, field, replace
from datetime import date, datetime, time, timedelta, timezone
from itertools import groupby
from urllib.parse import urlencode

from sqlalchemy import exists, select
from sqlalchemy.orm import Session

from classifier.gazetteer import compact
from serving.api.routes.review_queue import known_words, novelty, uncertainty
from serving.db.models import FORM_FIELDS, Feedback, Prediction
from serving.holder import LoadedModel

FIELDS = ("topic", "agency", "urgency")
FIELD_NAMES = {"topic": "Topik", "agency": "Instansi", "urgency": "Urgensi"}
LEVELS = ("high", "medium", "low")
LEVEL_NAMES = {"high": "tinggi", "medium": "sedang", "low": "rendah"}
ORDERS = {"tinjau": "Perlu ditinjau, urgensi, terlama", "aktif": "Paling mengajari model (active learning)"}
URGENCY_RANK = {"tinggi": 0, "sedang": 1, "rendah": 2}
SCAN = 2000
PAGE_SIZE = 20


class FilterError(ValueError):
    """A filter value the page cannot use; ``field`` names the query parameter."""

    def __init__(self, field_name: str, message: str):
        super().__init__(message)
        self.field = field_name


@dataclass(frozen=True)
class QueueFilters:
    field: str = ""  # topic / agency / urgency, with level: that field's confidence level
    level: str = ""
    agency: str = ""
    date_from: date | None = None
    date_to: date | None = None
    order: str = "tinjau"
    page: int = 1

    @classmethod
    def from_query(cls, query) -> "QueueFilters":
        def one(name: str, allowed) -> str:
            value = (query.get(name) or "").strip()
            if value and value not in allowed:
                raise FilterError(name, f"{name}: pilih salah satu dari {', '.join(allowed)}")
            return value

        def day(name: str) -> date | None:
            value = (query.get(name) or "").strip()
            try:
                return date.fromisoformat(value) if value else None
            except ValueError:
                raise FilterError(name, f"{name}: tanggal harus berbentuk YYYY-MM-DD") from None

        page = (query.get("halaman") or "1").strip()
        if not page.isdigit() or not 1 <= int(page) <= 10_000:
            raise FilterError("halaman", "halaman: bilangan 1 sampai 10000")
        agency = " ".join((query.get("instansi") or "").split())[:200]
        return cls(field=one("bidang", FIELDS), level=one("keyakinan", LEVELS), agency=agency,
                   date_from=day("dari"), date_to=day("sampai"), order=one("urutan", ORDERS) or "tinjau",
                   page=int(page))

    def query(self, **changes) -> str:
        """The query string of these filters (with ``changes``), empty values left out."""
        current = replace(self, **changes)
        values = {"bidang": current.field, "keyakinan": current.level, "instansi": current.agency,
                  "dari": current.date_from.isoformat() if current.date_from else "",
                  "sampai": current.date_to.isoformat() if current.date_to else "",
                  "urutan": "" if current.order == "tinjau" else current.order,
                  "halaman": "" if current.page == 1 else str(current.page)}
        return urlencode({k: v for k, v in values.items() if v})


@dataclass
class FieldView:
    label: str
    confidence: float
    level: str | None
    top: list[tuple[str, float]]
    unresolved: bool = False


@dataclass
class QueueRow:
    id: str
    created_at: datetime
    text: str
    needs_review: bool
    fields: dict[str, FieldView]
    reasons: list[str]
    language: str
    location: dict[str, str]
    group_id: str | None = None
    duplicate_of: str | None = None
    score: float | None = None
    cues: dict[str, list[str]] = field(default_factory=dict)
    segments: list[tuple[str, str | None]] = field(default_factory=list)


@dataclass
class QueuePage:
    rows: list[QueueRow]
    matching: int  # unreviewed complaints that pass the filters (among those scanned)
    scanned: int
    pages: int


def _field_view(output: dict | None) -> FieldView | None:
    if not output or output.get("label") is None:
        return None
    top = [(s["label"], float(s["confidence"])) for s in output.get("top") or []][:3]
    return FieldView(label=output["label"], confidence=float(output.get("confidence") or 0.0),
                     level=output.get("level"), top=top or [(output["label"], float(output.get("confidence") or 0))],
                     unresolved=bool(output.get("unresolved")))


def queue_row(prediction: Prediction, score: float | None = None) -> QueueRow:
    outputs = prediction.outputs or {}
    fields = {name: view for name in FIELDS if (view := _field_view(outputs.get(name))) is not None}
    # Near-duplicate links, when the stored prediction has them (a column or a key of the outputs).
    group_id = getattr(prediction, "group_id", None) or outputs.get("group_id")
    duplicate_of = getattr(prediction, "duplicate_of", None) or outputs.get("duplicate_of")
    return QueueRow(id=prediction.id, created_at=_utc(prediction.created_at), text=prediction.text,
                    needs_review=bool(prediction.needs_review), fields=fields,
                    reasons=list((outputs.get("urgency") or {}).get("reasons") or []),
                    language=str(outputs.get("language") or ""),
                    location={f: getattr(prediction, f) for f in FORM_FIELDS if getattr(prediction, f, None)},
                    group_id=str(group_id) if group_id else None,
                    duplicate_of=str(duplicate_of) if duplicate_of else None, score=score)


def _utc(moment: datetime) -> datetime:
    return moment if moment.tzinfo else moment.replace(tzinfo=timezone.utc)


def _passes(row: QueueRow, filters: QueueFilters) -> bool:
    if filters.level:
        fields = [filters.field] if filters.field else list(row.fields)
        if not any(row.fields.get(f) and row.fields[f].level == filters.level for f in fields):
            return False
    elif filters.field and filters.field not in row.fields:
        return False
    if filters.agency:
        agency = row.fields.get("agency")
        if agency is None or compact(filters.agency) not in compact(agency.label):
            return False
    return True


def _review_order(row: QueueRow) -> tuple:
    urgency = row.fields.get("urgency")
    return (not row.needs_review, URGENCY_RANK.get(urgency.label if urgency else "", len(URGENCY_RANK)),
            row.created_at, row.id)


def load_queue(session: Session, loaded: LoadedModel | None, filters: QueueFilters,
               pinned: str | None = None) -> QueuePage:
    """One page of the queue; ``pinned``: a prediction id shown first whatever the filters (the
    complaint just classified from the paste box), while it is unreviewed."""
    reviewed = exists(select(Feedback.id).where(Feedback.prediction_id == Prediction.id))
    query = select(Prediction).where(~reviewed)
    if filters.date_from:
        query = query.where(Prediction.created_at >= datetime.combine(filters.date_from, time(), timezone.utc))
    if filters.date_to:
        end = datetime.combine(filters.date_to + timedelta(days=1), time(), timezone.utc)
        query = query.where(Prediction.created_at < end)
    predictions = session.scalars(query.order_by(Prediction.created_at.desc(), Prediction.id).limit(SCAN)).all()
    scores = _active_scores(predictions, loaded) if filters.order == "aktif" else {}
    rows = [r for p in predictions if _passes(r := queue_row(p, scores.get(p.id)), filters)]
    if filters.order == "aktif" and scores:
        rows.sort(key=lambda r: (-(r.score or 0.0), r.id))
    else:
        rows.sort(key=_review_order)
    if pinned:
        first = session.get(Prediction, pinned)
        if first is not None and not session.scalar(select(exists().where(Feedback.prediction_id == pinned))):
            rows = [queue_row(first)] + [r for r in rows if r.id != pinned]
    pages = max(1, -(-len(rows) // PAGE_SIZE))
    start = (min(filters.page, pages) - 1) * PAGE_SIZE
    shown = rows[start:start + PAGE_SIZE]
    if loaded is not None:
        add_cues(shown, loaded)
    for row in shown:
        row.segments = highlight(row.text, row.reasons, row.cues)
    return QueuePage(rows=shown, matching=len(rows), scanned=len(predictions), pages=pages)


def _active_scores(predictions, loaded: LoadedModel | None) -> dict[str, float]:
    """The review queue's score (mean of uncertainty and novelty) of each prediction."""
    if loaded is None or not predictions:
        return {}
    bundle = loaded.model.bundle
    vocabulary = known_words(bundle)
    normalized = bundle.normalizer.transform([p.text for p in predictions])
    return {p.id: round((uncertainty(p.outputs or {}) + novelty(text, vocabulary)) / 2, 4)
            for p, text in zip(predictions, normalized)}


def add_cues(rows: list[QueueRow], loaded: LoadedModel) -> None:
    """Topic and agency cue words of the served model for each row's stored text, where it still
    gives the stored label (an older model's answer is not explained by the new one's words)."""
    if not rows:
        return
    records = [{"text": r.text, **r.location} for r in rows]
    for row, prediction in zip(rows, loaded.model.predict(records, explain=True)):
        for task in ("topic", "agency"):
            result, stored = getattr(prediction, task, None), row.fields.get(task)
            if result is not None and stored is not None and result.label == stored.label:
                row.cues[task] = [w for w in (getattr(result, "explanation", None) or []) if " " not in w]


HIGHLIGHT_ORDER = ("urgency", "topic", "agency")  # where marks overlap, the first wins


def highlight(text: str, reasons: list[str], cues: dict[str, list[str]]) -> list[tuple[str, str | None]]:
    """``text`` as (piece, kind) segments, kind ``urgency`` / ``topic`` / ``agency`` for cited words."""
    kinds: list[str | None] = [None] * len(text)
    patterns = {"urgency": [re.escape(r) for r in reasons if r.strip()],
                **{task: [r"\b" + re.escape(w) + r"\b" for w in cues.get(task, []) if w.strip()]
                   for task in ("topic", "agency")}}
    for kind in reversed(HIGHLIGHT_ORDER):  # later writes win: urgency is written last
        for pattern in patterns[kind]:
            for match in re.finditer(pattern, text, flags=re.IGNORECASE):
                kinds[match.start():match.end()] = [kind] * (match.end() - match.start())
    segments, start = [], 0
    for kind, run in groupby(kinds):
        length = sum(1 for _ in run)
        segments.append((text[start:start + length], kind))
        start += length
    return segments


def age_text(moment: datetime, now: datetime | None = None) -> str:
    """How long ago, in Indonesian ("baru saja", "5 menit lalu", "3 jam lalu", "2 hari lalu")."""
    seconds = max(0, ((now or datetime.now(timezone.utc)) - _utc(moment)).total_seconds())
    for unit, size in (("hari", 86400), ("jam", 3600), ("menit", 60)):
        if seconds >= size:
            return f"{int(seconds // size)} {unit} lalu"
    return "baru saja"
