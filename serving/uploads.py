"""Survey tables uploaded to the API (CSV/TSV/XLSX bytes) → DataFrame of strings.

The CLI reads files with training.readers; serving may not import training, and an upload is
bytes in memory rather than a path, hence this small reader.
"""
from __future__ import annotations

import csv
import io
import zipfile
from pathlib import PurePath

import pandas as pd

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx")


class UploadError(ValueError):
    """The uploaded file cannot be read as a table; the message says why."""


def _delimiter(sample: str, suffix: str) -> str:
    if suffix == ".tsv":
        return "\t"
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (",", ";", "\t")}
        return max(counts, key=counts.get)


def read_upload(filename: str, data: bytes) -> pd.DataFrame:
    suffix = PurePath(filename or "").suffix.lower()
    if suffix not in SUFFIXES:
        raise UploadError(f"unsupported file type {suffix or '(none)'!r}; upload one of {', '.join(SUFFIXES)}")
    if not data.strip():
        raise UploadError("the file is empty")
    if suffix == ".xlsx":
        try:
            frame = pd.read_excel(io.BytesIO(data), dtype=str)
        except (ValueError, KeyError, OSError, zipfile.BadZipFile, TypeError) as exc:
            raise UploadError(f"not a readable XLSX file ({exc.__class__.__name__})") from None
    else:
        text = data.decode("utf-8-sig", errors="replace")
        try:
            frame = pd.read_csv(io.StringIO(text), sep=_delimiter(text[:20_000], suffix), dtype=str,
                                keep_default_na=False, engine="python", on_bad_lines="skip")
        except (pd.errors.ParserError, pd.errors.EmptyDataError, csv.Error, ValueError) as exc:
            raise UploadError(f"cannot parse as delimited text ({exc.__class__.__name__})") from None
    frame.columns = [str(c).strip() for c in frame.columns]
    return frame.loc[:, [c for c in frame.columns if c and not c.startswith("Unnamed:")]].fillna("").astype(str)
