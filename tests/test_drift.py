"""Drift report: the statistics, the retraining advice, the renderings, `aduan drift`, what `aduan train`
records for it, and GET /v1/reports/drift. Every text here is invented."""
from __future__ import annotations

import json
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from aduan.cli import main
from api_support import keys, models_dir, new_key  # noqa: F401 (fixtures)
from classifier.drift import (Current, DriftConfig, DriftInputError, Reference, build_report, chi_square,
                              label_changes, psi, unseen_share, vocabulary_of)
from classifier.drift_report import render_html, render_json
from serving.core.config import Settings
from serving.main import create_app

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
REFERENCE_MIX = {"Sampah": 400, "Lampu Jalan": 300, "Jalan Rusak": 200, "Banjir": 100}
OLD_TEXTS = ["sampah menumpuk di depan rumah", "lampu jalan mati gelap", "jalan rusak berlubang besar",
             "banjir setinggi lutut di gang"] * 50


def current_of(mix: dict, texts: list[str] | None = None, start=datetime(2024, 1, 1, tzinfo=timezone.utc),
               confidence: float = 0.8, review_every: int = 4) -> Current:
    labels = [label for label, n in mix.items() for _ in range(n)]
    texts = texts or [OLD_TEXTS[k % len(OLD_TEXTS)] for k in range(len(labels))]
    return Current(normalized=texts, labels={"topic": labels}, confidences={"topic": [confidence] * len(labels)},
                   needs_review=[k % review_every == 0 for k in range(len(labels))],
                   created_at=[start + timedelta(days=k % 60) for k in range(len(labels))], source="test")


def reference() -> Reference:
    return Reference("test reference", {"topic": REFERENCE_MIX}, vocabulary_of(OLD_TEXTS))


# ---------------------------------------------------------------- statistics
def test_psi_is_zero_for_the_same_mix_and_grows_with_the_shift():
    half = {k: v // 2 for k, v in REFERENCE_MIX.items()}
    assert psi(REFERENCE_MIX, half) == pytest.approx(0, abs=1e-3)
    small = psi(REFERENCE_MIX, {**half, "Banjir": 80})
    large = psi(REFERENCE_MIX, {**half, "Banjir": 400})
    assert 0 < small < large and large > 0.25


def test_chi_square_rejects_a_moved_mix_and_keeps_the_same_one():
    assert chi_square(REFERENCE_MIX, {"Sampah": 200, "Lampu Jalan": 150, "Jalan Rusak": 100, "Banjir": 50})[1] > 0.5
    assert chi_square(REFERENCE_MIX, {"Sampah": 100, "Lampu Jalan": 150, "Jalan Rusak": 100, "Banjir": 250})[1] < 1e-6


def test_label_changes_sorted_by_size_and_flagged_only_when_significant_and_large():
    rows = label_changes(REFERENCE_MIX, {"Sampah": 300, "Lampu Jalan": 310, "Jalan Rusak": 200, "Banjir": 190,
                                         "Ular": 3}, DriftConfig())
    changes = [abs(r["change"]) for r in rows]
    assert changes == sorted(changes, reverse=True)
    by_label = {r["label"]: r for r in rows}
    assert set(by_label["Sampah"]) >= {"label", "reference_share", "current_share"}
    assert by_label["Sampah"]["reference_share"] == 0.4 and by_label["Sampah"]["current_share"] == pytest.approx(0.3, abs=0.001)
    assert by_label["Sampah"]["flagged"] and by_label["Banjir"]["flagged"]
    assert not by_label["Ular"]["flagged"]  # new but tiny: 0.3 % and three complaints
    assert not by_label["Jalan Rusak"]["flagged"]


def test_unseen_share_and_new_phrases():
    vocabulary = vocabulary_of(OLD_TEXTS)
    assert unseen_share(["sampah menumpuk", "ular kobra masuk rumah"], vocabulary) == pytest.approx(3 / 6)
    config = DriftConfig(new_term_min_documents=5)
    new = [t["term"] for t in build_report(reference(), current_of(
        {"Sampah": 100, "Banjir": 100}, texts=OLD_TEXTS[:100] + ["ular kobra masuk rumah warga"] * 100),
        config).new_terms]
    assert "ular kobra" in new and "kobra masuk" in new
    assert "ular" not in new  # a word already shown inside a listed phrase
    assert not any("sampah" in t or "lampu" in t for t in new)


# ---------------------------------------------------------------- the report and its advice
def test_a_shifted_mix_advises_retraining_with_the_command():
    report = build_report(reference(), current_of({"Sampah": 100, "Lampu Jalan": 150, "Jalan Rusak": 100,
                                                   "Banjir": 400}))
    topic = report.tasks["topic"]
    assert topic["status"] == "shifted" and "Banjir" in topic["flagged"]
    assert topic["moved"][0]["label"] == "Banjir"
    assert report.retrain["advised"] and "topic" in report.retrain["reasons"][0]
    assert report.retrain["command"].startswith("aduan retrain")


def test_the_same_mix_is_quiet():
    report = build_report(reference(), current_of({k: v // 2 for k, v in REFERENCE_MIX.items()}))
    assert report.tasks["topic"]["status"] == "stable" and report.tasks["topic"]["flagged"] == []
    assert not report.retrain["advised"] and report.retrain["reasons"] == []
    assert report.needs_review_share == 0.25 and report.unseen_token_share == 0.0
    assert [m["month"] for m in report.timeline] == ["2024-01", "2024-02"]
    assert report.confidence["topic"]["mean"] == 0.8


def test_unseen_words_or_many_reviews_advise_retraining_too():
    strange = current_of({"Sampah": 200}, texts=["ular kobra masuk rumah"] * 200)
    assert any("never seen" in r for r in build_report(reference(), strange).retrain["reasons"])
    reviews = current_of({k: v // 2 for k, v in REFERENCE_MIX.items()}, review_every=1)
    assert any("need review" in r for r in build_report(reference(), reviews).retrain["reasons"])


def test_too_few_complaints_are_never_a_reason_to_retrain():
    report = build_report(reference(), current_of({"Banjir": 50}))
    assert not report.retrain["advised"] and "too few" in report.retrain["reasons"][0]


def test_config_and_inputs_are_checked():
    with pytest.raises(ValueError, match="p_value"):
        DriftConfig(p_value=2)
    with pytest.raises(DriftInputError, match="no training label mix"):
        Reference.from_metadata({"version": "old", "tasks": {"topic": {"labels": ["Sampah"]}}}, "old")
    with pytest.raises(DriftInputError, match="one value per complaint"):
        Current(normalized=["a"], labels={"topic": []}, confidences={}, needs_review=[False])


def test_renderings_are_offline_and_keep_every_moved_label():
    report = build_report(reference(), current_of({"Sampah": 100, "Banjir": 400}))
    data = json.loads(render_json(report))
    assert [m["label"] for m in data["tasks"]["topic"]["moved"]][:2] == ["Banjir", "Lampu Jalan"]
    assert {"label", "reference_share", "current_share"} <= set(data["tasks"]["topic"]["moved"][0])
    html = render_html(report)
    assert "Retraining advised" in html and "aduan retrain" in html and "<svg" in html
    assert "<script" not in html and "http://" not in html and "https://" not in html and "src=" not in html


# ---------------------------------------------------------------- aduan train records the reference; aduan drift
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    config = FIXTURES / "config_small.toml"
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(out)]) == 0
    [path] = [p.parent for p in out.glob("*/model.json")]
    return path


def fixture_complaints() -> pd.DataFrame:
    frame = pd.read_csv(FIXTURES / "complaints_small.csv")
    return frame.rename(columns={"keluhan": "text", "tanggal": "created_at", "topik": "topic", "instansi": "agency"})


def test_train_records_the_label_mix_and_the_vocabulary(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())
    frame = fixture_complaints()
    assert sum(meta["tasks"]["topic"]["label_counts"].values()) == meta["tasks"]["topic"]["n_train"]
    assert set(meta["tasks"]["topic"]["label_counts"]) <= set(frame["topic"])
    vocabulary = meta["vocabulary"]
    assert vocabulary["documents"] == meta["tasks"]["topic"]["n_train"] and "lampu" in vocabulary["words"]
    assert all(count >= 2 for count in vocabulary["phrases"].values())


def test_cli_drift_writes_html_and_json(model_dir, tmp_path, capsys):
    frame = fixture_complaints()
    frame[["id", "text", "created_at", "kelurahan"]].to_csv(tmp_path / "current.csv", index=False)
    assert main(["drift", "--current", str(tmp_path / "current.csv"), "--model", str(model_dir),
                 "-o", str(tmp_path / "drift.json")]) == 0
    report = json.loads((tmp_path / "drift.json").read_text())
    assert set(report["tasks"]) == {"topic", "agency"} and report["current"]["complaints"] == len(frame)
    assert report["timeline"] and "too few" in capsys.readouterr().err  # 44 complaints < 100
    assert main(["drift", "--current", str(tmp_path / "current.csv"), "--model", str(model_dir),
                 "-o", str(tmp_path / "drift.html")]) == 0
    assert (tmp_path / "drift.html").read_text().startswith("<!DOCTYPE html>")


def test_cli_drift_against_a_labeled_reference_and_predict_output(model_dir, tmp_path):
    frame = fixture_complaints()
    frame[["text", "topic", "agency"]].to_csv(tmp_path / "labeled.csv", index=False)
    predicted = tmp_path / "predicted.csv"
    frame[["id", "text"]].to_csv(tmp_path / "plain.csv", index=False)
    assert main(["predict", "--model", str(model_dir), str(tmp_path / "plain.csv"), "-o", str(predicted)]) == 0
    assert main(["drift", "--current", str(predicted), "--reference", str(tmp_path / "labeled.csv"),
                 "--model", str(model_dir), "-o", str(tmp_path / "drift.json")]) == 0
    report = json.loads((tmp_path / "drift.json").read_text())
    assert report["reference"]["source"].endswith("labeled.csv") and report["timeline"] == []


@pytest.mark.parametrize("rows, args, words", [
    ({"text": ["lampu mati"], "created_at": ["kemarin"]}, [], "created_at: row 1: 'kemarin' is not an ISO date"),
    ({"keluhan": ["lampu mati"]}, [], "no 'text' column"),
    ({"text": ["lampu mati"]}, ["-o", "drift.pdf"], "unsupported output type"),
    ({"text": ["lampu mati"]}, ["--reference", "ref.csv"], "no label column"),
])
def test_cli_drift_bad_input_is_one_line_and_exit_2(model_dir, tmp_path, monkeypatch, capsys, rows, args, words):
    monkeypatch.chdir(tmp_path)
    pd.DataFrame(rows).to_csv("current.csv", index=False)
    pd.DataFrame({"text": ["lampu mati"], "label": ["x"]}).to_csv("ref.csv", index=False)
    assert main(["drift", "--current", "current.csv", "--model", str(model_dir), *args]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert err[-1].startswith("aduan: error:") and words in err[-1]


# ---------------------------------------------------------------- GET /v1/reports/drift
@pytest.fixture
def drift_app(tmp_path, models_dir):  # noqa: F811 (the api_support fixture)
    """The API test models with the reference aduan train now records (label mix and vocabulary)."""
    for path in models_dir.glob("*/model.json"):
        meta = json.loads(path.read_text())
        meta["tasks"]["topic"]["label_counts"] = {"Sampah": 30, "Lampu Jalan": 30}
        meta["vocabulary"] = vocabulary_of(["sampah menumpuk bau", "lampu jalan mati"])
        (tmp_path / "models" / path.parent.name).mkdir(parents=True)
        for part in path.parent.iterdir():
            (tmp_path / "models" / path.parent.name / part.name).write_bytes(part.read_bytes())
        (tmp_path / "models" / path.parent.name / "model.json").write_text(json.dumps(meta))
    return create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=tmp_path / "models"))


def test_drift_report_over_the_stored_predictions(drift_app):
    with TestClient(drift_app) as client:
        desk = {"X-API-Key": new_key(drift_app, "desk")}
        reporting = {"X-API-Key": new_key(drift_app, "reporting")}
        for text in ["sampah menumpuk di pasar", "lampu jalan mati total", "ular masuk rumah warga"] * 4:
            assert client.post("/v1/complaints/classify", json={"text": text}, headers=desk).status_code == 200
        answer = client.get("/v1/reports/drift?days=7", headers=reporting)
        assert answer.status_code == 200
        report = answer.json()
        assert report["current"]["complaints"] == 12 and "topic" in report["tasks"]
        assert {"label", "reference_share", "current_share"} <= set(report["tasks"]["topic"]["moved"][0])
        assert report["unseen_token_share"] > 0 and len(report["timeline"]) == 1
        html = client.get("/v1/reports/drift?format=html", headers=reporting)
        assert html.headers["content-type"].startswith("text/html") and "drift report" in html.text
        metrics = client.get("/metrics").text
        assert 'aduan_drift_psi{task="topic"}' in metrics and 'aduan_drift{figure="complaints"} 12.0' in metrics


def test_drift_report_needs_a_reporting_key_and_a_valid_period(drift_app):
    with TestClient(drift_app) as client:
        assert client.get("/v1/reports/drift").status_code == 401
        desk = client.get("/v1/reports/drift", headers={"X-API-Key": new_key(drift_app, "desk")})
        assert desk.status_code == 403 and "reporting" in desk.json()["detail"]
        reporting = {"X-API-Key": new_key(drift_app, "reporting")}
        bad = client.get("/v1/reports/drift?days=0", headers=reporting)
        assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "days"


def test_a_model_without_its_training_mix_answers_409_saying_why(tmp_path, models_dir):  # noqa: F811
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=models_dir))
    with TestClient(app) as client:
        answer = client.get("/v1/reports/drift", headers={"X-API-Key": new_key(app, "reporting")})
        assert answer.status_code == 409 and "retrain" in answer.json()["detail"]
