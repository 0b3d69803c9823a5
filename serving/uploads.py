"""Survey tables sent to the API: classifier.tables with the limits of the API's settings."""
from __future__ import annotations

from pathlib import PurePath

from classifier.tables import BadLinePolicy, Table, TableLimits, read_table_bytes
from serving.core.config import Settings


def table_limits(settings: Settings) -> TableLimits:
    """Bytes, rows and columns from ``ADUAN_MAX_UPLOAD_BYTES``, ``ADUAN_MAX_SURVEY_ROWS`` and
    ``ADUAN_MAX_TABLE_COLUMNS``; the XLSX unpacking limits keep classifier.tables' defaults."""
    return TableLimits(max_bytes=settings.max_upload_bytes, max_rows=settings.max_survey_rows,
                       max_columns=settings.max_table_columns)


def read_upload(filename: str, data: bytes, settings: Settings, on_bad_lines: BadLinePolicy = "error") -> Table:
    """The uploaded file, its format told by the name's suffix. The name itself is never echoed."""
    return read_table_bytes(data, PurePath(filename or "").suffix, limits=table_limits(settings),
                            on_bad_lines=on_bad_lines)
