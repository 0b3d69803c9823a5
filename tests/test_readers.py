"""training.readers: the training side of classifier.tables (errors as DataError) and label validation,
on malformed files written in the tests. The reader itself is tested in tests/test_tables.py."""
import json

import pandas as pd
import pytest

from training.readers import DataError, clean_labeled, read_table, require_columns


def write(tmp_path, name, content, mode="w"):
    path = tmp_path / name
    if mode == "wb":
        path.write_bytes(content)
    else:
        path.write_text(content, encoding="utf-8")
    return path


@pytest.mark.parametrize("sep", [",", ";", "\t"])
def test_delimiter_is_detected(tmp_path, sep):
    path = write(tmp_path, "a.csv", f"text{sep}label\njalan rusak{sep}jalan\nlampu mati{sep}pju\n")
    frame = read_table(path)
    assert list(frame.columns) == ["text", "label"]
    assert frame["label"].tolist() == ["jalan", "pju"]


def test_tsv_without_header_gets_numbered_columns(tmp_path):
    path = write(tmp_path, "s.tsv", "bagus sekali\tpositive\njelek\tnegative\n")
    frame = read_table(path, header=False)
    assert list(frame.columns) == ["0", "1"] and len(frame) == 2


def test_xlsx_and_jsonl(tmp_path):
    pd.DataFrame({"text": ["a b", "c d"], "label": ["x", "y"]}).to_excel(tmp_path / "a.xlsx", index=False)
    assert read_table(tmp_path / "a.xlsx")["label"].tolist() == ["x", "y"]
    path = write(tmp_path, "a.jsonl", "\n".join(json.dumps({"text": t}) for t in ["satu", "dua"]) + "\n\n")
    assert read_table(path)["text"].tolist() == ["satu", "dua"]


def test_bad_bytes_are_replaced_not_fatal(tmp_path):
    path = write(tmp_path, "bad.csv", b"text,label\njalan \xff\xfe rusak,jalan\n", mode="wb")
    frame = read_table(path)
    assert frame["text"].iat[0].startswith("jalan") and frame["label"].iat[0] == "jalan"


@pytest.mark.parametrize("name, content, message", [
    ("empty.csv", "", "file is empty"),
    ("blank.csv", "   \n\n", "file is empty"),
    ("broken.jsonl", '{"text": "ok"}\n{not json\n', "line 2: not valid JSON"),
    ("notes.pdf", "x", "unsupported file type"),
])
def test_unreadable_files_give_one_clear_error(tmp_path, name, content, message):
    with pytest.raises(DataError, match=message):
        read_table(write(tmp_path, name, content))


def test_a_malformed_training_row_is_a_data_error_naming_the_line(tmp_path):
    # Training never skips rows silently: the file must be fixed (classifier.tables reads it).
    with pytest.raises(DataError, match=r"a\.csv: line 3: expected 2 fields, saw 3$"):
        read_table(write(tmp_path, "a.csv", "text,label\njalan rusak,jalan\nlampu,mati,pju\n"))


def test_corrupt_xlsx_is_a_data_error(tmp_path):
    with pytest.raises(DataError, match="not a readable XLSX"):
        read_table(write(tmp_path, "x.xlsx", b"not a zip", mode="wb"))


def test_missing_column_is_named(tmp_path):
    frame = read_table(write(tmp_path, "a.csv", "keluhan,label\nx,y\n"))
    with pytest.raises(DataError, match="missing column 'text'.*'keluhan'"):
        require_columns(frame, ["text"], "a.csv")


def test_cleaning_counts_every_change():
    frame = pd.DataFrame({
        "text": ["lampu mati", "lampu mati", "jalan rusak", "jalan rusak", "", "sampah", "banjir", "x1", "x2", "x3"],
        "label": ["pju", "pju", "jalan", "sampah", "pju", "", "air", "pju", "pju", "pju"],
    })
    clean, report = clean_labeled(frame, "text", "label", min_examples=2)
    assert report.empty_texts == 1 and report.missing_labels == 1
    assert report.duplicates_collapsed == 1  # "lampu mati" kept once
    assert report.conflicting_duplicates_dropped == 2  # both "jalan rusak" rows: labels disagree
    assert report.rare_labels == ["air"] and report.rare_label_rows == 1
    assert sorted(clean["text"]) == ["lampu mati", "x1", "x2", "x3"]
    assert report.rows_kept == 4 and "4 kept" in report.summary()


def test_rare_labels_can_be_kept():
    frame = pd.DataFrame({"text": ["a", "b", "c"], "label": ["x", "x", "y"]})
    clean, report = clean_labeled(frame, "text", "label", min_examples=2, rare_labels="keep")
    assert len(clean) == 3 and report.rare_labels == ["y"]
    with pytest.raises(DataError, match="rare_labels"):
        clean_labeled(frame, "text", "label", rare_labels="merge")
