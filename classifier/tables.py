"""The one table reader (CSV/TSV/TXT, XLSX, JSONL/JSON → DataFrame) of training, the CLI and the API.

Real exports are messy and uploads can be hostile, so:

- every limit of ``TableLimits`` is checked before the step it protects: the byte size before
  anything is decoded, the header's width before any data row is read, the row count while
  streaming; an XLSX's zip directory before it is unpacked, every sheet's rows and cells (counted as
  the XML is unpacked) before openpyxl opens it, its declared dimension before the first row, and
  each row's width as openpyxl streams it;
- bad bytes are replaced, never fatal (text normalisation repairs mojibake later);
- a malformed row (more fields than the header, a broken quote, a line that is not JSON) is refused
  with its line number, or skipped and reported with ``on_bad_lines="skip"``; short rows are padded
  with empty cells, as pandas does.

Delimited text is parsed with the csv module in pandas' own strict dialect (``engine="python"``
is that module underneath), row by row, so that each record's line is known; the frame is built
once the rows are known to fit. Cells are strings; JSON keeps its own types.
"""
from __future__ import annotations

import csv
import io
import json
import re
import zipfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Iterable, Iterator, Literal, Mapping, Sequence, TextIO, get_args

import pandas as pd
from openpyxl import load_workbook
from openpyxl.utils import get_column_letter

# Complaints can be long: the csv module's default 128 kB field limit would drop such rows.
csv.field_size_limit(2**31 - 1)

SUFFIXES = (".csv", ".tsv", ".txt", ".xlsx", ".jsonl", ".json", ".parquet")
BadLinePolicy = Literal["error", "skip"]
BAD_LINE_POLICIES: tuple[str, ...] = get_args(BadLinePolicy)
MiB = 1024 * 1024
SNIFF_CHARS = 20_000
XLSX_MAX_CELLS_PER_ROW = 16_384  # column XFD: a row with more cells is no valid sheet
RATIO_CHECKED_FROM = MiB  # small parts (styles, workbook.xml) compress well and cost nothing
SKIPPED_LISTED = 10


class TableError(ValueError):
    """A table that cannot be read; the message names the file (when known) and the line or the problem."""

    def __init__(self, problem: str, source: str | None = None):
        super().__init__(f"{source}: {problem}" if source else problem)
        self.problem = problem


class TableTooLarge(TableError):
    """Over one of the ``TableLimits`` (HTTP 413)."""


class BadRowError(TableError):
    """A malformed row while ``on_bad_lines="error"``; the message starts with its line."""


@dataclass(frozen=True)
class TableLimits:
    """What a table may hold. The API narrows bytes, rows and columns from its settings."""

    max_bytes: int = 256 * MiB  # the file as stored: the text, or the XLSX zip
    max_rows: int = 1_000_000  # data rows, the header not counted
    max_columns: int = 200
    max_unzipped_bytes: int = 128 * MiB  # XLSX: sum of the uncompressed sizes in the zip directory
    max_compression_ratio: int = 100  # XLSX: per part of 1 MiB or more; zip bombs are ~1000:1
    max_zip_entries: int = 1_000  # XLSX: parts in the archive


DEFAULT_LIMITS = TableLimits()


@dataclass(frozen=True)
class BadRow:
    first_line: int
    last_line: int
    problem: str

    def describe(self) -> str:
        lines = f"line {self.first_line}" if self.first_line == self.last_line else \
            f"lines {self.first_line}-{self.last_line}"
        return f"{lines}: {self.problem}"


@dataclass
class Table:
    frame: pd.DataFrame
    skipped: list[BadRow] = field(default_factory=list)

    def skipped_summary(self) -> str | None:
        return skipped_summary(self.skipped)


def admit_row(problem: str, first: int, last: int, kept: int, limits: TableLimits, on_bad_lines: str,
              skipped: list[BadRow]) -> bool:
    """The bad-line policy and the row limit, for every format: False when the row is malformed and
    skipped (recorded in ``skipped``); raises when the policy is "error" or ``kept`` rows already fill
    the limit."""
    if problem:
        if on_bad_lines == "error":
            raise BadRowError(BadRow(first, last, problem).describe())
        skipped.append(BadRow(first, last, problem))
        return False
    if kept == limits.max_rows:
        raise TableTooLarge(f"more than {limits.max_rows} rows")
    return True


def skipped_summary(skipped: Sequence[BadRow]) -> str | None:
    """'2 bad row(s) skipped (line 3: expected 2 fields, saw 3; ...)', or None when none was."""
    if not skipped:
        return None
    listed = "; ".join(bad.describe() for bad in skipped[:SKIPPED_LISTED])
    more = f"; and {len(skipped) - SKIPPED_LISTED} more" if len(skipped) > SKIPPED_LISTED else ""
    return f"{len(skipped)} bad row(s) skipped ({listed}{more})"


# ---------------------------------------------------------------- entry points
def read_table(path: str | Path, *, header: bool = True, delimiter: str | None = None,
               limits: TableLimits = DEFAULT_LIMITS, on_bad_lines: BadLinePolicy = "error") -> Table:
    """Read a file; ``header=False`` names the columns "0", "1", ... (SmSA's TSV has no header row)."""
    path = Path(path)
    if not path.is_file():
        raise TableError("file not found", str(path))
    check_suffix(path.suffix, str(path))
    size = path.stat().st_size
    if size > limits.max_bytes:
        raise TableTooLarge(f"{size} bytes, more than the limit of {limits.max_bytes}", str(path))
    return read_table_bytes(path.read_bytes(), path.suffix, header=header, delimiter=delimiter, limits=limits,
                            on_bad_lines=on_bad_lines, source=str(path))


def read_table_bytes(data: bytes, suffix: str, *, header: bool = True, delimiter: str | None = None,
                     limits: TableLimits = DEFAULT_LIMITS, on_bad_lines: BadLinePolicy = "error",
                     source: str | None = None) -> Table:
    """Read an upload held in memory; ``suffix`` (".csv", ...) says its format."""
    suffix = suffix.lower()
    try:
        if on_bad_lines not in BAD_LINE_POLICIES:
            raise TableError(f"on_bad_lines: expected one of {BAD_LINE_POLICIES}, got {on_bad_lines!r}")
        check_suffix(suffix)
        if len(data) > limits.max_bytes:
            raise TableTooLarge(f"{len(data)} bytes, more than the limit of {limits.max_bytes}")
        if suffix == ".xlsx":
            if not data or data.isspace():
                raise TableError("file is empty")
            return _assemble(_xlsx_rows(data, limits), header, limits, on_bad_lines)
        if suffix == ".parquet":
            from classifier.parquet import read_parquet  # pyarrow loads only for Parquet files

            return Table(read_parquet(io.BytesIO(data), limits, whole=True))
        text = data.decode("utf-8-sig", errors="replace")
        if not text or text.isspace():
            raise TableError("file is empty")
        if suffix in (".jsonl", ".json"):
            return _read_json(text, limits, on_bad_lines)
        sep = delimiter or ("\t" if suffix == ".tsv" else sniff_delimiter(text[:SNIFF_CHARS]))
        return _assemble(_delimited_rows(io.StringIO(text), sep), header, limits, on_bad_lines)
    except TableError as exc:
        if source is None:
            raise
        raise type(exc)(exc.problem, source) from None


def frame_from_records(records: Sequence[Mapping], limits: TableLimits = DEFAULT_LIMITS) -> pd.DataFrame:
    """A frame of JSON-like rows, refused before it is built when it would be too large: distinct
    keys across rows make a dense frame (50,000 keys over 1,000 rows are 50 million cells)."""
    if len(records) > limits.max_rows:
        raise TableTooLarge(f"more than {limits.max_rows} rows")
    keys: set = set()
    for record in records:
        keys.update(record)
        if len(keys) > limits.max_columns:
            raise TableTooLarge(f"more than {limits.max_columns} distinct columns (keys)")
    frame = pd.DataFrame(list(records))
    positions, kept = kept_positions(frame.columns)
    return frame.iloc[:, positions].set_axis(kept, axis=1)


def check_suffix(suffix: str, source: str | None = None) -> None:
    if suffix.lower() not in SUFFIXES:
        raise TableError(f"unsupported file type {suffix or '(none)'!r}; use one of {', '.join(SUFFIXES)}", source)


# ---------------------------------------------------------------- rows → frame
# A row: (first line, last line, cells), or cells None and a problem for a malformed record.
Record = tuple[int, int, "list[str] | None", str]


def _blank(cells: list) -> bool:
    """pandas' skip_blank_lines: no cell, or one cell of whitespace."""
    return not cells or (len(cells) == 1 and not str(cells[0]).strip())


def _assemble(records: Iterable[Record], header: bool, limits: TableLimits, on_bad_lines: str) -> Table:
    [table] = assemble_chunks(records, header, limits, on_bad_lines, chunk_rows=None)
    return table


def assemble_chunks(records: Iterable[Record], header: bool, limits: TableLimits, on_bad_lines: str,
                    chunk_rows: int | None) -> Iterator[Table]:
    """Tables of ``chunk_rows`` rows (the last one shorter; one table when None), each with the bad rows
    skipped since the previous one. Only one chunk of rows is held at a time."""
    names: list[str] | None = None
    width = 0
    rows: list[list[str]] = []
    skipped: list[BadRow] = []
    total = 0
    yielded = False
    for first, last, cells, problem in records:
        if cells is not None and _blank(cells):
            continue
        if cells is not None and not width:
            width = len(cells)
            if width > limits.max_columns:
                raise TableTooLarge(f"{width} columns, more than the limit of {limits.max_columns}")
            if header:
                names = cells
                continue
        if cells is not None and len(cells) > width:
            problem = f"expected {width} fields, saw {len(cells)}"
        if not admit_row(problem, first, last, total, limits, on_bad_lines, skipped):
            continue
        total += 1
        rows.append(cells if len(cells) == width else cells + [""] * (width - len(cells)))
        if len(rows) == chunk_rows:
            yield _rows_table(rows, names, width, skipped)
            rows, skipped, yielded = [], [], True
    if not width:
        raise TableError("file is empty" if not skipped else "no readable row")
    if rows or skipped or not yielded:
        yield _rows_table(rows, names, width, skipped)


def _rows_table(rows: list[list[str]], names: list[str] | None, width: int, skipped: list[BadRow]) -> Table:
    columns = names if names is not None else [str(i) for i in range(width)]
    positions, kept = kept_positions(columns)
    frame = pd.DataFrame([[row[i] for i in positions] for row in rows], columns=kept, dtype=object)
    return Table(frame.astype(str), skipped)


def kept_positions(names: Iterable) -> tuple[list[int], list[str]]:
    """Positions and names of the named columns: names stripped, blank and pandas' "Unnamed: n" ones
    dropped (lookup exports end every row with ";;;;"), repeats numbered "a.1", "a.2" as pandas does."""
    positions, kept, seen = [], [], set()
    for position, name in enumerate(names):
        name = str(name).strip()
        if not name or name.startswith("Unnamed:"):
            continue
        unique, n = name, 0
        while unique in seen:
            n += 1
            unique = f"{name}.{n}"
        seen.add(unique)
        positions.append(position)
        kept.append(unique)
    return positions, kept


# ---------------------------------------------------------------- delimited text
def sniff_delimiter(sample: str) -> str:
    try:
        return csv.Sniffer().sniff(sample, delimiters=",;\t").delimiter
    except csv.Error:
        counts = {d: sample.count(d) for d in (",", ";", "\t")}
        return max(counts, key=counts.__getitem__)


def _delimited_rows(stream: TextIO, sep: str, header_lines: int = 0, line_offset: int = 0) -> Iterator[Record]:
    """Records of a text stream whose lines end at "\\n" only (``io.StringIO`` or ``newline="\\n"``).
    A partition of a file (classifier.table_partitions) is read after a copy of its header record:
    the lines after the first ``header_lines`` are numbered from the file's line ``line_offset + 1``."""
    reader = csv.reader(stream, delimiter=sep, quotechar='"', doublequote=True, skipinitialspace=False,
                        quoting=csv.QUOTE_MINIMAL, lineterminator="\n", strict=True)
    last = 0

    def offset(line: int) -> int:
        return line if line <= header_lines else line + line_offset - header_lines

    while True:
        first = last + 1
        try:
            cells = next(reader)
        except StopIteration:
            return
        except csv.Error as exc:
            if "unexpected end of data" in str(exc):  # would swallow the rest of the file: never skipped
                raise BadRowError(f"line {offset(first)}: a quoted field opened here is never closed") from None
            last = reader.line_num
            yield offset(first), offset(last), None, f"badly quoted field ({exc})"
            continue
        last = reader.line_num
        yield offset(first), offset(last), cells, ""


# ---------------------------------------------------------------- JSON
def _read_json(text: str, limits: TableLimits, on_bad_lines: str) -> Table:
    if text.lstrip().startswith("["):
        try:
            items = json.loads(text)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise TableError(f"invalid JSON ({getattr(exc, 'msg', exc.__class__.__name__)})") from None
        for number, item in enumerate(items, 1):
            if not isinstance(item, dict):
                raise TableError(f"item {number} is not a JSON object")
        return Table(frame_from_records(items, limits))
    records: list[dict] = []
    skipped: list[BadRow] = []
    for number, row, problem in jsonl_records(io.StringIO(text)):
        if admit_row(problem, number, number, len(records), limits, on_bad_lines, skipped):
            records.append(row)
    if not records and not skipped:
        raise TableError("file is empty")
    return Table(frame_from_records(records, limits), skipped)


def jsonl_records(lines: Iterable[str]) -> Iterator[tuple[int, dict | None, str]]:
    """(line number, object, problem) per non-blank line. Lines end at "\\n" only: a JSON string may
    hold U+2028 or a form feed, which ``str.splitlines`` would cut."""
    for number, line in enumerate(lines, 1):
        if not line.strip():
            continue
        try:
            row = json.loads(line)
            problem = "" if isinstance(row, dict) else "not a JSON object"
        except (json.JSONDecodeError, RecursionError) as exc:
            row, problem = None, f"not valid JSON ({getattr(exc, 'msg', exc.__class__.__name__)})"
        yield number, (row if not problem else None), problem


# ---------------------------------------------------------------- XLSX
_SHEET_PART = re.compile(r"xl/worksheets/[^/]+\.xml")
_NO_CELLS: list[str] = []


def _xlsx_rows(data: bytes, limits: TableLimits) -> Iterator[Record]:
    """The first sheet's rows as pandas.read_excel reads them. The zip directory and a byte scan of
    every sheet come first; then the declared dimension; then each row as openpyxl streams it."""
    try:
        archive = zipfile.ZipFile(io.BytesIO(data))
    except (zipfile.BadZipFile, ValueError):
        raise TableError("not a readable XLSX file (not a zip archive)") from None
    with archive:
        _check_zip_directory(archive, limits)
        for part in archive.namelist():
            if _SHEET_PART.fullmatch(part):
                with archive.open(part) as stream:
                    _scan_sheet(stream, limits)
    try:
        book = load_workbook(io.BytesIO(data), read_only=True, data_only=True, keep_links=False)
    except Exception as exc:  # openpyxl raises many types for corrupt files
        raise TableError(f"not a readable XLSX file ({exc.__class__.__name__})") from None
    try:
        sheet = book.worksheets[0]
        if (sheet.max_column or 0) > limits.max_columns or (sheet.max_row or 0) > limits.max_rows + 1:
            raise TableTooLarge(f"the sheet declares {sheet.max_row} rows and {sheet.max_column} columns "
                                f"(dimension {sheet.calculate_dimension()}), more than the limits of "
                                f"{limits.max_rows} rows and {limits.max_columns} columns")
        sheet.reset_dimensions()  # a declared dimension may also be too small: read the cells themselves
        rows = []
        for number, row in enumerate(sheet.rows, 1):  # missing rows come as empty ones: number is the sheet's
            if number > limits.max_rows + 1:
                raise TableTooLarge(f"sheet row {number}: more than {limits.max_rows} rows")
            cells = [_xlsx_text(cell) for cell in row]
            while cells and cells[-1] == "":
                cells.pop()
            if len(cells) > limits.max_columns:
                raise TableTooLarge(f"sheet row {number}: a value in column {get_column_letter(len(cells))} "
                                    f"(column {len(cells)}), more than the limit of {limits.max_columns} columns")
            rows.append(cells or _NO_CELLS)  # one shared list for the (maybe many) empty rows
    except TableError:
        raise
    except Exception as exc:  # as above: a corrupt sheet fails in many ways
        raise TableError(f"not a readable XLSX file ({exc.__class__.__name__})") from None
    finally:
        book.close()
    while rows and not rows[-1]:
        rows.pop()
    width = max((len(cells) for cells in rows), default=0)
    for number, cells in enumerate(rows, 1):  # pandas pads every row to the widest: blank rows stay rows
        yield number, number, cells + [""] * (width - len(cells)), ""


def _check_zip_directory(archive: zipfile.ZipFile, limits: TableLimits) -> None:
    """Refuse a zip bomb from the sizes its directory declares (zipfile never unpacks past them)."""
    parts = archive.infolist()
    if len(parts) > limits.max_zip_entries:
        raise TableTooLarge(f"XLSX with {len(parts)} parts, more than the limit of {limits.max_zip_entries}")
    unpacked = sum(part.file_size for part in parts)
    if unpacked > limits.max_unzipped_bytes:
        raise TableTooLarge(f"XLSX unpacks to {unpacked} bytes, more than the limit of {limits.max_unzipped_bytes}")
    for part in parts:
        if part.file_size >= RATIO_CHECKED_FROM and part.file_size > limits.max_compression_ratio * max(
                part.compress_size, 1):
            raise TableTooLarge(f"XLSX part compressed {part.file_size // max(part.compress_size, 1)}:1, more than "
                                f"the limit of {limits.max_compression_ratio}:1")


# The start of a row or cell tag, whatever its namespace prefix; the next byte ends the name.
_ROW_OR_CELL = re.compile(rb"<(?:[\w.-]+:)?(row|c)[\s/>]")
_LONGEST_TAG_START = 256


def _scan_sheet(stream, limits: TableLimits) -> None:
    """Count rows and cells per row in one sheet's XML as it is unpacked, keeping nothing: openpyxl
    holds a whole row (and, for a sheet without a dimension, a husk of every row) in memory, so more
    rows than the limit or more cells in a row than XLSX allows are refused before it opens the file.
    Tag-like text inside CDATA or comments can only raise the counts, never hide a row."""
    rows = cells = 0
    tail = b""
    while True:
        chunk = stream.read(MiB)
        data = tail + chunk
        # A tag start cut by the chunk's end waits for the next chunk.
        cut = data.rfind(b"<", max(len(data) - _LONGEST_TAG_START, 0)) if chunk else -1
        cut = len(data) if cut < 0 else cut
        for match in _ROW_OR_CELL.finditer(data, 0, cut):
            if match.group(1) == b"c":
                cells += 1
                if cells > XLSX_MAX_CELLS_PER_ROW:
                    raise TableError(f"not a readable XLSX file (a row of more than {XLSX_MAX_CELLS_PER_ROW} cells)")
            else:
                rows += 1
                cells = 0
                if rows > limits.max_rows + 1:
                    raise TableTooLarge(f"more than {limits.max_rows} rows")
        if not chunk:
            return
        tail = data[cut:]


def _xlsx_text(cell) -> str:
    """A cell as pandas.read_excel(dtype=str) shows it: 4.0 → "4", errors and empty → ""; text is kept
    as it is (pandas would also blank "NA" or "null", which CSV keeps)."""
    value = cell.value
    if value is None or cell.data_type == "e":
        return ""
    if cell.data_type == "n" and isinstance(value, (int, float)) and not isinstance(value, bool):
        try:
            whole = int(value)
        except (OverflowError, ValueError):  # inf, nan
            return str(value)
        return str(whole) if whole == value else str(float(value))
    return str(value)
