"""POST /v1/feedback as training data: labels of the served model only (any spelling), accepts, new
labels by flag, masked form fields on the stored complaint, and the examples `aduan retrain` reads."""
from __future__ import annotations

from datetime import datetime, timedelta, timezone
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select, update

from aduan.reviews import load_reviewed
from serving.core.config import Settings
from serving.db.models import Feedback, Prediction
from serving.keys import create_key
from serving.main import create_app
from training.config import RetrainConfig, TrainingConfig
from training.train import train

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
LAMP = "lampu jalan di depan gang mati sudah seminggu, hubungi 081234567890"
WHERE = {"alamat": "jl contoh no 3, telp 081298765432", "kecamatan": "Tegalsari", "kelurahan": "Dr. Soetomo",
         "known_topic": "Lampu Jalan"}


@pytest.fixture(scope="module")
def models(tmp_path_factory) -> Path:
    """A model of config_small.toml: topic, and agency with the kelurahan / kecamatan router."""
    root = tmp_path_factory.mktemp("models")
    train(TrainingConfig.from_toml(FIXTURES / "config_small.toml"), FIXTURES, root, log=lambda m: None)
    return root


@pytest.fixture
def api(tmp_path, models):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=models))
    with app.state.sessions() as session:
        key = {"X-API-Key": create_key(session, ["desk"], name="desk").key}
    with TestClient(app) as client:
        yield client, key, app


def classify(api, **fields) -> dict:
    client, key, _ = api
    answer = client.post("/v1/complaints/classify", headers=key, json={"text": LAMP, **fields})
    assert answer.status_code == 200
    return answer.json()


def post(api, **body):
    client, key, _ = api
    return client.post("/v1/feedback", headers=key, json=body)


def stored(api) -> list[Feedback]:
    with api[2].state.sessions() as session:
        return session.scalars(select(Feedback).order_by(Feedback.id)).all()


def test_a_correction_is_stored_in_the_served_models_spelling(api):
    prediction = classify(api)
    answer = post(api, prediction_id=prediction["prediction_id"], field="topic", correct_value="  sampah ")
    assert answer.status_code == 201
    assert answer.json()["correct_value"] == "Sampah" and answer.json()["kind"] == "correct"
    # An agency: a kelurahan of the router's gazetteer counts as known, spelled as the training labels do.
    answer = post(api, prediction_id=prediction["prediction_id"], field="agency", correct_value="kelurahan dr soetomo")
    assert answer.status_code == 201 and answer.json()["correct_value"] == "Kelurahan Dr. Soetomo"
    answer = post(api, prediction_id=prediction["prediction_id"], field="agency", correct_value="KELURAHAN KEDURUS")
    assert answer.status_code == 201 and answer.json()["correct_value"] == "Kelurahan Kedurus"  # lookup table only
    assert [(f.field, f.correct_value, f.new_label) for f in stored(api)] == [
        ("topic", "Sampah", False), ("agency", "Kelurahan Dr. Soetomo", False), ("agency", "Kelurahan Kedurus", False)]


def test_an_accept_confirms_the_predicted_value(api):
    prediction = classify(api)
    answer = post(api, prediction_id=prediction["prediction_id"], field="topic", kind="accept")
    assert answer.status_code == 201
    assert answer.json()["correct_value"] == prediction["topic"]["label"] == answer.json()["predicted_value"]
    other = "Sampah" if prediction["topic"]["label"] != "Sampah" else "Bansos"
    refused = post(api, prediction_id=prediction["prediction_id"], field="topic", kind="accept", correct_value=other)
    assert refused.status_code == 422 and refused.json()["detail"][0]["field"] == "correct_value"
    missing = post(api, prediction_id=prediction["prediction_id"], field="urgency", kind="accept")
    assert missing.status_code == 422 and missing.json()["detail"][0]["field"] == "field"  # no urgency task
    assert [(f.kind, f.correct_value) for f in stored(api)] == [("accept", prediction["topic"]["label"])]


def test_a_new_label_needs_the_flag_and_urgency_has_fixed_levels(api):
    prediction = classify(api)
    unknown = post(api, prediction_id=prediction["prediction_id"], field="topic", correct_value="Trotoar Rusak")
    assert unknown.status_code == 422
    assert unknown.json()["detail"][0]["field"] == "correct_value"
    assert "new_label" in unknown.json()["detail"][0]["msg"]
    flagged = post(api, prediction_id=prediction["prediction_id"], field="topic", correct_value="Trotoar  Rusak",
                   new_label=True)
    assert flagged.status_code == 201 and flagged.json()["new_label"] is True
    assert flagged.json()["correct_value"] == "Trotoar Rusak"
    urgency = post(api, prediction_id=prediction["prediction_id"], field="urgency", correct_value="darurat",
                   new_label=True)
    assert urgency.status_code == 422 and urgency.json()["detail"][0]["field"] == "new_label"
    assert len(stored(api)) == 1


def test_the_complaints_form_fields_are_stored_masked(api):
    prediction = classify(api, **WHERE)
    with api[2].state.sessions() as session:
        row = session.get(Prediction, prediction["prediction_id"])
    assert "081234567890" not in row.text and "[telepon]" in row.text
    assert row.alamat == "jl contoh no 3, telp [telepon]"
    assert (row.kecamatan, row.kelurahan, row.known_topic) == ("Tegalsari", "Dr. Soetomo", "Lampu Jalan")


def test_retrain_reads_every_reviewed_field_with_the_complaints_form_fields(api, tmp_path):
    corrected, accepted, untouched = classify(api, **WHERE), classify(api), classify(api)
    assert post(api, prediction_id=corrected["prediction_id"], field="topic", correct_value="Sampah").status_code == 201
    assert post(api, prediction_id=accepted["prediction_id"], field="agency", kind="accept").status_code == 201
    url = f"sqlite:///{tmp_path / 'api.db'}"
    examples = load_reviewed(url)
    assert sorted((e.complaint_id, e.task, e.kind) for e in examples) == sorted(
        [(corrected["prediction_id"], "topic", "correct"), (accepted["prediction_id"], "agency", "accept")])
    [topic] = [e for e in examples if e.task == "topic"]
    assert (topic.label, topic.kelurahan, topic.known_topic) == ("Sampah", "Dr. Soetomo", "Lampu Jalan")
    assert topic.alamat == "jl contoh no 3, telp [telepon]" and "[telepon]" in topic.text

    # Left unchanged for 7 days: the other fields of reviewed complaints count, and with scope "all" every one.
    later = datetime.now(timezone.utc) + timedelta(days=8)
    reviewed = load_reviewed(url, RetrainConfig(unchanged_after_days=7), now=later)
    assert sorted((e.complaint_id, e.task) for e in reviewed if e.kind == "unchanged") == sorted(
        [(corrected["prediction_id"], "agency"), (accepted["prediction_id"], "topic")])
    everything = load_reviewed(url, RetrainConfig(unchanged_after_days=7, unchanged_scope="all"), now=later)
    assert {(e.task, e.label) for e in everything if e.complaint_id == untouched["prediction_id"]} == {
        ("topic", untouched["topic"]["label"]), ("agency", untouched["agency"]["label"])}
    assert load_reviewed(url, RetrainConfig(unchanged_after_days=7), now=datetime.now(timezone.utc)) == examples


def test_a_store_from_before_migration_0002_is_migrated_and_kept(tmp_path):
    from alembic import command

    from serving.db.migrate import alembic_config

    url = f"sqlite:///{tmp_path / 'old.db'}"
    command.upgrade(alembic_config(url), "0001")
    app = create_app(Settings(database_url=url, models_dir=tmp_path / "none", migrate_on_startup=False))
    with app.state.engine.begin() as connection:
        connection.exec_driver_sql("INSERT INTO predictions (id, created_at, model_version, text, outputs, needs_review) "
                                   "VALUES ('" + "a" * 32 + "', '2024-05-01 00:00:00', 'v', 'lampu mati', '{}', 0)")
        connection.exec_driver_sql("INSERT INTO feedback (prediction_id, field, correct_value, created_at) "
                                   "VALUES ('" + "a" * 32 + "', 'topic', 'Lampu Jalan', '2024-05-01 00:00:00')")
    app.state.engine.dispose()
    [example] = load_reviewed(url)  # migrates to 0002 first
    assert (example.text, example.label, example.kind, example.new_label, example.alamat) == (
        "lampu mati", "Lampu Jalan", "correct", False, None)


def test_older_feedback_loses_to_newer_feedback_on_the_same_field(api, tmp_path):
    prediction = classify(api)
    assert post(api, prediction_id=prediction["prediction_id"], field="topic", correct_value="Bansos").status_code == 201
    with api[2].state.sessions() as session:  # written a day earlier
        session.execute(update(Feedback).values(created_at=datetime.now(timezone.utc) - timedelta(days=1)))
        session.commit()
    assert post(api, prediction_id=prediction["prediction_id"], field="topic", kind="accept").status_code == 201
    [example] = load_reviewed(f"sqlite:///{tmp_path / 'api.db'}")
    assert (example.kind, example.label) == ("accept", prediction["topic"]["label"])


# ---------------------------------------------------------------- GET /v1/review-queue
def test_the_review_queue_ranks_unreviewed_complaints_by_what_a_review_would_teach(api):
    client, key, _ = api
    familiar = classify(api)  # the words of the fixture complaints
    strange = client.post("/v1/complaints/classify", headers=key, json={
        "text": "kucing tetangga mengeong sepanjang malam di atap genteng rumah"}).json()
    reviewed = classify(api)
    assert post(api, prediction_id=reviewed["prediction_id"], field="topic", kind="accept").status_code == 201
    answer = client.get("/v1/review-queue", headers=key, params={"limit": 10})
    assert answer.status_code == 200
    body = answer.json()
    assert body["scanned"] == 2  # the reviewed complaint is not in the queue
    assert [item["prediction_id"] for item in body["items"]] == [strange["prediction_id"], familiar["prediction_id"]]
    top, last = body["items"]
    assert top["novelty"] > last["novelty"] + 0.3  # half its words are new; the lamp complaint has few
    for item in body["items"]:
        assert item["score"] == pytest.approx((item["uncertainty"] + item["novelty"]) / 2, abs=1e-4)
        assert 0 <= item["uncertainty"] <= 1 and "081234567890" not in item["text"]
    assert client.get("/v1/review-queue", headers=key, params={"limit": 1}).json()["items"][0] == top
    bad = client.get("/v1/review-queue", headers=key, params={"limit": 0})
    assert bad.status_code == 422 and bad.json()["detail"][0]["field"] == "limit"
    assert client.get("/v1/review-queue").status_code == 401
