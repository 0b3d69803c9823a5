"""`aduan train` and `aduan predict` end to end on the hand-written fixtures."""
import json
from pathlib import Path

import pandas as pd
import pytest

import classifier
from aduan.cli import main
from classifier.predict import PREDICTION_COLUMNS

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
CONFIG = FIXTURES / "config_small.toml"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES), "--output", str(out)]) == 0
    [path] = [p.parent for p in out.glob("*/model.json")]
    return path


def test_model_directory_carries_metadata_and_report(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    assert set(meta["tasks"]) == {"topic", "agency"}
    assert meta["data_files"]["complaints_small.csv"] and len(meta["data_files"]["complaints_small.csv"]) == 64
    assert meta["config"]["seed"] == 7 and meta["libraries"]["scikit-learn"]
    assert "Kelurahan Ujung" in meta["tasks"]["agency"]["labels"]
    assert 0.0 <= meta["tasks"]["topic"]["metrics"]["accuracy"] <= 1.0
    report = (model_dir / "report.md").read_text()
    assert "## topic" in report and "Most confused pairs" in report and "coverage" in report
    # the [confidence] policy travels inside the stored config (fixture: low_below 0.3, default 0.5)
    assert classifier.load_model(model_dir).policy.low_below == 0.3


def test_predict_contract(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2], "text": ["lampu jalan mati gelap sekali", "sampah tidak diangkut bau"],
                  "kelurahan": ["Ujung", "Airlangga"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out)]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["id", "text", "kelurahan"] + PREDICTION_COLUMNS
    assert frame["topic"].tolist() == ["Lampu Jalan", "Sampah"]
    assert frame["agency"].tolist() == ["Dinas Perhubungan", "Dinas Lingkungan Hidup"]
    assert all(len(t.split("|")) == 3 for t in frame["agency_top3"])
    assert set(frame["needs_review"]) <= {"true", "false"}
    assert all(0 < float(c) <= 1 for c in frame["agency_confidence"])


def test_predict_routes_local_problems_to_the_unit(model_dir):
    model = classifier.load_model(model_dir)
    [p] = model.predict([{"text": "ketua rt tidak mau tanda tangan surat pengantar warga", "kelurahan": "Ujung",
                          "kecamatan": "Semampir"}])
    assert p.agency.label == "Kelurahan Ujung"


def test_predict_writes_jsonl_to_stdout(model_dir, tmp_path, capsys):
    src = tmp_path / "in.jsonl"
    src.write_text(json.dumps({"text": "jalan berlubang di depan sekolah", "extra": 5}) + "\n")
    assert main(["predict", "--model", str(model_dir), str(src)]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert row["extra"] == 5 and row["topic"] == "Jalan Rusak"


def test_predict_uses_the_latest_model_by_default(model_dir, tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(model_dir.parent))
    src = tmp_path / "in.csv"
    src.write_text("text\nlampu pju padam\n")
    assert main(["predict", str(src)]) == 0
    assert json.loads(capsys.readouterr().out)["topic"] == "Lampu Jalan"


@pytest.mark.parametrize("content, args, message", [
    ("", [], "file is empty"),
    ("keluhan\nlampu mati\n", [], "missing column 'text'"),
    ("keluhan\nlampu mati\n", ["--text-col", "isi"], "missing column 'isi'"),
    ("text\n", [], "no rows"),
])
def test_bad_input_is_one_line_and_exit_2(model_dir, tmp_path, capsys, content, args, message):
    src = tmp_path / "in.csv"
    src.write_text(content)
    assert main(["predict", "--model", str(model_dir), str(src), *args]) == 2
    err = capsys.readouterr().err.strip()
    assert message in err and len(err.splitlines()) == 1 and "Traceback" not in err


def test_odd_texts_never_crash(model_dir, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_bytes(b"id,text\n1,\"" + b"jalan rusak " * 90_000 + b"\"\n2,\n3,lampu \xff\xfe mati\n")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out)]) == 0
    rows = [json.loads(line) for line in out.read_text().splitlines()]
    assert len(rows) == 3 and rows[1]["needs_review"] == "true"
    err = capsys.readouterr().err
    assert "1 row(s) with an empty 'text'" in err and "longer than 20000" in err


def test_missing_model_and_unknown_output_type(tmp_path, monkeypatch, capsys):
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(tmp_path / "none"))
    src = tmp_path / "in.csv"
    src.write_text("text\nx\n")
    assert main(["predict", str(src)]) == 2
    assert "run `aduan train` first" in capsys.readouterr().err
    assert main(["predict", str(src), "-o", str(tmp_path / "out.parquet")]) == 2


def test_train_reports_bad_config_and_missing_data(tmp_path, capsys, monkeypatch):
    bad = tmp_path / "bad.toml"
    bad.write_text("[tasks.topic]\nsources = [{ path = 'x.csv' }]\nmodel = { kind = 'forest' }\n")
    assert main(["train", "--config", str(bad), "--data-dir", str(FIXTURES)]) == 2
    assert "tasks.topic.model: kind" in capsys.readouterr().err
    monkeypatch.delenv("ADUAN_DATA_DIR", raising=False)
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(tmp_path / "nowhere")]) == 2
    err = capsys.readouterr().err
    assert "--data-dir" in err and "ADUAN_DATA_DIR" in err and "../shared/datasets" in err


def test_contract_columns_are_stable():
    # Other tools read these columns by name and in this order: change them only with a contract change.
    assert PREDICTION_COLUMNS == [
        "topic", "topic_confidence", "topic_confidence_level", "agency", "agency_confidence",
        "agency_confidence_level", "agency_top3", "urgency", "urgency_confidence", "urgency_reasons",
        "urgency_confidence_level", "needs_review", "language"]


def test_explain_maps_cues_to_original_words(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    src.write_text("text\nLampu PJU di gang kami MATI total\n")
    out = tmp_path / "out.jsonl"
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out), "--explain"]) == 0
    row = json.loads(out.read_text())
    cues = row["topic_cues"].split("|")
    assert row["topic"] == "Lampu Jalan"
    assert cues and set(cues) <= {"Lampu", "PJU", "di", "gang", "kami", "MATI", "total"}
    assert "Lampu" in cues or "PJU" in cues or "MATI" in cues
    assert "agency_cues" in row and "urgency_cues" in row


def test_confidence_levels_and_actions_follow_the_policy(model_dir):
    from classifier.confidence import ConfidencePolicy, FieldAutomation
    from classifier.model import ModelBundle
    from classifier.predict import ComplaintClassifier

    policy = ConfidencePolicy(high_at=0.99, low_below=0.98,
                              automation={"topic": FieldAutomation("auto", 0.0, 0.0),
                                          "agency": FieldAutomation("recommend", 0.0, 0.0)})
    model = ComplaintClassifier(ModelBundle.load(model_dir), policy)
    [p] = model.predict(["lampu jalan mati gelap sekali di depan gang"])
    assert p.topic.level == "low" and p.topic.action == "auto" and p.agency.action == "recommend"
    assert p.needs_review  # a low field always needs review
    [short] = classifier.load_model(model_dir).predict(["lampu"])
    assert short.needs_review  # too short to judge


def test_parallel_prediction_matches_serial(model_dir, tmp_path):
    src = tmp_path / "in.csv"
    texts = ["lampu jalan mati", "sampah menumpuk", "bantuan belum cair", "jalan berlubang besar"] * 600
    pd.DataFrame({"text": texts}).to_csv(src, index=False)
    for jobs in ("1", "2"):
        assert main(["predict", "--model", str(model_dir), str(src), "-o", str(tmp_path / f"{jobs}.csv"),
                     "--jobs", jobs]) == 0
    assert (tmp_path / "1.csv").read_text() == (tmp_path / "2.csv").read_text()


def test_report_compares_with_the_plain_reference_and_measures_thresholds(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    for task in ("topic", "agency"):
        metrics = meta["tasks"][task]["metrics"]
        assert metrics["reference"]["split"] == metrics["split"] and metrics["inner"]["split"].startswith("inner")
    assert meta["confidence"]["calibrated_on"].startswith("inner time split")
    report = (model_dir / "report.md").read_text()
    assert "### Against the plain reference" in report and "## Automation: coverage at a target precision" in report


def stored_policy_model(model_dir, tmp_path, automation: dict):
    """A copy of the model whose model.json carries ``automation`` as its measured confidence policy."""
    import shutil

    copy = tmp_path / "model"
    shutil.copytree(model_dir, copy)
    meta = json.loads((copy / "model.json").read_text())
    meta["confidence"] = {"high_at": 0.8, "low_below": 0.3, "automation": automation}
    (copy / "model.json").write_text(json.dumps(meta))
    return classifier.load_model(copy)


def test_needs_review_follows_the_measured_thresholds_of_the_fields_the_desk_acts_on(model_dir, tmp_path):
    complaint = {"text": "lampu jalan di depan gang mati sudah seminggu gelap sekali", "kelurahan": "Ujung"}
    recommend = {"mode": "recommend"}
    trusted = stored_policy_model(model_dir, tmp_path / "a", {
        "agency": {"mode": "auto", "suggest_at": 0.0, "auto_at": 0.05, "precision": 0.95},
        "topic": recommend, "urgency": recommend})
    [p] = trusted.predict([complaint])
    assert p.agency.action == "auto" and not p.needs_review
    strict = stored_policy_model(model_dir, tmp_path / "b", {
        "agency": {"mode": "auto", "suggest_at": 0.0, "auto_at": 0.999, "precision": 0.95},
        "topic": recommend, "urgency": recommend})
    [p] = strict.predict([complaint])
    assert p.agency.action == "suggest" and p.needs_review
    # a field in recommend mode is chosen by a person anyway: however unsure, it sets no review
    all_recommend = stored_policy_model(model_dir, tmp_path / "c", {"agency": recommend, "topic": recommend,
                                                                    "urgency": recommend})
    [p] = all_recommend.predict([complaint])
    assert not p.needs_review
