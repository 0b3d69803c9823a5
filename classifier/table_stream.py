"""Tables read chunk by chunk, so that a file of any size is processed in bounded memory.

The chunks are what ``classifier.tables.read_table`` would return, cut into frames of ``chunk_rows``
rows in file order: the same csv dialect, bad-row policy, line numbers, padding and column names
(``tables.assemble_chunks`` does both). CSV/TSV/TXT, JSONL and Parquet are streamed: only one chunk
is held at a time, so their byte size is not limited, only their rows and columns. XLSX and JSON
arrays are documents: they are read whole, with every limit, and then cut.
"""
from __future__ import annotations

import io
from pathlib import Path
from typing import Iterator

import pandas as pd

from classifier.tables import (DEFAULT_LIMITS, admit_row, SNIFF_CHARS, BadLinePolicy, BadRow, Table, TableError,
                               TableLimits, TableTooLarge, _delimited_rows, assemble_chunks, check_suffix,
                               jsonl_records, kept_positions, read_table, skipped_summary, sniff_delimiter)

STREAMED_SUFFIXES = (".csv", ".tsv", ".txt", ".jsonl", ".json", ".parquet")  # .json: when it is JSON lines
CHUNK_ROWS = 2_000
SNIFF_BYTES = 4 * SNIFF_CHARS  # UTF-8 needs at most 4 bytes a character


def open_text(binary) -> io.TextIOWrapper:
    """Text as ``read_table_bytes`` decodes it: BOM dropped, bad bytes replaced, lines cut at "\\n" only."""
    return io.TextIOWrapper(binary, encoding="utf-8-sig", errors="replace", newline="\n")


def sniff_file_delimiter(path: str | Path, suffix: str) -> str:
    """The delimiter ``read_table`` would choose, from the same first characters."""
    if suffix == ".tsv":
        return "\t"
    with open(path, "rb") as binary:
        sample = binary.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace")
    return sniff_delimiter(sample[:SNIFF_CHARS])


def is_json_array(path: str | Path) -> bool:
    with open(path, "rb") as binary:
        return binary.read(SNIFF_BYTES).decode("utf-8-sig", errors="replace").lstrip().startswith("[")


def jsonl_columns(path: str | Path, limits: TableLimits = DEFAULT_LIMITS) -> list[str]:
    """Every key of a JSON-lines file in order of first appearance: the columns a whole read gives,
    known before the first chunk (malformed lines are left to the reading pass)."""
    keys: dict[str, None] = {}
    with open(path, "rb") as binary:
        for _, row, _ in jsonl_records(open_text(binary)):
            if row is not None and not row.keys() <= keys.keys():
                keys.update(dict.fromkeys(row))
                if len(keys) > limits.max_columns:
                    raise TableTooLarge(f"more than {limits.max_columns} distinct columns (keys)")
    return list(keys)


def json_frame(records: list[dict], columns: list[str]) -> pd.DataFrame:
    """JSON rows with the file's columns (a key a row lacks is missing, as in a whole read). Values keep
    their JSON types in object columns: a number stays an integer whichever rows share its chunk
    (pandas would make a column float where one row of the chunk lacks it)."""
    frame = pd.DataFrame(records, columns=columns, dtype=object)
    positions, kept = kept_positions(columns)
    return frame.iloc[:, positions].set_axis(kept, axis=1)


def jsonl_chunks(lines, columns: list[str], limits: TableLimits, on_bad_lines: str,
                 chunk_rows: int | None, line_offset: int = 0) -> Iterator[Table]:
    """JSON lines in tables of ``chunk_rows`` rows, each with the lines skipped since the previous one."""
    records: list[dict] = []
    skipped: list[BadRow] = []
    total, yielded = 0, False
    for number, row, problem in jsonl_records(lines):
        number += line_offset
        if not admit_row(problem, number, number, total, limits, on_bad_lines, skipped):
            continue
        total += 1
        records.append(row)
        if len(records) == chunk_rows:
            yield Table(json_frame(records, columns), skipped)
            records, skipped, yielded = [], [], True
    if records or skipped or not yielded:
        yield Table(json_frame(records, columns), skipped)


class TableStream:
    """The frames of a table file in order, ``chunk_rows`` rows each (the last one shorter).

    ``skipped`` gathers the bad rows skipped so far; ``done`` out of ``total`` ``unit`` (bytes of a
    text file, rows otherwise) says how far the reading is, for a progress bar.
    """

    def __init__(self, path: str | Path, *, chunk_rows: int = CHUNK_ROWS, header: bool = True,
                 delimiter: str | None = None, limits: TableLimits = DEFAULT_LIMITS,
                 on_bad_lines: BadLinePolicy = "error"):
        self.path = Path(path)
        self.source = str(path)
        if not self.path.is_file():
            raise TableError("file not found", self.source)
        self.suffix = self.path.suffix.lower()
        check_suffix(self.suffix, self.source)
        self.chunk_rows, self.header, self.delimiter = chunk_rows, header, delimiter
        self.limits, self.on_bad_lines = limits, on_bad_lines
        self.skipped: list[BadRow] = []
        self.total, self.unit, self.done = self.path.stat().st_size, "B", 0

    def skipped_summary(self) -> str | None:
        return skipped_summary(self.skipped)

    def __iter__(self) -> Iterator[pd.DataFrame]:
        try:
            for table in self._tables():
                self.skipped.extend(table.skipped)
                yield table.frame
        except TableError as exc:
            raise type(exc)(exc.problem, self.source) from None

    def _tables(self) -> Iterator[Table]:
        if self.suffix == ".parquet":
            yield from self._parquet()
        elif self.suffix == ".jsonl" or (self.suffix == ".json" and not is_json_array(self.path)):
            yield from self._jsonl()
        elif self.suffix in (".csv", ".tsv", ".txt"):
            yield from self._delimited()
        else:
            yield from self._whole()

    def _delimited(self) -> Iterator[Table]:
        with open(self.path, "rb") as binary:
            sample = binary.read(SNIFF_BYTES)
            if not sample or (len(sample) < SNIFF_BYTES and sample.decode("utf-8-sig", errors="replace").isspace()):
                raise TableError("file is empty")
            sep = self.delimiter or sniff_file_delimiter(self.path, self.suffix)
            binary.seek(0)
            text = open_text(binary)  # held here: a wrapper that is let go closes the file under it
            records = _delimited_rows(text, sep)
            for table in assemble_chunks(records, self.header, self.limits, self.on_bad_lines, self.chunk_rows):
                self.done = binary.tell()
                yield table

    def _jsonl(self) -> Iterator[Table]:
        columns = jsonl_columns(self.path, self.limits)
        with open(self.path, "rb") as binary:
            text = open_text(binary)  # held here: a wrapper that is let go closes the file under it
            chunks = jsonl_chunks(text, columns, self.limits, self.on_bad_lines, self.chunk_rows)
            for number, table in enumerate(chunks):
                if number == 0 and table.frame.empty and not table.skipped:
                    raise TableError("file is empty")
                self.done = binary.tell()
                yield table

    def _parquet(self) -> Iterator[Table]:
        from classifier.parquet import arrow_frame, iter_parquet, open_parquet  # pyarrow only for Parquet

        parquet = open_parquet(self.path, self.limits, whole=False)
        self.total, self.unit = parquet.metadata.num_rows, "rows"
        empty = True
        for frame in iter_parquet(parquet, self.chunk_rows):
            self.done += len(frame)
            empty = False
            yield Table(frame)
        if empty:  # no row at all: the columns still come through
            yield Table(arrow_frame(parquet.schema_arrow.empty_table()))

    def _whole(self) -> Iterator[Table]:
        table = read_table(self.path, header=self.header, delimiter=self.delimiter, limits=self.limits,
                           on_bad_lines=self.on_bad_lines)
        self.total, self.unit = len(table.frame), "rows"
        for start in range(0, max(len(table.frame), 1), self.chunk_rows):
            self.done = min(start + self.chunk_rows, len(table.frame))
            chunk = table.frame.iloc[start:start + self.chunk_rows].reset_index(drop=True)
            yield Table(chunk, table.skipped if start == 0 else [])
