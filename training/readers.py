"""Read tables (CSV with , ; or tab, TSV without header, XLSX, JSONL) and validate labeled data.

Real exports are messy: every reader replaces bad bytes instead of failing, and every problem
that changes the data (empty texts, duplicates, conflicting labels, rare labels) is counted in a
``DataReport`` so that the caller can say what happened.
"""
from __future__ import annotations

import csv
import io
import json
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

import pandas as pd

# Complaints can be long: the csv module's default 128 kB field limit would drop such rows.
csv.field_size_limit(2**31 - 1)

TABLE_SUFFIXES = {".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".json"}


class DataError(ValueError):
    """A problem with an input file, worded for the person who supplied it."""


def _sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (",", ";", "\t")}
        return max(counts, key=counts.get)


def read_table(path: str | Path, header: bool = True, delimiter: str | None = None) -> pd.DataFrame:
    """Read a CSV/TSV/XLSX/JSONL file into a DataFrame of strings.

    ``header=False`` names the columns "0", "1", ... (SmSA's TSV has no header row).
    """
    path = Path(path)
    if not path.is_file():
        raise DataError(f"{path}: file not found")
    suffix = path.suffix.lower()
    if suffix not in TABLE_SUFFIXES:
        raise DataError(f"{path}: unsupported file type {suffix!r}; use one of {sorted(TABLE_SUFFIXES)}")
    if path.stat().st_size == 0:
        raise DataError(f"{path}: file is empty")
    if suffix == ".xlsx":
        try:
            frame = pd.read_excel(path, header=0 if header else None, dtype=str)
        except Exception as exc:  # openpyxl raises many types for corrupt files
            raise DataError(f"{path}: not a readable XLSX file ({exc.__class__.__name__})") from None
    elif suffix in {".jsonl", ".json"}:
        frame = _read_jsonl(path)
    else:
        raw = path.read_bytes().decode("utf-8-sig", errors="replace")
        if not raw.strip():
            raise DataError(f"{path}: file is empty")
        sep = delimiter or ("\t" if suffix == ".tsv" else _sniff_delimiter(raw[:20_000]))
        try:
            frame = pd.read_csv(io.StringIO(raw), sep=sep, header=0 if header else None, dtype=str,
                                keep_default_na=False, engine="python")
        except (pd.errors.ParserError, csv.Error) as exc:
            raise DataError(f"{path}: cannot parse as delimited text ({exc})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    # Lookup exports end every row with ";;;;": drop the empty columns that produces.
    frame = frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed:")]]
    if suffix in {".jsonl", ".json"}:
        return frame  # JSON keeps its own types; callers coerce the columns they read
    return frame.fillna("").astype(str)


def _read_jsonl(path: Path) -> pd.DataFrame:
    rows = []
    text = path.read_bytes().decode("utf-8-sig", errors="replace")
    if text.lstrip().startswith("["):
        try:
            return pd.DataFrame(json.loads(text))
        except (json.JSONDecodeError, ValueError) as exc:
            raise DataError(f"{path}: invalid JSON ({exc})") from None
    for number, line in enumerate(text.splitlines(), 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
        except json.JSONDecodeError as exc:
            raise DataError(f"{path}: line {number} is not valid JSON ({exc.msg})") from None
        if not isinstance(row, dict):
            raise DataError(f"{path}: line {number} is not a JSON object")
        rows.append(row)
    if not rows:
        raise DataError(f"{path}: file is empty")
    return pd.DataFrame(rows)


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
