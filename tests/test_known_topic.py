"""Complaints that arrive with their topic already known (chosen by the reporter or the desk)."""
import json
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

import classifier
from aduan.cli import main
from serving.core.config import Settings
from serving.keys import create_key
from serving.main import create_app

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
# A city-agency text: without its topic it goes to the roads agency.
ROADS = "jalan di kampung kami rusak"


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    out = tmp_path_factory.mktemp("models")
    config = out / "known_topic.toml"
    text = (FIXTURES / "config_small.toml").read_text()
    text = text.replace('kelurahan = "kelurahan"\n', 'kelurahan = "kelurahan"\nknown_topic = "topik"\n')
    config.write_text('routing_table = { source = "complaints_small.csv", topic = "topik", agency = "instansi", '
                      'min_complaints = 1 }\n' + text)
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(out)]) == 0
    [path] = [p.parent for p in out.glob("*/model.json")]
    return path


def test_report_scores_the_router_with_and_without_the_topic(model_dir):
    metrics = json.loads((model_dir / "model.json").read_text())["tasks"]["agency"]["metrics"]
    known = metrics["with_known_topic"]
    assert 0.0 <= known["local_unit_accuracy"] <= 1.0 and 0.0 < known["valid_topics_in_table"] <= 1.0
    report = (model_dir / "report.md").read_text()
    assert "### With the topic known at intake" in report and "| exact local unit |" in report


def test_known_topic_routes_a_city_looking_text_to_the_kelurahan(model_dir):
    model = classifier.load_model(model_dir)
    plain, known = model.predict([{"text": ROADS, "kelurahan": "Ujung"},
                                  {"text": ROADS, "kelurahan": "Ujung", "known_topic": "Permasalahan Wilayah"}],
                                 explain=True)
    assert plain.agency.label == "Dinas Sumber Daya Air dan Bina Marga"
    assert known.agency.label == "Kelurahan Ujung"
    assert "known topic: Permasalahan Wilayah" in known.agency.explanation
    assert known.topic.label == plain.topic.label  # the topic field stays the model's reading of the text


def test_predict_cli_reads_the_known_topic_column(model_dir, tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"text": [ROADS, ROADS], "kelurahan": ["Ujung", "Ujung"],
                  "topik": ["Permasalahan Wilayah", ""]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["predict", "--model", str(model_dir), str(src), "-o", str(out), "--known-topic-col", "topik"]) == 0
    agencies = pd.read_csv(out, dtype=str, keep_default_na=False)["agency"].tolist()
    assert agencies == ["Kelurahan Ujung", "Dinas Sumber Daya Air dan Bina Marga"]
    assert main(["predict", "--model", str(model_dir), str(src), "--known-topic-col", "kategori"]) == 2
    err = capsys.readouterr().err.strip()
    assert "--known-topic-col: no column 'kategori'" in err and len(err.splitlines()) == 1


def test_api_accepts_a_known_topic(model_dir, tmp_path):
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=model_dir.parent))
    with TestClient(app) as client:
        with app.state.sessions() as session:
            key = {"X-API-Key": create_key(session, ["desk"], name="test").key}
        body = {"text": ROADS, "kelurahan": "Ujung", "known_topic": "Permasalahan Wilayah"}
        answer = client.post("/v1/complaints/classify", json=body, headers=key)
        assert answer.status_code == 200 and answer.json()["agency"]["label"] == "Kelurahan Ujung"
        too_long = client.post("/v1/complaints/classify", json={**body, "known_topic": "x" * 501}, headers=key)
        assert too_long.status_code == 422 and "known_topic" in json.dumps(too_long.json())
