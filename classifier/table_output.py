"""Output tables written chunk by chunk: CSV (``csv_output.safe_csv``: formulas escaped, the header
once), JSON lines, or Parquet (``classifier.parquet``), to a file or JSON lines to stdout.

A file is written under a temporary name beside it and renamed when complete: a run that fails half
way never leaves half a table under the name asked for.
"""
from __future__ import annotations

import os
import sys
from pathlib import Path
from typing import IO

import pandas as pd

from classifier.csv_output import safe_csv
from classifier.tables import TableError

OUTPUT_SUFFIXES = (".csv", ".jsonl", ".json", ".parquet")


def output_suffix(path: str | Path) -> str:
    """The format of an output path, or a TableError naming the choices."""
    suffix = Path(path).suffix.lower()
    if suffix not in OUTPUT_SUFFIXES:
        raise TableError(f"unsupported output type {suffix or '(none)'!r}; use .csv, .jsonl or .parquet", str(path))
    return suffix


class TableWriter:
    """``write`` each chunk in order, then ``close`` (or use it as a context manager, which removes
    the partial file when the block fails). ``path`` None: JSON lines on ``stdout``."""

    def __init__(self, path: str | Path | None, stdout: IO[str] | None = None):
        self.path = Path(path) if path is not None else None
        self.suffix = output_suffix(path) if path is not None else ".jsonl"
        self.rows = 0
        self._template: pd.DataFrame | None = None  # an empty first chunk: its columns, if no row ever comes
        self._parquet = None
        if self.path is None:
            self._partial, self._handle = None, stdout or sys.stdout
            return
        self._partial = self.path.with_name(f".{self.path.name}.{os.getpid()}.partial")
        if self.suffix == ".parquet":
            from classifier.parquet import ParquetChunkWriter  # pyarrow loads only for Parquet files

            self._handle = None
            self._parquet = ParquetChunkWriter(self._partial)
        else:
            self._handle = open(self._partial, "w", encoding="utf-8", newline="")

    def write(self, frame: pd.DataFrame) -> None:
        if frame.empty:
            if self.rows == 0 and self._template is None:
                self._template = frame
            return
        self._write(frame)

    def _write(self, frame: pd.DataFrame) -> None:
        if self._parquet is not None:
            self._parquet.write(frame)
        elif self.suffix == ".csv":
            safe_csv(frame, self._handle, header=self.rows == 0)
        elif len(frame):
            self._handle.write(frame.to_json(orient="records", lines=True, force_ascii=False))
        self.rows += len(frame)

    def close(self) -> None:
        """Finish the file (a table without rows keeps its header) and give it its name."""
        if self.rows == 0 and self._template is not None:
            self._write(self._template)
        if self._parquet is not None:
            self._parquet.close()
        elif self.path is not None:
            self._handle.close()
        else:
            self._handle.flush()
        if self._partial is not None:
            os.replace(self._partial, self.path)

    def abort(self) -> None:
        """Drop the partial file (JSON lines already sent to stdout stay sent)."""
        if self._partial is None:
            return
        try:
            if self._parquet is not None:
                self._parquet.close()
            else:
                self._handle.close()
        finally:
            self._partial.unlink(missing_ok=True)

    def __enter__(self) -> "TableWriter":
        return self

    def __exit__(self, kind, value, traceback) -> None:
        if kind is None:
            self.close()
        else:
            self.abort()
