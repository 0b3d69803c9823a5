"""`aduan drift`: a file of complaints against what the served (or a named) model was trained on.

    aduan drift --current NEW.csv [--reference MODEL_DIR_OR_LABELED_CSV] [--model DIR] [-o drift.html|.json]

The current file needs a text column; ``created_at`` (or ``--date-col``) gives the monthly timeline.
When it already holds `aduan predict`'s columns (``topic``, ``topic_confidence``, ..., ``needs_review``)
they are used as they are; otherwise the model predicts them. The reference is the model's
``model.json`` (training label mix and vocabulary), another model directory, or a labeled table with
a text column and label columns named ``topic``, ``agency`` and/or ``urgency``.
"""
from __future__ import annotations

import json
from functools import partial
from pathlib import Path

import numpy as np
import pandas as pd

from aduan.parallel import map_ordered
from classifier.drift import TASKS, Current, DriftInputError, Reference
from classifier.model import METADATA_FILE

BATCH = 2000
DRIFT_OUTPUTS = (".html", ".json")


def model_reference(directory: Path) -> Reference:
    path = directory / METADATA_FILE
    if not path.is_file():
        raise DriftInputError(f"--reference {directory}: no {METADATA_FILE} there (a model directory or a labeled table)")
    return Reference.from_metadata(json.loads(path.read_text(encoding="utf-8")), f"model {directory.name}")


def labeled_reference(frame: pd.DataFrame, source: str, text_col: str, normalizer) -> Reference:
    if text_col not in frame.columns:
        raise DriftInputError(f"{source}: no {text_col!r} column (columns present: {', '.join(frame.columns)})")
    labels = {task: frame[task].fillna("").astype(str).tolist() for task in TASKS if task in frame.columns}
    if not labels:
        raise DriftInputError(f"{source}: no label column; name them {', '.join(TASKS)}")
    return Reference.from_labeled(normalizer.transform(frame[text_col].fillna("").astype(str).tolist()), labels, source)


def parse_dates(frame: pd.DataFrame, column: str, source: str) -> list | None:
    if column not in frame.columns:
        return None
    text = frame[column].fillna("").astype(str).str.strip()
    parsed = pd.to_datetime(text, format="ISO8601", utc=True, errors="coerce")
    bad = np.flatnonzero(parsed.isna().to_numpy())
    if len(bad):
        raise DriftInputError(f"{source}: {column}: row {bad[0] + 1}: {text.iloc[bad[0]][:40]!r} is not an ISO date "
                              f"or date-time ({len(bad)} such row(s))")
    return list(parsed.dt.to_pydatetime())


def predicted_rows(model, records: list[dict]) -> list[tuple]:
    """(normalized text, {task: (label, confidence)}, needs_review) per record; runs in worker processes."""
    predictions = model.predict(records)
    normalized = model.bundle.normalizer.transform([r["text"] for r in records])
    return [(str(text), {t: (getattr(p, t).label, getattr(p, t).confidence) for t in TASKS if getattr(p, t)},
             bool(p.needs_review)) for text, p in zip(normalized, predictions)]


def current_predictions(frame: pd.DataFrame, source: str, text_col: str, date_col: str, model, jobs: int) -> Current:
    if text_col not in frame.columns:
        raise DriftInputError(f"{source}: no {text_col!r} column (columns present: {', '.join(frame.columns)})")
    texts = frame[text_col].fillna("").astype(str).tolist()
    dates = parse_dates(frame, date_col, source)
    given = [t for t in TASKS if {t, f"{t}_confidence"} <= set(frame.columns)]
    if given and "needs_review" in frame.columns:  # `aduan predict` output: its answers are the predictions
        return Current(normalized=[str(t) for t in model.bundle.normalizer.transform(texts)],
                       labels={t: frame[t].fillna("").astype(str).tolist() for t in given},
                       confidences={t: pd.to_numeric(frame[f"{t}_confidence"], errors="coerce").tolist()
                                    for t in given},
                       needs_review=frame["needs_review"].astype(str).str.lower().eq("true").tolist(),
                       created_at=dates, source=source)
    location = [c for c in ("alamat", "kecamatan", "kelurahan") if c in frame.columns]
    records = [{"text": text, **{c: str(frame[c].iloc[i] or "") for c in location}} for i, text in enumerate(texts)]
    batches = [records[start:start + BATCH] for start in range(0, len(records), BATCH)]
    rows = [row for _, part in map_ordered(partial(predicted_rows, model), batches, jobs) for row in part]
    tasks = [t for t in TASKS if rows and t in rows[0][1]]
    return Current(normalized=[r[0] for r in rows], labels={t: [r[1][t][0] for r in rows] for t in tasks},
                   confidences={t: [r[1][t][1] for r in rows] for t in tasks},
                   needs_review=[r[2] for r in rows], created_at=dates, source=source)
