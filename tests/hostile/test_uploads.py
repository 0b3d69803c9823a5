"""Issue 13, items 1, 2 and 7 (and the CSV part of 8): hostile and careless survey tables against the
real app (TestClient over create_app) and the real CLI (aduan.cli.main).

Each hostile case used to take minutes or gigabytes (a 1.6 KB XLSX climbed past 5.7 GB, a zip bomb
added 1 GB, 50,000 JSON keys asked 18.6 GiB, 200,000 CSV columns kept `aduan ikm` busy for minutes).
Now each is refused with a 4xx and a JSON message naming the field, or exit 2 and one line naming the
file and the limit, while the process grows by less than MAX_GROWTH_MB and within MAX_SECONDS: bounds
on a denial of service, with room for a loaded 2-core machine, not speed targets.
"""
from __future__ import annotations

import json
import sys
import threading
import time
from pathlib import Path

import pandas as pd
import psutil
import pytest
from fastapi.testclient import TestClient

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: the shared builders and model fixtures

from aduan.cli import main  # noqa: E402
from api_support import build_models  # noqa: E402
from serving.core.config import Settings  # noqa: E402
from serving.keys import create_key  # noqa: E402
from serving.main import create_app  # noqa: E402
from table_builders import (BAD_QUOTE_LINE, SURVEY_HEADER, far_cell_xlsx, survey_csv, wide_csv,  # noqa: E402
                            zip_bomb_xlsx)

MAX_GROWTH_MB = 200
MAX_SECONDS = 20


class Bounded:
    """Peak RSS growth (sampled every 5 ms by a thread) and wall seconds of a block."""

    def __enter__(self) -> "Bounded":
        self.process = psutil.Process()
        self.base = self.peak = self.process.memory_info().rss
        self.done = threading.Event()
        self.sampler = threading.Thread(target=self._sample, daemon=True)
        self.sampler.start()
        self.started = time.perf_counter()
        return self

    def _sample(self) -> None:
        while not self.done.wait(0.005):
            self.peak = max(self.peak, self.process.memory_info().rss)

    def __exit__(self, *exc) -> None:
        self.seconds = time.perf_counter() - self.started
        self.done.set()
        self.sampler.join()
        self.peak = max(self.peak, self.process.memory_info().rss)

    def check(self) -> None:
        growth = (self.peak - self.base) / 2**20
        assert growth < MAX_GROWTH_MB, f"memory grew by {growth:.0f} MB"
        assert self.seconds < MAX_SECONDS, f"took {self.seconds:.1f} s"


@pytest.fixture
def app(tmp_path):
    # No model: the IKM route works without one (no sentiment), and nothing here needs it.
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=tmp_path / "models"))


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


@pytest.fixture
def key(app, client) -> dict[str, str]:
    with app.state.sessions() as session:
        return {"X-API-Key": create_key(session, ["reporting"], name="hostile").key}


def upload(client, key, name: str, data: bytes, **fields):
    with Bounded() as bounded:
        answer = client.post("/v1/ikm/reports", headers=key, files={"file": (name, data)}, data=fields)
    bounded.check()
    return answer


# ---------------------------------------------------------------- API: limits before parsing
@pytest.mark.parametrize("name, build, words", [
    ("far.xlsx", far_cell_xlsx, "the sheet declares 1048576 rows and 16384 columns"),
    ("far-lying-dimension.xlsx", lambda: far_cell_xlsx(declared_dimension="A1"),
     "sheet row 100002: more than 100000 rows"),
    ("wide-lying-dimension.xlsx", lambda: far_cell_xlsx("XFD2", declared_dimension="A1"),
     "sheet row 2: a value in column XFD (column 16384), more than the limit of 200 columns"),
    ("bomb.xlsx", lambda: zip_bomb_xlsx(256, level=6), "XLSX unpacks to"),
    ("wide.csv", lambda: wide_csv(200_000), "200000 columns, more than the limit of 200"),
])
def test_hostile_uploads_are_refused_with_413_before_they_are_parsed(client, key, name, build, words):
    data = build()
    answer = upload(client, key, name, data)
    assert answer.status_code == 413, answer.text
    assert answer.json()["field"] == "file" and words in answer.json()["detail"]


def test_the_column_limit_is_a_setting(tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=tmp_path / "models",
                              max_table_columns=5))
    with TestClient(app) as client, app.state.sessions() as session:
        headers = {"X-API-Key": create_key(session, ["reporting"], name="t").key}
        answer = client.post("/v1/ikm/reports", headers=headers, files={"file": ("s.csv", survey_csv())})
    assert answer.status_code == 413 and "11 columns, more than the limit of 5" in answer.json()["detail"]


def test_json_rows_with_distinct_keys_are_refused_before_a_frame_is_built(client, key):
    # 6,000 rows of 50 keys each, all distinct (~4.5 MB): a dense frame of 6,000 x 300,000 cells.
    body = json.dumps({"rows": [{f"k{row}_{i}": 4 for i in range(50)} for row in range(6_000)]})
    one_wide_row = json.dumps({"rows": [{**{f"u{i}": 4 for i in range(1, 10)},
                                         **{f"extra{i}": "x" for i in range(50_000)}}]})
    for content in (body, one_wide_row):
        with Bounded() as bounded:
            answer = client.post("/v1/ikm/reports", headers={**key, "Content-Type": "application/json"},
                                 content=content)
        bounded.check()
        assert answer.status_code == 413, answer.text
        assert answer.json() == {"detail": "rows: more than 200 distinct columns (keys)", "field": "rows"}


# ---------------------------------------------------------------- API: bad rows
def test_a_badly_quoted_upload_line_is_refused_with_its_number(client, key):
    answer = upload(client, key, "survey.csv", survey_csv(BAD_QUOTE_LINE))
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["field"] == "file" and error["msg"].startswith("line 3: badly quoted field")
    assert "on_bad_lines=skip" in error["msg"]


def test_skipping_bad_lines_is_explicit_and_reported_in_the_warnings(client, key):
    answer = upload(client, key, "survey.csv", survey_csv(BAD_QUOTE_LINE), on_bad_lines="skip")
    assert answer.status_code == 200, answer.text
    report = answer.json()
    assert report["respondents"] == 3
    assert report["warnings"][0].startswith("file: 1 bad row(s) skipped (line 3: badly quoted field")
    html = client.post("/v1/ikm/reports?format=html", headers=key, data={"on_bad_lines": "skip"},
                       files={"file": ("s.csv", survey_csv(BAD_QUOTE_LINE))})
    assert html.status_code == 200 and "1 bad row(s) skipped" in html.text


def test_an_unknown_bad_line_policy_names_the_field(client, key):
    answer = upload(client, key, "survey.csv", survey_csv(), on_bad_lines="ignore")
    assert answer.status_code == 422 and answer.json()["detail"][0]["field"] == "on_bad_lines"


# ---------------------------------------------------------------- CLI
def run_cli(capsys, *argv: str) -> tuple[int, str, str]:
    with Bounded() as bounded:
        code = main(list(argv))
    bounded.check()
    out, err = capsys.readouterr()
    return code, out, err


@pytest.fixture
def no_models(tmp_path, monkeypatch):
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(tmp_path / "no-models"))  # aduan ikm: no sentiment


def test_cli_ikm_refuses_a_wide_csv_and_a_wide_jsonl_in_one_line(tmp_path, capsys, no_models):
    wide = tmp_path / "wide.csv"
    wide.write_bytes(wide_csv(200_000))
    code, _, err = run_cli(capsys, "ikm", str(wide))
    assert code == 2 and err == f"aduan: error: {wide}: 200000 columns, more than the limit of 200\n"
    jsonl = tmp_path / "wide.jsonl"
    jsonl.write_text(json.dumps({f"k{i}": 4 for i in range(50_000)}) + "\n", encoding="utf-8")
    code, _, err = run_cli(capsys, "ikm", str(jsonl))
    assert code == 2 and err == f"aduan: error: {jsonl}: more than 200 distinct columns (keys)\n"


def test_cli_names_the_bad_line_or_skips_it_when_asked(tmp_path, capsys, no_models):
    survey = tmp_path / "survey.csv"
    survey.write_bytes(survey_csv(BAD_QUOTE_LINE))
    code, _, err = run_cli(capsys, "ikm", str(survey))
    assert code == 2 and len(err.splitlines()) == 1
    assert err.startswith(f"aduan: error: {survey}: line 3: badly quoted field") and "--skip-bad-lines" in err
    code, out, err = run_cli(capsys, "ikm", str(survey), "--skip-bad-lines")
    assert code == 0 and json.loads(out)["respondents"] == 3
    assert f"aduan: warning: {survey}: 1 bad row(s) skipped (line 3: badly quoted field" in err


def test_cli_csv_outputs_escape_formulas(tmp_path, capsys, no_models):
    survey = tmp_path / "survey.csv"
    survey.write_text(SURVEY_HEADER + "\n4,4,4,4,4,4,4,4,4,=cmd|' /C calc'!A0,ok\n", encoding="utf-8")
    code, _, _ = run_cli(capsys, "ikm", str(survey), "--by", "unit", "-o", str(tmp_path / "ikm.csv"))
    assert code == 0
    written = pd.read_csv(tmp_path / "ikm.csv", keep_default_na=False)
    assert written["unit"].tolist() == ["", "'=cmd|' /C calc'!A0"]  # the overall row, then the group


def test_cli_predict_csv_output_escapes_formulas(tmp_path, capsys):
    models = build_models(tmp_path / "models")
    complaints = tmp_path / "in.csv"
    pd.DataFrame({"text": ["=HYPERLINK(\"http://x\",\"lampu mati\")", "@SUM(1) jalan rusak"]}).to_csv(
        complaints, index=False)
    code, _, _ = run_cli(capsys, "predict", str(complaints), "--model", str(models / "test-2"),
                         "-o", str(tmp_path / "out.csv"), "--jobs", "1")
    assert code == 0
    written = pd.read_csv(tmp_path / "out.csv")
    assert written["text"].tolist() == ["'=HYPERLINK(\"http://x\",\"lampu mati\")", "'@SUM(1) jalan rusak"]
