"""classifier.tables (formats, bad-row policy, limits before parsing) and classifier.csv_output.

Every file is built in the test (tests/table_builders.py for the hostile ones)."""
from __future__ import annotations

import datetime
import io
import json

import pandas as pd
import pytest

from classifier.csv_output import escape_formula, safe_csv
from classifier.tables import (BadRowError, TableError, TableLimits, TableTooLarge, frame_from_records, read_table,
                               read_table_bytes)
from table_builders import (BAD_QUOTE_LINE, crowded_row_xlsx, far_cell_xlsx, survey_csv, wide_csv, xlsx_bytes,
                            zip_bomb_xlsx)


def read(text: str, suffix: str = ".csv", **options):
    return read_table_bytes(text.encode("utf-8"), suffix, **options)


# ---------------------------------------------------------------- formats
@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_sniffed(sep):
    frame = read(f"text{sep}label\njalan rusak{sep}jalan\nlampu mati{sep}pju\n").frame
    assert list(frame.columns) == ["text", "label"] and frame["label"].tolist() == ["jalan", "pju"]


def test_tsv_with_and_without_header():
    assert read("a\tb\n1\t2\n", ".tsv").frame.to_dict("list") == {"a": ["1"], "b": ["2"]}
    frame = read("bagus\tpositive\njelek\tnegative\n", ".tsv", header=False).frame
    assert list(frame.columns) == ["0", "1"] and frame["1"].tolist() == ["positive", "negative"]


def test_bom_crlf_multiline_quotes_blank_lines_and_short_rows():
    text = '\ufefftext,label,extra\r\n"baris\ndua, dengan koma",x,1\r\n\r\n   \r\nsatu\r\n'
    frame = read(text).frame
    assert list(frame.columns) == ["text", "label", "extra"]
    assert frame.values.tolist() == [["baris\ndua, dengan koma", "x", "1"], ["satu", "", ""]]


def test_bad_bytes_are_replaced_and_text_like_na_is_kept():
    frame = read_table_bytes(b"text,label\njalan \xff\xfe rusak,NA\n", ".csv").frame
    assert frame["text"].iat[0].startswith("jalan") and "\ufffd" in frame["text"].iat[0]
    assert frame["label"].iat[0] == "NA"


def test_lookup_exports_lose_their_empty_columns_and_repeated_names_are_numbered():
    frame = read("id;name;;;\n1;Gubeng;;;\n").frame
    assert list(frame.columns) == ["id", "name"]
    assert list(read("a,a, a ,b\n1,2,3,4\n").frame.columns) == ["a", "a.1", "a.2", "b"]


def test_xlsx_cells_read_as_pandas_shows_them():
    data = xlsx_bytes([["text", "n", "f", "when", "flag", "note"],
                       ["satu", 4, 3.5, datetime.datetime(2024, 1, 5), True, "NA"],
                       [None, None, None, None, None, None],
                       ["dua", 4.0, -1, None, False, "x"]])
    frame = read_table_bytes(data, ".xlsx").frame
    assert frame.values.tolist() == [["satu", "4", "3.5", "2024-01-05 00:00:00", "True", "NA"],
                                     ["", "", "", "", "", ""],  # a blank sheet row stays a row, as in pandas
                                     ["dua", "4", "-1", "", "False", "x"]]


def test_jsonl_and_json_array_keep_their_types():
    jsonl = "\n".join(json.dumps(row) for row in [{"text": "satu", "n": 1}, {"text": "dua", "n": 2}]) + "\n\n"
    assert read(jsonl, ".jsonl").frame["n"].tolist() == [1, 2]
    assert read(json.dumps([{"a": 1}, {"a": 2}]), ".json").frame["a"].tolist() == [1, 2]
    with pytest.raises(TableError, match="item 2 is not a JSON object"):
        read("[{\"a\": 1}, 3]", ".json")


def test_file_errors_name_the_file(tmp_path):
    path = tmp_path / "keluhan.csv"
    path.write_text("text,label\n1,2,3\n", encoding="utf-8")
    with pytest.raises(BadRowError, match=rf"^{path}: line 2: expected 2 fields, saw 3$"):
        read_table(path)
    with pytest.raises(TableError, match="file not found"):
        read_table(tmp_path / "missing.csv")
    with pytest.raises(TableError, match=r"unsupported file type '\.pdf'"):
        read_table_bytes(b"%PDF", ".pdf")
    for empty in (b"", b"  \n\n", "\ufeff".encode()):
        with pytest.raises(TableError, match="file is empty"):
            read_table_bytes(empty, ".csv")
    with pytest.raises(TableError, match="not a readable XLSX file"):
        read_table_bytes(b"not a zip", ".xlsx")


# ---------------------------------------------------------------- bad rows
def test_a_badly_quoted_line_is_refused_with_its_number():
    with pytest.raises(BadRowError, match=r"^line 3: badly quoted field"):
        read_table_bytes(survey_csv(BAD_QUOTE_LINE), ".csv")


def test_skipping_reports_every_skipped_row_and_keeps_the_others():
    text = "a,b\n1,2\n3,4,5\n\"x\"y,6\n7,\"multi\nline\"oops\n8,9\n"
    table = read(text, on_bad_lines="skip")
    assert table.frame.values.tolist() == [["1", "2"], ["8", "9"]]
    assert [(bad.first_line, bad.last_line) for bad in table.skipped] == [(3, 3), (4, 4), (5, 6)]
    summary = table.skipped_summary()
    assert summary.startswith("3 bad row(s) skipped (line 3: expected 2 fields, saw 3; line 4: badly quoted")
    assert "lines 5-6: badly quoted field" in summary
    assert read("a,b\n1,2\n").skipped_summary() is None


def test_an_unclosed_quote_is_refused_even_when_skipping():
    # It would swallow every later line into one field: skipping it would hide that loss.
    with pytest.raises(BadRowError, match="line 3: a quoted field opened here is never closed"):
        read('a,b\n1,2\n3,"open\n4,5\n6,7\n', on_bad_lines="skip")


def test_a_broken_jsonl_line_is_refused_or_skipped():
    text = '{"text": "ok"}\n{not json\n[1]\n{"text": "also ok"}\n'
    with pytest.raises(BadRowError, match=r"^line 2: not valid JSON"):
        read(text, ".jsonl")
    table = read(text, ".jsonl", on_bad_lines="skip")
    assert table.frame["text"].tolist() == ["ok", "also ok"]
    assert [b.first_line for b in table.skipped] == [2, 3]
    assert table.skipped[0].problem.startswith("not valid JSON") and table.skipped[1].problem == "not a JSON object"


def test_an_unknown_policy_is_refused():
    with pytest.raises(TableError, match="on_bad_lines"):
        read("a\n1\n", on_bad_lines="warn")


# ---------------------------------------------------------------- limits
def test_the_header_width_is_checked_before_any_row():
    # The malformed second line is never reached: the width refuses the file first.
    with pytest.raises(TableTooLarge, match="200000 columns, more than the limit of 200"):
        read_table_bytes(wide_csv(200_000) + b"1,\"broken\n", ".csv")
    assert read_table_bytes(wide_csv(200), ".csv").frame.shape == (1, 200)


def test_rows_and_bytes_limits():
    limits = TableLimits(max_rows=2)
    assert len(read("a\n1\n2\n", limits=limits).frame) == 2
    with pytest.raises(TableTooLarge, match="more than 2 rows"):
        read("a\n1\n2\n3\n", limits=limits)
    with pytest.raises(TableTooLarge, match="more than 2 rows"):
        read("\n".join(json.dumps({"a": i}) for i in range(3)), ".jsonl", limits=limits)
    with pytest.raises(TableTooLarge, match="12 bytes, more than the limit of 10"):
        read("a\n1\n2\n3\n4\n5\n", limits=TableLimits(max_bytes=10))


def test_a_file_on_disk_is_refused_by_its_size(tmp_path):
    path = tmp_path / "big.csv"
    path.write_bytes(b"a\n" + b"1\n" * 100)
    with pytest.raises(TableTooLarge, match=rf"^{path}: 202 bytes"):
        read_table(path, limits=TableLimits(max_bytes=100))


@pytest.mark.parametrize("cell, declared, message", [
    ("XFD1048576", None, r"the sheet declares 1048576 rows and 16384 columns \(dimension XFD1048576:XFD1048576\)"),
    ("XFD1048576", "A1", "sheet row 1000002: more than 1000000 rows"),  # a lie: the rows themselves are counted
    ("XFD2", "A1", r"sheet row 2: a value in column XFD \(column 16384\), more than the limit of 200 columns"),
])
def test_a_far_xlsx_cell_is_refused_whatever_the_declared_dimension(cell, declared, message):
    data = far_cell_xlsx(cell, declared)
    assert len(data) < 10_000
    with pytest.raises(TableTooLarge, match=message):
        read_table_bytes(data, ".xlsx")


def test_xlsx_rows_are_counted_from_the_sheet_xml():
    data = xlsx_bytes([["u1"], [1], [2], [3]])
    assert len(read_table_bytes(data, ".xlsx", limits=TableLimits(max_rows=3)).frame) == 3
    with pytest.raises(TableTooLarge, match="more than 2 rows"):
        read_table_bytes(data, ".xlsx", limits=TableLimits(max_rows=2))


def test_a_row_with_more_cells_than_xlsx_allows_is_refused():
    with pytest.raises(TableError, match="a row of more than 16384 cells"):
        read_table_bytes(crowded_row_xlsx(16_385), ".xlsx")


def test_zip_bombs_are_refused_from_the_zip_directory():
    with pytest.raises(TableTooLarge, match=r"XLSX unpacks to \d+ bytes, more than the limit of 134217728"):
        read_table_bytes(zip_bomb_xlsx(200), ".xlsx")
    with pytest.raises(TableTooLarge, match=r"XLSX part compressed \d+:1, more than the limit of 100:1"):
        read_table_bytes(zip_bomb_xlsx(16, level=9), ".xlsx")
    with pytest.raises(TableTooLarge, match="parts, more than the limit of 3"):
        read_table_bytes(xlsx_bytes([["u1"]]), ".xlsx", limits=TableLimits(max_zip_entries=3))


def test_records_are_bounded_by_their_distinct_keys_before_the_frame_is_built():
    limits = TableLimits(max_columns=3)
    assert frame_from_records([{"a": 1, "b": 2}, {"c": 3}], limits).shape == (2, 3)
    with pytest.raises(TableTooLarge, match="more than 3 distinct columns"):
        frame_from_records([{"a": 1}, {"b": 2}, {"c": 3}, {"d": 4}], limits)
    with pytest.raises(TableTooLarge, match="more than 1 rows"):
        frame_from_records([{"a": 1}, {"a": 2}], TableLimits(max_rows=1))


# ---------------------------------------------------------------- CSV out
@pytest.mark.parametrize("cell, written", [
    ("=HYPERLINK(\"http://x\")", "'=HYPERLINK(\"http://x\")"), ("+62-1", "'+62-1"), ("-2+3", "'-2+3"),
    ("@SUM(A1)", "'@SUM(A1)"), ("\tcmd", "'\tcmd"), ("\rcmd", "'\rcmd"),
    ("-3.5", "-3.5"), ("+62812", "+62812"), ("lampu = mati", "lampu = mati"), ("", ""),
])
def test_formula_cells_are_escaped(cell, written):
    assert escape_formula(cell) == written


def test_safe_csv_escapes_text_cells_and_names_but_not_numbers(tmp_path):
    frame = pd.DataFrame({"=name": ["=1+1", "aman"], "score": [-1.5, 2.0]})
    text = safe_csv(frame)
    back = pd.read_csv(io.StringIO(text), keep_default_na=False)
    assert list(back.columns) == ["'=name", "score"]
    assert back["'=name"].tolist() == ["'=1+1", "aman"] and back["score"].tolist() == [-1.5, 2.0]
    safe_csv(frame, tmp_path / "out.csv")
    assert (tmp_path / "out.csv").read_text(encoding="utf-8") == text
    assert frame.columns[0] == "=name"  # the caller's frame is left alone
