"""Hostile and malformed tables built in code (issue 13), shared by tests/test_tables.py and
tests/hostile/test_uploads.py. Nothing here is real data."""
from __future__ import annotations

import io
import re
import zipfile
from typing import Callable

from openpyxl import Workbook

SHEET = "xl/worksheets/sheet1.xml"
SURVEY_HEADER = ",".join(f"u{i}" for i in range(1, 10)) + ",unit,comment"


def xlsx_bytes(rows: list[list]) -> bytes:
    book = Workbook()
    for row in rows:
        book.active.append(row)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def rewrite_parts(data: bytes, change: Callable[[str, bytes], bytes]) -> bytes:
    """The same zip with each part passed through ``change(name, content)``."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as source, zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as target:
        for info in source.infolist():
            target.writestr(info.filename, change(info.filename, source.read(info.filename)))
    return out.getvalue()


def far_cell_xlsx(cell: str = "XFD1048576", declared_dimension: str | None = None) -> bytes:
    """A few-KB workbook with one value at ``cell``; openpyxl declares the true dimension,
    ``declared_dimension`` replaces it with a lie (e.g. "A1")."""
    book = Workbook()
    book.active[cell] = "x"
    out = io.BytesIO()
    book.save(out)
    if declared_dimension is None:
        return out.getvalue()
    return rewrite_parts(out.getvalue(), lambda name, content: re.sub(
        rb'<dimension ref="[^"]*"\s*/>', f'<dimension ref="{declared_dimension}"/>'.encode(), content)
        if name == SHEET else content)


def crowded_row_xlsx(cells: int) -> bytes:
    """A sheet whose first row repeats ``<c r="A1"/>`` ``cells`` times (empty, tiny, no valid sheet)."""
    filler = b'<row r="1">' + b'<c r="A1"/>' * cells + b"</row>"
    return rewrite_parts(xlsx_bytes([["u1"]]), lambda name, content: re.sub(
        rb"<sheetData>.*</sheetData>", b"<sheetData>" + filler + b"</sheetData>", content, flags=re.S)
        if name == SHEET else content)


def zip_bomb_xlsx(mebibytes: int, level: int = 1) -> bytes:
    """A valid one-row survey whose sheet XML is padded with ``mebibytes`` MiB of spaces: ~1000:1 at
    level 6, ~230:1 at level 1 (faster to build)."""
    source = xlsx_bytes([["u1", "comment"]])
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(source)) as book, \
            zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED, compresslevel=level) as bomb:
        for info in book.infolist():
            content = book.read(info.filename)
            if info.filename != SHEET:
                bomb.writestr(info.filename, content)
                continue
            head, tail = content.rsplit(b"</worksheet>", 1)
            with bomb.open(info.filename, "w", force_zip64=True) as part:
                part.write(head)
                chunk = b" " * (1 << 20)
                for _ in range(mebibytes):
                    part.write(chunk)
                part.write(b"</worksheet>" + tail)
    return out.getvalue()


def wide_csv(columns: int) -> bytes:
    """A header of ``columns`` names and one row: 200,000 columns are about 1.5 MB."""
    return (",".join(f"c{i}" for i in range(columns)) + "\n" + ",".join("4" for _ in range(columns)) + "\n").encode()


def survey_csv(bad_line: str | None = None) -> bytes:
    """Four respondents; ``bad_line`` replaces the third line (the second respondent)."""
    rows = [SURVEY_HEADER, "4,4,4,4,4,4,4,4,4,A,cepat", "3,3,3,3,3,3,3,3,3,A,lumayan",
            "4,3,4,3,4,3,4,3,4,B,ramah", "2,2,2,2,2,2,2,2,2,B,lama"]
    if bad_line is not None:
        rows[2] = bad_line
    return ("\n".join(rows) + "\n").encode()


# A comment whose quote closes in the middle of the field: pandas' strict csv dialect refuses the line.
BAD_QUOTE_LINE = '3,3,3,3,3,3,3,3,3,A,"antri "lama" sekali"'
