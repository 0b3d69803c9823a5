"""Every route of the HTTP API through TestClient: answers, auth failures, invalid bodies, limits."""
from __future__ import annotations

import io
import os
import subprocess
import sys
import threading

import pandas as pd
import pytest
from fastapi.testclient import TestClient
from sqlalchemy import select

from api_support import app, client, keys, make_app, models_dir, new_key  # noqa: F401 (fixtures)
from serving import model_store
from serving.db.models import ApiKey, Feedback, Prediction
from serving.keys import revoke_key

LAMP = "lampu jalan di depan rumah mati dan gelap sekali"
ANSWERS = {f"u{i}": 4 for i in range(1, 10)}


def survey_rows() -> list[dict]:
    return [
        {**ANSWERS, "unit": "Kelurahan A", "comment": "petugas ramah dan cepat"},
        {**ANSWERS, "u3": 2, "unit": "Kelurahan A", "comment": "antri lama sekali, petugas judes"},
        {**ANSWERS, "u7": 3, "unit": "Kelurahan B", "comment": ""},
    ]


# ---------------------------------------------------------------- health
def test_healthz_and_readyz(client):
    assert client.get("/healthz").json() == {"status": "ok"}
    ready = client.get("/readyz")
    assert ready.status_code == 200
    assert ready.json() == {"status": "ready", "pid": os.getpid(), "model_version": "test-2", "problems": []}


def test_without_a_model_routes_answer_503_and_health_still_works(make_app, tmp_path):
    app = make_app(models_dir=tmp_path / "empty")
    key = {"X-API-Key": new_key(app, "desk")}
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
        assert ready.status_code == 503 and "no trained model" in ready.json()["problems"][0]
        answer = client.post("/v1/complaints/classify", json={"text": LAMP}, headers=key)
        assert answer.status_code == 503
        assert "no trained model" in answer.json()["detail"]


def test_a_broken_model_at_startup_is_a_503_with_the_reason(make_app, tmp_path):
    broken = tmp_path / "broken"
    broken.mkdir()
    (broken / "model.json").write_text('{"version": "broken", "tasks": {"topic": {}}}')
    app = make_app(model_path=broken)
    with TestClient(app) as client:
        assert client.get("/healthz").status_code == 200
        ready = client.get("/readyz")
    assert ready.status_code == 503
    assert "could not be loaded" in ready.json()["problems"][0]


def test_openapi_documents_every_route_and_the_key_header(client):
    spec = client.get("/openapi.json").json()
    assert {"/v1/complaints/classify", "/v1/complaints/classify-batch", "/v1/sentiment", "/v1/ikm/reports",
            "/v1/feedback", "/v1/models", "/v1/models/reload", "/healthz", "/readyz", "/metrics"} <= set(spec["paths"])
    schemes = spec["components"]["securitySchemes"]
    assert {name: s["name"] for name, s in schemes.items()} == {
        "DeskKey": "X-API-Key", "ReportingKey": "X-API-Key", "AdminKey": "X-API-Key"}
    assert spec["paths"]["/v1/sentiment"]["post"]["security"] == [{"ReportingKey": []}]
    text = spec["components"]["schemas"]["ComplaintIn"]["properties"]["text"]
    assert text["maxLength"] == 20_000
    assert client.get("/docs").status_code == 200


# ---------------------------------------------------------------- auth
@pytest.mark.parametrize("method, path, body", [
    ("post", "/v1/complaints/classify", {"text": LAMP}),
    ("post", "/v1/complaints/classify-batch", {"complaints": [{"text": LAMP}]}),
    ("post", "/v1/sentiment", {"texts": ["bagus"]}),
    ("post", "/v1/ikm/reports", {"rows": [ANSWERS]}),
    ("post", "/v1/feedback", {"prediction_id": "0" * 32, "field": "topic", "correct_value": "Sampah"}),
    ("get", "/v1/models", None),
    ("post", "/v1/models/reload", None),
])
def test_every_api_route_needs_a_valid_key_with_its_scope(client, keys, method, path, body):
    kwargs = {"json": body} if body is not None else {}
    missing = getattr(client, method)(path, **kwargs)
    assert missing.status_code == 401
    assert missing.json() == {"detail": "missing API key: send it in the X-API-Key header", "field": "X-API-Key"}
    wrong = getattr(client, method)(path, headers={"X-API-Key": "aduan_not-a-real-key"}, **kwargs)
    assert wrong.status_code == 401 and wrong.json()["field"] == "X-API-Key"
    scope = {"complaints": "desk", "feedback": "desk", "sentiment": "reporting", "ikm": "reporting",
             "models": "admin"}[path.split("/")[2]]
    other = "reporting" if scope != "reporting" else "desk"
    forbidden = getattr(client, method)(path, headers=keys[other], **kwargs)
    assert forbidden.status_code == 403
    assert f"lacks the '{scope}' scope" in forbidden.json()["detail"]


def test_a_revoked_key_is_refused(client, app, keys):
    assert client.post("/v1/complaints/classify", json={"text": LAMP}, headers=keys["desk"]).status_code == 200
    with app.state.sessions() as session:
        row = session.scalar(select(ApiKey).where(ApiKey.scopes == "desk"))
        revoke_key(session, row.id)
    answer = client.post("/v1/complaints/classify", json={"text": LAMP}, headers=keys["desk"])
    assert answer.status_code == 401 and "revoked" in answer.json()["detail"]


def test_keys_are_stored_hashed(app, keys):
    with app.state.sessions() as session:
        stored = {(k.key_hash, k.prefix) for k in session.scalars(select(ApiKey))}
    secret = keys["desk"]["X-API-Key"]
    assert all(secret not in h and len(h) == 64 for h, _ in stored)
    assert any(secret.startswith(prefix) for _, prefix in stored)


# ---------------------------------------------------------------- classify
def test_classify_answers_every_field(client, keys):
    answer = client.post("/v1/complaints/classify", headers=keys["desk"],
                         json={"text": LAMP, "kecamatan": "Gubeng", "kelurahan": "Airlangga"})
    assert answer.status_code == 200
    body = answer.json()
    assert body["model_version"] == "test-2"
    assert len(body["prediction_id"]) == 32
    assert body["topic"]["label"] == "Lampu Jalan"
    assert body["agency"]["label"] == "Dinas Perhubungan"
    assert [s["label"] for s in body["agency"]["top"]][0] == "Dinas Perhubungan"
    assert len(body["agency"]["top"]) == 3
    assert body["urgency"]["label"] in {"tinggi", "sedang", "rendah"}
    assert isinstance(body["urgency"]["reasons"], list)
    for task in ("topic", "agency", "urgency"):
        assert 0 <= body[task]["confidence"] <= 1
        assert body[task]["level"] in {"high", "medium", "low"}
        assert body[task]["explanation"] is None  # only with explain=true
    assert isinstance(body["needs_review"], bool)


def test_classify_explains_on_request(client, keys):
    body = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP, "explain": True}).json()
    cues = body["topic"]["explanation"]
    assert isinstance(cues, list) and cues and all(cue.lower() in LAMP for cue in cues)


def test_classify_stores_masked_text_and_outputs(client, app, keys):
    text = "sampah menumpuk depan rumah, hubungi saya 0812-3456-7890 atau budi@contoh.id"
    body = client.post("/v1/complaints/classify", headers=keys["desk"],
                       json={"text": text, "alamat": "Jl. Mawar 12"}).json()
    with app.state.sessions() as session:
        stored = session.get(Prediction, body["prediction_id"])
    assert "0812" not in stored.text and "budi@" not in stored.text
    assert "[telepon]" in stored.text and "[email]" in stored.text
    assert "Mawar" not in str(stored.outputs)
    assert stored.outputs["topic"]["label"] == body["topic"]["label"] == "Sampah"
    assert stored.model_version == "test-2" and stored.needs_review == body["needs_review"]


def test_explanations_are_not_stored(client, app, keys):
    body = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP, "explain": True}).json()
    with app.state.sessions() as session:
        stored = session.get(Prediction, body["prediction_id"])
    assert body["topic"]["explanation"] and "explanation" not in stored.outputs["topic"]
    assert stored.outputs["topic"]["label"] == body["topic"]["label"]


def test_serving_does_not_import_training():
    code = ("import sys, serving.main, serving.commands; "
            "print(sorted(m for m in sys.modules if m.startswith('training')))")
    imported = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert imported.strip() == "[]"


def test_a_short_text_needs_review(client, keys):
    body = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": "halo"}).json()
    assert body["needs_review"] is True


@pytest.mark.parametrize("body, status, field", [
    ({"text": "x" * 20_001}, 422, "text"),
    ({}, 422, "text"),
    ({"text": ""}, 422, "text"),
    ({"text": 12}, 422, "text"),
    ({"text": LAMP, "txt": "typo"}, 422, "txt"),
    ({"text": LAMP, "kelurahan": "k" * 501}, 422, "kelurahan"),
    ({"text": LAMP, "explain": "maybe"}, 422, "explain"),
])
def test_classify_rejects_invalid_bodies_naming_the_field(client, keys, body, status, field):
    answer = client.post("/v1/complaints/classify", headers=keys["desk"], json=body)
    assert answer.status_code == status
    errors = answer.json()["detail"]
    assert [e["field"] for e in errors] == [field]
    assert "input" not in errors[0]  # the text is never echoed back


def test_classify_rejects_malformed_json(client, keys):
    answer = client.post("/v1/complaints/classify", headers={**keys["desk"], "Content-Type": "application/json"},
                         content=b"{not json")
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["type"] == "json_invalid"


def test_batch_answers_in_input_order(client, keys):
    texts = [LAMP, "sampah tidak diangkut sudah seminggu bau", "ktp elektronik belum jadi sudah lama"]
    answer = client.post("/v1/complaints/classify-batch", headers=keys["desk"],
                         json={"complaints": [{"text": t} for t in texts]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["topic"]["label"] for r in results] == ["Lampu Jalan", "Sampah", "Administrasi Kependudukan"]
    assert len({r["prediction_id"] for r in results}) == 3


@pytest.mark.parametrize("complaints, field", [
    ([{"text": "a b c"}] * 1001, "complaints"),
    ([], "complaints"),
    ([{"text": "a b c"}, {"text": "y" * 20_001}], "complaints.1.text"),
])
def test_batch_limits(client, keys, complaints, field):
    answer = client.post("/v1/complaints/classify-batch", headers=keys["desk"], json={"complaints": complaints})
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == field


def test_a_body_over_the_limit_is_refused_with_413(make_app):
    app = make_app(max_body_bytes=1000)
    key = {"X-API-Key": new_key(app, "desk")}
    with TestClient(app) as client:
        answer = client.post("/v1/complaints/classify", headers=key, json={"text": "a " * 1000})
    assert answer.status_code == 413
    assert answer.json()["field"] == "body"


# ---------------------------------------------------------------- sentiment
def test_sentiment_labels_and_scores(client, keys):
    answer = client.post("/v1/sentiment", headers=keys["reporting"],
                         json={"texts": ["petugas ramah dan cepat sekali", "antri lama petugas judes kecewa"]})
    assert answer.status_code == 200
    results = answer.json()["results"]
    assert [r["label"] for r in results] == ["positive", "negative"]
    for r in results:
        assert set(r["scores"]) == {"positive", "neutral", "negative"}
        assert sum(r["scores"].values()) == pytest.approx(1, abs=1e-6)
        assert r["scores"][r["label"]] == r["confidence"]


def test_sentiment_without_a_sentiment_model_is_503(make_app):
    app = make_app(model_path=make_app().state.settings.models_dir / "test-1")
    key = {"X-API-Key": new_key(app, "reporting")}
    with TestClient(app) as client:
        answer = client.post("/v1/sentiment", headers=key, json={"texts": ["bagus"]})
    assert answer.status_code == 503
    assert "no sentiment model" in answer.json()["detail"]


@pytest.mark.parametrize("body, field", [
    ({"texts": []}, "texts"),
    ({"texts": ["a"] * 1001}, "texts"),
    ({"texts": ["ok", "z" * 20_001]}, "texts.1"),
    ({"text": "ok"}, "texts"),
])
def test_sentiment_rejects_invalid_bodies(client, keys, body, field):
    answer = client.post("/v1/sentiment", headers=keys["reporting"], json=body)
    assert answer.status_code == 422
    assert answer.json()["detail"][0]["field"] == field


# ---------------------------------------------------------------- IKM
def test_ikm_report_from_json_rows(client, keys):
    answer = client.post("/v1/ikm/reports", headers=keys["reporting"],
                         json={"rows": survey_rows(), "by": ["unit"], "population": 50})
    assert answer.status_code == 200
    report = answer.json()
    assert report["respondents"] == 3
    assert [g["key"] for g in report["groups"]] == [{"unit": "Kelurahan A"}, {"unit": "Kelurahan B"}]
    assert 25 <= report["overall"]["ikm"] <= 100
    assert report["overall"]["sentiment"] == {"positive": 1, "negative": 1}  # the model labelled the comments
    assert report["sample"]["sufficient"] is False


def test_ikm_report_as_html(client, keys):
    answer = client.post("/v1/ikm/reports?format=html", headers=keys["reporting"], json={"rows": survey_rows()})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/html")
    assert "<html" in answer.text.lower()


def test_ikm_report_from_csv_and_xlsx_uploads(client, keys):
    frame = pd.DataFrame(survey_rows())
    xlsx = io.BytesIO()
    frame.to_excel(xlsx, index=False)
    for name, data in (("survey.csv", frame.to_csv(index=False).encode()), ("survey.xlsx", xlsx.getvalue())):
        answer = client.post("/v1/ikm/reports", headers=keys["reporting"], files={"file": (name, data)},
                             data={"by": "unit", "weight": "0.111"})
        assert answer.status_code == 200, answer.text
        report = answer.json()
        assert report["respondents"] == 3 and report["weight"] == "0.111" and report["by"] == ["unit"]


@pytest.mark.parametrize("files, data, field, words", [
    ({"file": ("survey.pdf", b"%PDF-1.4")}, {}, "file", "unsupported file type"),
    ({"file": ("survey.xlsx", b"not a zip")}, {}, "file", "XLSX"),
    ({"file": ("survey.csv", b"a,b\n1,2\n")}, {}, "file", "u1"),
    ({"file": ("survey.csv", b"   ")}, {}, "file", "empty"),
    ({"by": (None, "unit")}, {}, "file", "missing"),
    ({"other": ("survey.csv", b"u1\n1\n")}, {}, "other", "unknown form field"),
    ({"file": ("survey.csv", b"u1\n1\n")}, {"weight": "half"}, "weight", "exact"),
    ({"file": ("survey.csv", b"u1\n1\n")}, {"colour": "red"}, "colour", "unknown form field"),
])
def test_ikm_upload_problems_name_the_field(client, keys, files, data, field, words):
    answer = client.post("/v1/ikm/reports", headers=keys["reporting"], files=files, data=data)
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["field"] == field and words in error["msg"]


def test_ikm_json_problems_name_the_field(client, keys):
    missing = client.post("/v1/ikm/reports", headers=keys["reporting"], json={"rows": [{"u1": 4}]})
    assert missing.status_code == 422
    [error] = missing.json()["detail"]
    assert error["field"] == "rows" and "u2" in error["msg"]
    bad_by = client.post("/v1/ikm/reports", headers=keys["reporting"], json={"rows": survey_rows(), "by": ["zone"]})
    assert bad_by.status_code == 422 and "zone" in bad_by.json()["detail"][0]["msg"]
    empty = client.post("/v1/ikm/reports", headers=keys["reporting"], json={"rows": []})
    assert empty.status_code == 422 and empty.json()["detail"][0]["field"] == "rows"


def test_ikm_upload_over_the_limit_is_413(make_app):
    app = make_app(max_upload_bytes=100)
    key = {"X-API-Key": new_key(app, "reporting")}
    with TestClient(app) as client:
        answer = client.post("/v1/ikm/reports", headers=key, files={"file": ("s.csv", b"u1," * 30_000)})
    assert answer.status_code == 413
    assert answer.json()["field"] == "file"


def test_ikm_other_content_types_are_415(client, keys):
    answer = client.post("/v1/ikm/reports", headers={**keys["reporting"], "Content-Type": "text/csv"},
                         content=b"u1\n4\n")
    assert answer.status_code == 415


# ---------------------------------------------------------------- feedback
def test_feedback_is_stored_with_the_predicted_value(client, app, keys):
    prediction = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP}).json()
    answer = client.post("/v1/feedback", headers=keys["desk"], json={
        "prediction_id": prediction["prediction_id"], "field": "agency", "correct_value": "Dinas Lingkungan Hidup",
        "note": "warga bisa dihubungi di 081234567890"})
    assert answer.status_code == 201
    body = answer.json()
    assert body["predicted_value"] == prediction["agency"]["label"]
    assert body["correct_value"] == "Dinas Lingkungan Hidup"
    with app.state.sessions() as session:
        [row] = session.scalars(select(Feedback)).all()
    assert row.prediction_id == prediction["prediction_id"]
    assert "081234567890" not in row.note and "[telepon]" in row.note


@pytest.mark.parametrize("body, status, field", [
    ({"prediction_id": "f" * 32, "field": "topic", "correct_value": "Sampah"}, 404, "prediction_id"),
    ({"prediction_id": "nope", "field": "topic", "correct_value": "Sampah"}, 422, "prediction_id"),
    ({"prediction_id": "f" * 32, "field": "mood", "correct_value": "Sampah"}, 422, "field"),
    ({"prediction_id": "f" * 32, "field": "topic", "correct_value": ""}, 422, "correct_value"),
    ({"prediction_id": "f" * 32, "field": "topic"}, 422, "correct_value"),
])
def test_feedback_rejects_invalid_bodies(client, keys, body, status, field):
    answer = client.post("/v1/feedback", headers=keys["desk"], json=body)
    assert answer.status_code == status
    detail = answer.json()
    assert (detail["field"] if status == 404 else detail["detail"][0]["field"]) == field


# ---------------------------------------------------------------- models
def test_models_lists_the_served_and_available_models(client, keys):
    body = client.get("/v1/models", headers=keys["admin"]).json()
    assert body["current"]["version"] == "test-2" and body["current"]["serving"] is True
    assert [m["version"] for m in body["available"]] == ["test-2", "test-1"]
    assert [m["serving"] for m in body["available"]] == [True, False]
    assert "sentiment" in body["current"]["tasks"]


def test_reload_swaps_the_model(client, keys):
    answer = client.post("/v1/models/reload", headers=keys["admin"], json={"version": "test-1"})
    assert answer.status_code == 200
    assert answer.json()["previous_version"] == "test-2"
    assert answer.json()["current"]["version"] == "test-1"
    classified = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP}).json()
    assert classified["model_version"] == "test-1"
    latest = client.post("/v1/models/reload", headers=keys["admin"])  # no body: the latest
    assert latest.json()["current"]["version"] == "test-2"


@pytest.mark.parametrize("body, status, field", [
    ({"version": "test-9"}, 404, "version"),
    ({"version": "../etc"}, 422, "version"),
    ({"version": 3}, 422, "version"),
])
def test_reload_rejects_unknown_versions(client, keys, body, status, field):
    answer = client.post("/v1/models/reload", headers=keys["admin"], json=body)
    assert answer.status_code == status
    detail = answer.json()
    assert (detail["field"] if status == 404 else detail["detail"][0]["field"]) == field


def test_a_broken_model_is_not_swapped_in(client, keys, models_dir):
    broken = models_dir / "broken"
    broken.mkdir(exist_ok=True)
    (broken / "model.json").write_text('{"version": "broken", "created_at": "2000-01-01", "tasks": {"topic": {}}}')
    try:
        answer = client.post("/v1/models/reload", headers=keys["admin"], json={"version": "broken"})
    finally:
        (broken / "model.json").unlink()
        broken.rmdir()
    assert answer.status_code == 409 and "still served" in answer.json()["detail"]
    assert client.get("/readyz").json()["model_version"] == "test-2"


def test_reload_under_load_drops_no_request(client, keys):
    failures, answered = [], []

    def classify():
        for _ in range(15):
            answer = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP})
            (answered if answer.status_code == 200 else failures).append(answer)

    threads = [threading.Thread(target=classify) for _ in range(3)]
    for thread in threads:
        thread.start()
    for version in ("test-1", "test-2", "test-1", "test-2"):
        assert client.post("/v1/models/reload", headers=keys["admin"], json={"version": version}).status_code == 200
    for thread in threads:
        thread.join()
    assert failures == [] and len(answered) == 45
    assert {a.json()["model_version"] for a in answered} <= {"test-1", "test-2"}


def test_a_second_worker_follows_a_reload(make_app, keys, app):
    # Two apps over one database stand for two uvicorn workers.
    other = make_app()
    with TestClient(app) as first, TestClient(other):
        assert first.post("/v1/models/reload", headers=keys["admin"], json={"version": "test-1"}).status_code == 200
        published = model_store.served(other.state.sessions)
        assert published is not None and published[0].name == "test-1"
        assert other.state.holder.follow(*published) is True
        assert other.state.holder.get().model.version == "test-1"
        assert other.state.holder.follow(*published) is False  # already serving it


# ---------------------------------------------------------------- metrics
def test_metrics_count_requests_labels_and_review_share(client, keys):
    client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": LAMP})
    client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": "halo"})  # needs review
    client.post("/v1/complaints/classify", headers=keys["desk"], json={})
    text = client.get("/metrics").text
    assert 'aduan_http_requests_total{method="POST",route="/v1/complaints/classify",status="200"} 2.0' in text
    assert 'aduan_http_requests_total{method="POST",route="/v1/complaints/classify",status="422"} 1.0' in text
    assert 'aduan_http_request_duration_seconds_count{method="POST",route="/v1/complaints/classify"} 3.0' in text
    assert 'aduan_predictions_total{label="Lampu Jalan",task="topic"}' in text
    share = next(line for line in text.splitlines() if line.startswith("aduan_needs_review_share "))
    assert 0 < float(share.split()[1]) <= 1
