"""Training tables: read with classifier.tables, then validate labeled data.

Real exports are messy: the reader replaces bad bytes instead of failing, and every problem that
changes the data (empty texts, duplicates, conflicting labels, rare labels) is counted in a
``DataReport`` so that the caller can say what happened.
"""
from __future__ import annotations

from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

from classifier.tables import TableError
from classifier.tables import read_table as read_any_table


class DataError(ValueError):
    """A problem with an input file, worded for the person who supplied it."""


def read_table(path: str | Path, header: bool = True, delimiter: str | None = None) -> pd.DataFrame:
    """The whole table with the default limits; training data must read cleanly, so a malformed
    row is an error, never skipped. ``header=False`` names the columns "0", "1", ..."""
    try:
        return read_any_table(path, header=header, delimiter=delimiter).frame
    except TableError as exc:
        raise DataError(str(exc)) from None


def require_columns(frame: pd.DataFrame, columns: list[str], path: str | Path) -> None:
    missing = [c for c in columns if c not in frame.columns]
    if missing:
        raise DataError(
            f"{path}: missing column {', '.join(repr(c) for c in missing)} "
            f"(columns present: {', '.join(map(repr, frame.columns))})"
        )


def join_labels(texts: pd.DataFrame, texts_path: str | Path, labels: pd.DataFrame, labels_path: str | Path,
                id_column: str, label_column: str) -> pd.DataFrame:
    """The rows of ``texts`` named by a labels file (ids and labels only), with its label column.

    Hand labels are kept apart from the texts they label, so that no complaint text is copied
    into the repository. Every id of the labels file must occur exactly once in ``texts``.
    """
    require_columns(labels, [id_column, label_column], labels_path)
    require_columns(texts, [id_column], texts_path)
    ids = labels[id_column].astype(str).str.strip()
    if (ids == "").any():
        raise DataError(f"{labels_path}: {int((ids == '').sum())} row(s) with an empty {id_column!r}")
    repeated = sorted(set(ids[ids.duplicated()]))
    if repeated:
        raise DataError(f"{labels_path}: duplicate {id_column!r} {', '.join(repeated[:5])}"
                        f"{' …' if len(repeated) > 5 else ''} ({len(repeated)} id(s) labeled more than once)")
    text_ids = texts[id_column].astype(str).str.strip()
    missing = list(ids[~ids.isin(text_ids)])
    if missing:
        raise DataError(f"{labels_path}: {len(missing)} {id_column!r} not found in {texts_path}: "
                        f"{', '.join(missing[:5])}{' …' if len(missing) > 5 else ''}")
    ambiguous = sorted(set(text_ids[text_ids.duplicated()]) & set(ids))
    if ambiguous:
        raise DataError(f"{texts_path}: {id_column!r} {', '.join(ambiguous[:5])} occur(s) more than once: "
                        f"cannot tell which row {labels_path} labels")
    position = pd.Series(range(len(texts)), index=text_ids)
    joined = texts.iloc[position[ids].to_numpy()].reset_index(drop=True)
    joined[label_column] = labels[label_column].to_numpy()
    return joined


@dataclass
class DataReport:
    """What validation did to a labeled table."""

    rows_read: int = 0
    empty_texts: int = 0
    missing_labels: int = 0
    duplicates_collapsed: int = 0
    conflicting_duplicates_dropped: int = 0
    rare_label_rows: int = 0
    rare_labels: list[str] = field(default_factory=list)
    rows_kept: int = 0

    def summary(self) -> str:
        return (
            f"{self.rows_read} rows read, {self.rows_kept} kept; dropped: {self.empty_texts} empty texts, "
            f"{self.missing_labels} missing labels, {self.duplicates_collapsed} duplicates collapsed, "
            f"{self.conflicting_duplicates_dropped} conflicting duplicates, "
            f"{self.rare_label_rows} rows of {len(self.rare_labels)} rare labels"
        )


RARE_LABEL_POLICIES = ("drop", "keep")


def clean_labeled(frame: pd.DataFrame, text: str, label: str, min_examples: int = 1,
                  rare_labels: str = "drop") -> tuple[pd.DataFrame, DataReport]:
    """Drop empty texts and missing labels, collapse duplicates, apply the rare-label policy.

    Exact duplicate texts are kept once; when their labels disagree the text is dropped, since
    no label can be trusted. Labels with fewer than ``min_examples`` rows are dropped
    (``rare_labels="drop"``, the default: a model cannot learn them and they make the split
    unstable) or kept as they are (``"keep"``).
    """
    if rare_labels not in RARE_LABEL_POLICIES:
        raise DataError(f"rare_labels: expected one of {RARE_LABEL_POLICIES}, got {rare_labels!r}")
    report = DataReport(rows_read=len(frame))
    frame = frame.copy()
    frame[text] = frame[text].astype(str)
    frame[label] = frame[label].astype(str).str.strip()
    empty = frame[text].str.strip() == ""
    report.empty_texts = int(empty.sum())
    frame = frame[~empty]
    no_label = frame[label] == ""
    report.missing_labels = int(no_label.sum())
    frame = frame[~no_label]

    key = frame[text].str.strip()
    labels_per_text = frame.groupby(key)[label].nunique()
    conflicting = key.map(labels_per_text) > 1
    report.conflicting_duplicates_dropped = int(conflicting.sum())
    frame = frame[~conflicting]
    before = len(frame)
    frame = frame[~frame[text].str.strip().duplicated(keep="first")]
    report.duplicates_collapsed = before - len(frame)

    counts = Counter(frame[label])
    rare = sorted(lab for lab, n in counts.items() if n < min_examples)
    report.rare_labels = rare
    report.rare_label_rows = sum(counts[lab] for lab in rare)
    if rare and rare_labels == "drop":
        frame = frame[~frame[label].isin(rare)]
    else:
        report.rare_label_rows = 0
    report.rows_kept = len(frame)
    return frame.reset_index(drop=True), report
