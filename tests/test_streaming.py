"""Chunked reading (classifier.table_stream), chunked writing (classifier.table_output), Parquet in and
out, and `aduan predict|sentiment` streamed chunk by chunk: the same tables and predictions as a
whole read, whatever the chunk size."""
from __future__ import annotations

import json

import pandas as pd
import pytest

from aduan.batch import BatchJob, run_local
from aduan.cli import main
from aduan.parallel import map_ordered
from batch_support import complaints_frame, train_model
from classifier.csv_output import safe_csv
from classifier.table_output import TableWriter
from classifier.table_stream import TableStream
from classifier.tables import BadRowError, TableError, TableTooLarge, TableLimits, read_table

# A CSV with a BOM, CRLF, a quoted field over two lines, blank lines, a short row, and a row
# with more fields than the header (line 9: the quoted field spans lines 2-3).
MESSY_CSV = ('\ufeffid,text,extra\r\n1,"dua baris\r\nsatu field",x\r\n\r\n2,pendek\r\n3,"koma, di dalam",y\r\n'
             '\r\n4,biasa,z\r\n5,terlalu,banyak,field\r\n6,"kutip ""dalam""",w\r\n')


def chunks(path, chunk_rows, **options):
    stream = TableStream(path, chunk_rows=chunk_rows, **options)
    return list(stream), stream


@pytest.mark.parametrize("chunk_rows", [1, 2, 4, 1000])
def test_chunked_csv_is_the_whole_read_cut_in_order(tmp_path, chunk_rows):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY_CSV.encode("utf-8"))
    whole = read_table(path, on_bad_lines="skip")
    frames, stream = chunks(path, chunk_rows, on_bad_lines="skip")
    assert all(len(f) <= chunk_rows for f in frames)
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), whole.frame)
    assert stream.skipped == whole.skipped and stream.skipped_summary() == whole.skipped_summary()
    assert stream.skipped[0].first_line == 9 and stream.done == stream.total == path.stat().st_size


def test_a_bad_row_stops_the_stream_with_file_and_line(tmp_path):
    path = tmp_path / "messy.csv"
    path.write_bytes(MESSY_CSV.encode("utf-8"))
    with pytest.raises(BadRowError, match=r"messy\.csv: line 9: expected 3 fields, saw 4"):
        chunks(path, 2)


def test_streamed_rows_are_limited_but_bytes_are_not(tmp_path):
    path = tmp_path / "t.csv"
    path.write_text("text\n" + "lampu mati\n" * 50)
    frames, _ = chunks(path, 7, limits=TableLimits(max_bytes=10))
    assert sum(map(len, frames)) == 50
    with pytest.raises(TableTooLarge, match="more than 40 rows"):
        chunks(path, 7, limits=TableLimits(max_rows=40))


@pytest.mark.parametrize("chunk_rows", [1, 3, 100])
def test_chunked_jsonl_has_every_key_of_the_file(tmp_path, chunk_rows):
    path = tmp_path / "t.jsonl"
    lines = [{"text": "a", "n": 1}, {"text": "b"}, {"text": "c\u2028d", "late": True}, "not json",
             {"text": "e", "n": 2}]
    path.write_text("\n".join(x if isinstance(x, str) else json.dumps(x, ensure_ascii=False) for x in lines) + "\n\n")
    frames, stream = chunks(path, chunk_rows, on_bad_lines="skip")
    frame = pd.concat(frames, ignore_index=True)
    assert list(frame.columns) == ["text", "n", "late"] and frame["text"].tolist() == ["a", "b", "c\u2028d", "e"]
    assert [bad.first_line for bad in stream.skipped] == [4]
    whole = read_table(path, on_bad_lines="skip")
    assert whole.frame["text"].tolist() == frame["text"].tolist()  # U+2028 inside a string is no line break


def test_parquet_in_and_out_keeps_types_and_order(tmp_path):
    frame = pd.DataFrame({"id": range(10), "text": [f"teks {i}" for i in range(10)],
                          "score": [i / 3 for i in range(10)]})
    path = tmp_path / "t.parquet"
    with TableWriter(path) as writer:
        for start in range(0, 10, 4):
            writer.write(frame.iloc[start:start + 4])
    assert not list(tmp_path.glob(".*partial"))
    frames, stream = chunks(path, 3)
    assert [len(f) for f in frames] == [3, 3, 3, 1] and stream.unit == "rows" and stream.done == 10
    pd.testing.assert_frame_equal(pd.concat(frames, ignore_index=True), frame, check_dtype=False)
    assert read_table(path).frame["score"].tolist() == frame["score"].tolist()


def test_a_parquet_footer_over_the_limits_is_refused_before_reading(tmp_path):
    path = tmp_path / "t.parquet"
    pd.DataFrame({"text": ["x"] * 30}).to_parquet(path)
    with pytest.raises(TableTooLarge, match="30 rows, more than the limit of 20"):
        read_table(path, limits=TableLimits(max_rows=20))
    (tmp_path / "bad.parquet").write_bytes(b"PAR1 not really")
    with pytest.raises(TableError, match="bad.parquet: not a readable Parquet file"):
        read_table(tmp_path / "bad.parquet")


def test_chunked_csv_output_is_the_whole_safe_csv(tmp_path):
    frame = pd.DataFrame({"text": ["=SUM(A1)", "biasa", "+62 812", "-3.5"], "n": [1, 2, 3, 4]})
    with TableWriter(tmp_path / "out.csv") as writer:
        writer.write(frame.iloc[:1])
        writer.write(frame.iloc[1:])
    assert (tmp_path / "out.csv").read_text() == safe_csv(frame)


def test_a_failed_run_leaves_no_partial_output(tmp_path):
    with pytest.raises(RuntimeError):
        with TableWriter(tmp_path / "out.csv") as writer:
            writer.write(pd.DataFrame({"a": [1]}))
            raise RuntimeError("stopped half way")
    assert list(tmp_path.iterdir()) == []


def test_map_ordered_keeps_input_order_with_few_batches_in_flight():
    batches = [list(range(i, i + 5)) for i in range(0, 100, 5)]
    results = list(map_ordered(sum, batches, jobs=2, window=3))
    assert [b for b, _ in results] == batches and [r for _, r in results] == [sum(b) for b in batches]


# ---------------------------------------------------------------- the commands, on a tiny model
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    return train_model(tmp_path_factory.mktemp("models"))


@pytest.fixture(scope="module")
def complaints_csv(tmp_path_factory):
    path = tmp_path_factory.mktemp("input") / "complaints.csv"
    complaints_frame(230).to_csv(path, index=False)
    return path


@pytest.mark.parametrize("command", ["predict", "sentiment"])
def test_chunk_size_and_workers_never_change_the_output(model_dir, complaints_csv, tmp_path, command):
    job = BatchJob(command)
    outputs = []
    for chunk_rows, jobs in [(10_000, 1), (7, 1), (16, 2)]:
        out = tmp_path / f"{chunk_rows}-{jobs}.csv"
        summary = run_local(job, str(complaints_csv), str(out), model_dir, jobs=jobs, chunk_rows=chunk_rows)
        assert summary.counts.rows == 230 and summary.counts.empty == 20
        outputs.append(out.read_text())
    assert outputs[0] == outputs[1] == outputs[2]
    frame = pd.read_csv(tmp_path / "7-1.csv", dtype=str, keep_default_na=False)
    assert frame["id"].tolist() == [str(i) for i in range(230)]  # input order
    assert frame["text"][frame["text"].str.startswith("'=")].size  # the formula stays escaped


def test_parquet_output_holds_what_the_csv_holds(model_dir, complaints_csv, tmp_path):
    assert main(["predict", "--model", str(model_dir), str(complaints_csv), "-o", str(tmp_path / "o.csv")]) == 0
    assert main(["predict", "--model", str(model_dir), str(complaints_csv), "-o", str(tmp_path / "o.parquet")]) == 0
    csv = pd.read_csv(tmp_path / "o.csv", dtype=str, keep_default_na=False)
    parquet = pd.read_parquet(tmp_path / "o.parquet")
    assert list(parquet.columns) == list(csv.columns)
    assert parquet["topic_confidence"].dtype == "float64"
    assert parquet["topic"].tolist() == csv["topic"].tolist()
    assert parquet["id"].tolist() == [str(i) for i in range(230)]  # CSV cells are text
    # ... and a Parquet input predicts as its CSV did
    assert main(["predict", "--model", str(model_dir), str(tmp_path / "o.parquet"),
                 "-o", str(tmp_path / "p.jsonl")]) == 0
    again = pd.read_json(tmp_path / "p.jsonl", lines=True)
    assert again["agency"].tolist() == csv["agency"].tolist()


def test_sentiment_parquet_keeps_empty_confidences_missing(model_dir, complaints_csv, tmp_path, capsys):
    assert main(["sentiment", "--model", str(model_dir), str(complaints_csv), "-o", str(tmp_path / "s.parquet")]) == 0
    frame = pd.read_parquet(tmp_path / "s.parquet")
    empty = frame["text"] == ""
    assert frame.loc[empty, "sentiment_confidence"].isna().all()
    assert frame.loc[~empty, "sentiment_confidence"].gt(0).all()
    assert "20 row(s) with an empty 'text'" in capsys.readouterr().err


def test_a_bad_row_half_way_fails_with_its_line_and_no_output(model_dir, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("text\n" + "lampu mati\n" * 30 + "a,b\n" + "sampah bau\n" * 5)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out), "--jobs", "1"]) == 2
    err = capsys.readouterr().err.strip()
    assert "line 32: expected 1 fields, saw 2" in err and len(err.splitlines()) == 1
    assert not out.exists() and not list(tmp_path.glob(".*partial"))
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out), "--skip-bad-lines"]) == 0
    assert len(pd.read_csv(out)) == 35 and "1 bad row(s) skipped (line 32" in capsys.readouterr().err
