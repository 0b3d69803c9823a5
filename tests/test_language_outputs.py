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


def test_training_report_splits_held_out_figures_by_language():
    from types import SimpleNamespace

    import numpy as np

    from classifier.language import LanguageIdentifier
    from training.language_slices import language_slices

    texts = ["jalan rusak parah sekali", MIXED, "got mampet banjir di gang", "Lampu di gang kami mati sejak kemarin, tolong dibantu, matur nuwun"]
    data = SimpleNamespace(texts=texts, original_labels=["Jalan", "Lampu", "Saluran", "Lampu"])
    classes = ["Jalan", "Lampu", "Saluran"]
    proba = np.array([[0.8, 0.1, 0.1], [0.2, 0.7, 0.1], [0.1, 0.1, 0.8], [0.6, 0.3, 0.1]])
    # two repeats of the same four validation rows, as pooled cross-validation gives them
    scored = SimpleNamespace(valid_idx=np.arange(4), y_true=data.original_labels * 2, proba=np.vstack([proba, proba]),
                             classes=classes)
    task = SimpleNamespace(frequent_min=1, label_thresholds={})
    metrics, section = language_slices(task, data, scored, LanguageIdentifier().fit())
    assert metrics["mixed"]["n"] == 2 and metrics["mixed"]["accuracy"] == 0.5
    assert metrics["rest"]["n"] == 2 and metrics["rest"]["accuracy"] == 1.0
    assert "### By language of the complaint" in section and "mixed:id+jv 2" in section
