"""Issue 13.5, corrections poison models: made-up labels, markup and personal data in a correction are
refused by the API (422 naming the field, nothing stored, the value not echoed), and `aduan retrain`
drops what an older store still holds, unless a data scientist allows new labels, and says so."""
from __future__ import annotations

import uuid
from pathlib import Path

import pytest
from fastapi.testclient import TestClient
from sqlalchemy import func, select

from aduan.cli import main
from classifier.registry import ModelRegistry
from serving.core.config import Settings
from serving.db.models import Feedback, Prediction
from serving.keys import create_key
from serving.main import create_app

FIXTURES = Path(__file__).resolve().parent.parent.parent / "datasets" / "fixtures"
CONFIG = FIXTURES / "config_small.toml"
EMAIL = "budi.santoso@example.com"
POISON = [  # field, correct_value, new_label: each a case of the issue
    ("topic", "Topik Karangan", False),  # a made-up label
    ("topic", "<script>alert(1)</script>", True),  # markup, even flagged new
    ("agency", f"Dinas Perhubungan {EMAIL}", True),  # personal data inside an agency label
    ("agency", "Kelurahan Ujung\"; DROP TABLE feedback; --", False),
    ("urgency", "__main__", False),  # the label a promoted model once carried
    ("urgency", "__main__", True),
    ("topic", "Layanan a.n. Budi Santoso", True),  # an announced name
]


@pytest.fixture
def served(tmp_path, monkeypatch):
    models = tmp_path / "models"
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(models))
    monkeypatch.setenv("ADUAN_DATABASE_URL", f"sqlite:///{tmp_path / 'api.db'}")
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=models))
    with app.state.sessions() as session:
        key = {"X-API-Key": create_key(session, ["desk"], name="desk").key}
    with TestClient(app) as client:
        yield client, key, app


@pytest.mark.parametrize("field, value, new_label", POISON)
def test_a_poisoned_correction_is_refused_and_nothing_is_stored(served, field, value, new_label):
    client, key, app = served
    prediction = client.post("/v1/complaints/classify", headers=key,
                             json={"text": "lampu jalan di depan gang mati sudah seminggu"}).json()
    answer = client.post("/v1/feedback", headers=key, json={
        "prediction_id": prediction["prediction_id"], "field": field, "correct_value": value, "new_label": new_label})
    assert answer.status_code == 422
    [error] = answer.json()["detail"]
    assert error["field"] in ("correct_value", "new_label")
    assert EMAIL not in answer.text and "<script>" not in answer.text and "Budi" not in answer.text
    with app.state.sessions() as session:
        assert session.scalar(select(func.count()).select_from(Feedback)) == 0


def test_retrain_drops_what_an_older_store_holds_and_reports_it(served, capsys):
    _, _, app = served
    # An older API stored corrections unchecked: put the rows in the store directly.
    text = "lampu jalan di depan gang mati sudah seminggu mohon dicek"
    with app.state.sessions() as session:
        for n in range(4):
            for field, value, new_label in POISON + [("topic", "Trotoar", True)]:
                prediction_id = uuid.uuid4().hex
                session.add(Prediction(id=prediction_id, model_version="v", text=f"{text} {n}", outputs={},
                                       needs_review=False))
                session.flush()
                session.add(Feedback(prediction_id=prediction_id, field=field, correct_value=value,
                                     new_label=new_label))
        session.commit()
    capsys.readouterr()
    assert main(["retrain", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0
    out = capsys.readouterr().out
    assert "dropped 4 topic example(s) of 'Topik Karangan': never seen by the production model" in out
    assert "dropped 4 topic example(s) of 'Trotoar': flagged new by the desk, never seen" in out
    assert "dropped 8 urgency example(s): this config trains no such task" in out
    assert "dropped 4 agency example(s): not a label (holds personal data (email)" in out  # never shown
    assert "dropped 4 agency example(s): not a label (may hold only letters" in out
    assert EMAIL not in out and "<script>" not in out and "Budi" not in out
    candidate = ModelRegistry(Path(app.state.settings.models_dir)).versions()[0]
    assert candidate.metadata["tasks"]["topic"]["n_extra"] == 0
    labels = {label for task in candidate.metadata["tasks"].values() for label in task["labels"]}
    assert not {"Topik Karangan", "Trotoar", "__main__"} & labels
    assert not any("@" in label or "<" in label for label in labels)

    # A data scientist allows new labels: the plausible one is learned, the poison still is not.
    assert main(["retrain", "--config", str(CONFIG), "--data-dir", str(FIXTURES), "--allow-new-labels"]) == 0
    out = capsys.readouterr().out
    assert "dropped 4 topic example(s): not a label (may hold only letters" in out  # the markup
    assert "dropped 4 topic example(s): not a label (holds personal data (name)" in out
    labels = ModelRegistry(Path(app.state.settings.models_dir)).versions()[0].metadata["tasks"]["topic"]["labels"]
    assert {"Topik Karangan", "Trotoar"} <= set(labels)
    assert not any("<" in label or "Budi" in label for label in labels)
