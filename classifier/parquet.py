"""Parquet in and out (pyarrow): read whole or in batches, and write chunk by chunk.

Parquet keeps its own column types (numbers stay numbers), unlike CSV whose cells are strings. The
pandas index a writer may have stored is read as an ordinary column (``ignore_metadata``), so a whole
read and a batched one give the same columns.
"""
from __future__ import annotations

from pathlib import Path
from typing import IO, Iterator

import pandas as pd

from classifier.tables import TableError, TableLimits, TableTooLarge, kept_positions

ROW_GROUP_ROWS = 64_000  # rows per row group written: small chunks are gathered, big ones stay whole


def _pyarrow():
    try:
        import pyarrow
        import pyarrow.parquet
    except ImportError:
        raise TableError("Parquet files need pyarrow: pip install pyarrow (or reinstall aduan: pip install -e .)") \
            from None
    return pyarrow


def open_parquet(source: str | Path | IO[bytes], limits: TableLimits, *, whole: bool):
    """The ``pyarrow.parquet.ParquetFile``, refused from its footer when over ``limits``: rows and
    columns always; when read ``whole``, also the decoded size (a small file can unpack to gigabytes)."""
    pa = _pyarrow()
    try:
        parquet = pa.parquet.ParquetFile(source)
    except (pa.ArrowException, OSError) as exc:
        raise TableError(f"not a readable Parquet file ({exc.__class__.__name__})") from None
    meta = parquet.metadata
    if meta.num_columns > limits.max_columns:
        raise TableTooLarge(f"{meta.num_columns} columns, more than the limit of {limits.max_columns}")
    if meta.num_rows > limits.max_rows:
        raise TableTooLarge(f"{meta.num_rows} rows, more than the limit of {limits.max_rows}")
    decoded = sum(meta.row_group(i).total_byte_size for i in range(meta.num_row_groups))
    if whole and decoded > limits.max_unzipped_bytes:
        raise TableTooLarge(f"Parquet file decodes to {decoded} bytes, more than the limit of "
                            f"{limits.max_unzipped_bytes}")
    return parquet


def arrow_frame(data) -> pd.DataFrame:
    """A pyarrow Table or RecordBatch as a frame with the column names of every other reader."""
    frame = data.to_pandas(ignore_metadata=True)
    positions, kept = kept_positions(frame.columns)
    return frame.iloc[:, positions].set_axis(kept, axis=1)


def read_parquet(source: str | Path | IO[bytes], limits: TableLimits, *, whole: bool = True) -> pd.DataFrame:
    parquet = open_parquet(source, limits, whole=whole)
    try:
        return arrow_frame(parquet.read())
    except _pyarrow().ArrowException as exc:
        raise TableError(f"not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None


def iter_parquet(parquet, chunk_rows: int, row_groups: list[int] | None = None) -> Iterator[pd.DataFrame]:
    """Frames of at most ``chunk_rows`` rows, in file order (of ``row_groups`` only, when given)."""
    pa = _pyarrow()
    try:
        for batch in parquet.iter_batches(batch_size=chunk_rows, row_groups=row_groups):
            yield arrow_frame(batch)
    except pa.ArrowException as exc:
        raise TableError(f"not a readable Parquet file ({exc.__class__.__name__}: {exc})") from None


def _numbers_as_floats(frame: pd.DataFrame) -> pd.DataFrame:
    """Object columns of numbers with "" for missing (prediction confidences) become float columns:
    Parquet needs one type per column."""
    converted = frame
    for position in range(frame.shape[1]):
        column = frame.iloc[:, position]
        if column.dtype != object:
            continue
        values = column[column.map(lambda v: v is not None and v != "")]
        if len(values) and values.map(lambda v: isinstance(v, (int, float)) and not isinstance(v, bool)).all():
            converted = frame.copy() if converted is frame else converted
            converted.isetitem(position, pd.to_numeric(column.replace("", None), errors="coerce"))
    return converted


class ParquetChunkWriter:
    """One Parquet file written chunk by chunk; the first chunk sets each column's type (a column
    empty there is text), later chunks are cast to it or refused naming the column."""

    def __init__(self, path: str | Path):
        self.pa = _pyarrow()
        self.path = path
        self.schema = None
        self.writer = None
        self.pending: list = []
        self.pending_rows = 0

    def write(self, frame: pd.DataFrame) -> None:
        pa = self.pa
        table = pa.Table.from_pandas(_numbers_as_floats(frame), preserve_index=False)
        if self.schema is None:
            self.schema = pa.schema([f.with_type(pa.string()) if pa.types.is_null(f.type) else f.remove_metadata()
                                     for f in table.schema])
            self.writer = pa.parquet.ParquetWriter(self.path, self.schema)
        for field, column in zip(self.schema, table.columns):
            if column.type != field.type:
                try:
                    column.cast(field.type)
                except pa.ArrowException:
                    raise TableError(f"column {field.name!r}: {column.type} values after rows of type {field.type}; "
                                     "Parquet needs one type per column", str(self.path)) from None
        self.pending.append(table.cast(self.schema))
        self.pending_rows += table.num_rows
        if self.pending_rows >= ROW_GROUP_ROWS:
            self._flush()

    def _flush(self) -> None:
        if self.pending:
            self.writer.write_table(self.pa.concat_tables(self.pending), row_group_size=max(self.pending_rows, 1))
        self.pending, self.pending_rows = [], 0

    def close(self) -> None:
        if self.writer is not None:
            self._flush()
            self.writer.close()
