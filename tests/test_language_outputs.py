"""Every prediction carries the language of its text: Python results, the HTTP API and the CLI.
IKM themes read comments normalized into Indonesian. Sentences are invented for the tests."""
from __future__ import annotations

import json

import pandas as pd
from fastapi.testclient import TestClient  # noqa: F401 (the client fixture uses it)

from aduan.cli import main
from api_support import app, client, keys, make_app, models_dir  # noqa: F401 (fixtures)
from classifier.language import load_language_identifier
from classifier.predict import PREDICTION_COLUMNS, load_model
from classifier.themes import count_themes, match_themes
from test_language import FIXTURES

JAVANESE = "Petugase ora ramah lan antrine suwe banget, aku wis ngenteni ket isuk"
MIXED = "Lampu jalan di depan rumah kami mati sudah tiga hari, mohon dibantu nggih, matur nuwun"


def test_classify_answers_carry_the_language(client, keys):
    answer = client.post("/v1/complaints/classify", headers=keys["desk"], json={"text": MIXED})
    assert answer.status_code == 200
    assert answer.json()["language"] == "mixed:id+jv"
    batch = client.post("/v1/complaints/classify-batch", headers=keys["desk"],
                        json={"complaints": [{"text": MIXED}, {"text": "sampah menumpuk di pinggir sungai"}]})
    assert [r["language"] for r in batch.json()["results"]] == ["mixed:id+jv", "id"]


def test_sentiment_answers_carry_the_language(client, keys):
    answer = client.post("/v1/sentiment", headers=keys["reporting"],
                         json={"texts": [JAVANESE, "The officer was friendly and very helpful today"]})
    assert answer.status_code == 200
    assert [r["language"] for r in answer.json()["results"]] == ["jv", "en"]


def test_language_is_in_the_openapi_schema(client):
    schemas = client.get("/openapi.json").json()["components"]["schemas"]
    assert "language" in schemas["ClassifyResponse"]["properties"]
    assert "language" in schemas["SentimentResult"]["properties"]


def test_cli_predict_and_sentiment_write_a_language_column(models_dir, tmp_path):
    assert PREDICTION_COLUMNS[-1] == "language"
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": [JAVANESE, MIXED, ""]}).to_csv(src, index=False)
    for command in ("predict", "sentiment"):
        out = tmp_path / f"{command}.csv"
        assert main([command, "--model", str(models_dir / "test-2"), str(src), "-o", str(out)]) == 0
        frame = pd.read_csv(out, dtype=str, keep_default_na=False)
        assert frame["language"].tolist()[:2] == ["jv", "mixed:id+jv"]


def test_python_results_carry_the_language(models_dir):
    model = load_model(models_dir / "test-2")
    [prediction] = model.predict([MIXED])
    assert prediction.language == "mixed:id+jv" and prediction.to_row()["language"] == "mixed:id+jv"
    [sentiment] = model.sentiment([JAVANESE])
    assert sentiment.language == "jv" and sentiment.label in {"positive", "neutral", "negative"}
    assert json.dumps(model.languages(["", "jalan rusak parah"])) == '["id", "id"]'


def test_themes_match_comments_written_in_javanese():
    assert match_themes(JAVANESE) == {"waktu": ["antri", "lama"], "perilaku": ["petugas", "tidak ramah"]}
    counts, unmatched = count_themes([JAVANESE, "pelayanan cepat dan memuaskan"])
    assert {c.key for c in counts} == {"waktu", "perilaku"} and unmatched == 1


def test_themes_use_a_model_identifier_for_english_comments():
    identifier = load_language_identifier(FIXTURES)
    comment = "The queue was slow and the toilet was dirty"
    assert "waktu" not in match_themes(comment)  # the built-in cue words know no "queue" or "slow"
    assert set(match_themes(comment, identifier)) == {"waktu", "sarana"}
