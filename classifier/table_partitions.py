"""A table file cut into partitions that separate processes (Dask workers) read on their own.

``plan_partitions`` scans the file once and cuts it where a record ends: a CSV/TSV/TXT file with
the same csv reader as ``classifier.tables`` (so a quoted field that spans lines is never cut, and a
malformed record ends where the reader says), a JSON-lines file at line ends (collecting every key
on the way), a Parquet file between row groups. ``read_partition`` then reads one partition with
the reader of ``classifier.tables``: concatenated in order, the partitions are the rows, bad-row
reports and line numbers of a whole read.
"""
from __future__ import annotations

import csv
import io
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterator

from classifier.table_stream import STREAMED_SUFFIXES, is_json_array, json_frame, jsonl_chunks, sniff_file_delimiter
from classifier.tables import (DEFAULT_LIMITS, Table, TableError, TableLimits, TableTooLarge, _blank, _delimited_rows,
                               assemble_chunks, check_suffix, jsonl_records, kept_positions)


@dataclass(frozen=True)
class Partition:
    """Bytes ``start``..``end`` of a text file, or row groups ``start``..``end`` of a Parquet file."""

    path: str
    kind: str  # "delimited", "jsonl" or "parquet"
    start: int
    end: int
    line_offset: int = 0  # lines of the file before ``start``
    header: bytes = b""  # delimited: the file's bytes up to the end of its header record
    delimiter: str = ","
    columns: tuple[str, ...] = ()  # jsonl: every key of the file


@dataclass
class PartitionPlan:
    partitions: list[Partition]
    columns: list[str]  # the columns every partition's frame has
    total: int  # bytes of a text file, rows of a Parquet file: the last partition's progress_end
    unit: str
    progress_ends: list[int] = field(default_factory=list)  # progress after each partition


def plan_partitions(path: str | Path, target_bytes: int, limits: TableLimits = DEFAULT_LIMITS) -> PartitionPlan:
    """Partitions of about ``target_bytes`` each (Parquet: about as many rows as that many bytes of
    CSV would hold, whole row groups), in file order. XLSX and JSON arrays are refused: they are
    documents, read whole (use the local engine)."""
    path = Path(path)
    source = str(path)
    if not path.is_file():
        raise TableError("file not found", source)
    suffix = path.suffix.lower()
    check_suffix(suffix, source)
    if suffix not in STREAMED_SUFFIXES or (suffix == ".json" and is_json_array(path)):
        raise TableError("XLSX files and JSON arrays are read whole, not in partitions: use the local engine, or "
                         "convert the file to CSV, JSON lines or Parquet", source)
    try:
        if suffix == ".parquet":
            return _plan_parquet(path, target_bytes, limits)
        if suffix in (".jsonl", ".json"):
            return _plan_jsonl(path, target_bytes, limits)
        return _plan_delimited(path, sniff_file_delimiter(path, suffix), target_bytes, limits)
    except TableError as exc:
        raise type(exc)(exc.problem, source) from None


def read_partition(partition: Partition, on_bad_lines: str = "error", limits: TableLimits = DEFAULT_LIMITS) -> Table:
    """One partition's rows and skipped rows, line numbers those of the file."""
    try:
        if partition.kind == "parquet":
            from classifier.parquet import arrow_frame, open_parquet  # pyarrow loads only for Parquet files

            parquet = open_parquet(partition.path, limits, whole=False)
            return Table(arrow_frame(parquet.read_row_groups(range(partition.start, partition.end))))
        with open(partition.path, "rb") as binary:
            binary.seek(partition.start)
            data = binary.read(partition.end - partition.start)
        if partition.kind == "jsonl":
            lines = io.StringIO(data.decode("utf-8", errors="replace"))
            [table] = jsonl_chunks(lines, list(partition.columns), limits, on_bad_lines, None, partition.line_offset)
            return table
        text = io.StringIO((partition.header + data).decode("utf-8-sig", errors="replace"))
        records = _delimited_rows(text, partition.delimiter, partition.header.count(b"\n"), partition.line_offset)
        [table] = assemble_chunks(records, True, limits, on_bad_lines, None)
        return table
    except TableError as exc:
        raise type(exc)(exc.problem, partition.path) from None


# ---------------------------------------------------------------- delimited text
def _plan_delimited(path: Path, sep: str, target_bytes: int, limits: TableLimits) -> PartitionPlan:
    """The first partition starts at the file's start (what precedes the header included); each later
    one is read after a copy of the header record."""
    size = path.stat().st_size
    columns = None
    header_start = header_end = 0
    cuts: list[tuple[int, int]] = [(0, 0)]  # (byte offset, lines before it) where each partition starts
    previous_end = 0
    with open(path, "rb") as binary:
        for end, lines, cells in _record_ends(binary, sep):
            if columns is None and cells is not None and not _blank(cells):
                if len(cells) > limits.max_columns:
                    raise TableTooLarge(f"{len(cells)} columns, more than the limit of {limits.max_columns}")
                columns = kept_positions(cells)[1]
                header_start, header_end = previous_end, end
            elif columns is not None and end - cuts[-1][0] >= target_bytes and end < size:
                cuts.append((end, lines))
            previous_end = end
        binary.seek(header_start)
        header = binary.read(header_end - header_start)
    if columns is None:
        raise TableError("file is empty")
    partitions = [Partition(str(path), "delimited", start, stop, lines_before, header if start else b"", sep)
                  for (start, lines_before), (stop, _) in zip(cuts, cuts[1:] + [(size, 0)])]
    return PartitionPlan(partitions, columns, size, "B", [p.end for p in partitions])


def _record_ends(binary, sep: str) -> Iterator[tuple[int, int, list | None]]:
    """(byte offset after, lines read after, cells or None if malformed) per record, read by the csv
    reader of ``classifier.tables`` over the file's lines. A quote never closed ends the scan: the
    last partition's reader then reports it as a whole read does."""
    position = lines = 0

    def text_lines():
        nonlocal position, lines
        for raw in binary:  # a binary file's lines end at b"\n" only, as the readers' text lines
            decoded = raw.decode("utf-8-sig" if position == 0 else "utf-8", errors="replace")
            position += len(raw)
            lines += 1
            yield decoded

    reader = csv.reader(text_lines(), delimiter=sep, quotechar='"', doublequote=True, skipinitialspace=False,
                        quoting=csv.QUOTE_MINIMAL, lineterminator="\n", strict=True)
    while True:
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):
                return
            cells = None
        yield position, lines, cells


# ---------------------------------------------------------------- JSON lines
def _plan_jsonl(path: Path, target_bytes: int, limits: TableLimits) -> PartitionPlan:
    """Cuts at line ends; every key of the file is collected on the way (each partition's frame has
    them all, as a whole read has)."""
    size = path.stat().st_size
    keys: dict[str, None] = {}
    cuts: list[tuple[int, int]] = [(0, 0)]
    position = nonblank = 0
    with open(path, "rb") as binary:
        for number, raw in enumerate(binary, 1):
            position += len(raw)
            line = raw.decode("utf-8-sig" if number == 1 else "utf-8", errors="replace")
            for _, row, _ in jsonl_records([line]):
                nonblank += 1
                if row is not None and not row.keys() <= keys.keys():
                    keys.update(dict.fromkeys(row))
                    if len(keys) > limits.max_columns:
                        raise TableTooLarge(f"more than {limits.max_columns} distinct columns (keys)")
            if position - cuts[-1][0] >= target_bytes and position < size:
                cuts.append((position, number))
    if not nonblank:
        raise TableError("file is empty")
    columns = tuple(keys)
    partitions = [Partition(str(path), "jsonl", start, stop, lines_before, columns=columns)
                  for (start, lines_before), (stop, _) in zip(cuts, cuts[1:] + [(size, 0)])]
    return PartitionPlan(partitions, list(json_frame([], list(columns)).columns), size, "B",
                         [p.end for p in partitions])


# ---------------------------------------------------------------- Parquet
def _plan_parquet(path: Path, target_bytes: int, limits: TableLimits) -> PartitionPlan:
    from classifier.parquet import arrow_frame, open_parquet  # pyarrow loads only for Parquet files

    parquet = open_parquet(path, limits, whole=False)
    meta = parquet.metadata
    target_rows = max(target_bytes // 500, 1)  # a complaint row of CSV is about 500 bytes
    partitions, ends, rows, start, done = [], [], 0, 0, 0
    for group in range(meta.num_row_groups):
        rows += meta.row_group(group).num_rows
        if rows >= target_rows or group == meta.num_row_groups - 1:
            partitions.append(Partition(str(path), "parquet", start, group + 1))
            done += rows
            ends.append(done)
            start, rows = group + 1, 0
    columns = list(arrow_frame(parquet.schema_arrow.empty_table()).columns)
    return PartitionPlan(partitions, columns, meta.num_rows, "rows", ends)

