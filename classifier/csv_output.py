"""The one CSV writer: every CSV the project writes (CLI outputs, IKM reports) goes through ``safe_csv``,
which escapes the cells a spreadsheet would run as formulas (CSV injection)."""
from __future__ import annotations

import re
from pathlib import Path
from typing import IO

import pandas as pd

_FORMULA_START = frozenset("=+-@\t\r")
_PLAIN_NUMBER = re.compile(r"[+-]?(\d+([.,]\d*)?|[.,]\d+)([eE][+-]?\d+)?")


def escape_formula(value):
    """A text cell that a spreadsheet would run as a formula (=, +, -, @, tab, CR first), prefixed with
    an apostrophe (OWASP's advice); plain numbers such as -3.5 stay as they are."""
    if isinstance(value, str) and value[:1] in _FORMULA_START and not _PLAIN_NUMBER.fullmatch(value):
        return "'" + value
    return value


def safe_csv(frame: pd.DataFrame, path: str | Path | IO[str] | None = None, *, header: bool = True) -> str | None:
    """``frame.to_csv(path, index=False)`` with every text cell and column name escaped against formula
    injection; returns the text when ``path`` is None. ``path`` may be an open file and ``header``
    False, to append the later chunks of a table written chunk by chunk."""
    safe = frame.rename(columns=escape_formula)
    for position in range(safe.shape[1]):
        column = safe.iloc[:, position]
        if not pd.api.types.is_numeric_dtype(column):
            # a list, not Series.map: map would infer a dtype, turning 372 beside a missing cell into "372.0"
            safe.isetitem(position, pd.Series([escape_formula(v) for v in column], index=column.index, dtype=object))
    return safe.to_csv(path, index=False, header=header)
