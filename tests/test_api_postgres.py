"""The API's storage on a real PostgreSQL (ADUAN_TEST_DATABASE_URL; `make test` starts one).

Without the variable these tests skip on a developer machine and fail under CI=true: CI must
exercise PostgreSQL, not silently pass without it.
"""
from __future__ import annotations

import os

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.migration import MigrationContext
from fastapi.testclient import TestClient
from sqlalchemy import inspect, select

from api_support import make_app, models_dir, new_key  # noqa: F401 (fixtures)
from serving.db.migrate import alembic_config, upgrade
from serving.db.models import Base, Feedback, Prediction, ServedModel
from serving.db.session import make_engine

LAMP = "lampu jalan di depan rumah mati dan gelap sekali, telepon 081234567890"


@pytest.fixture
def pg_url() -> str:
    url = os.environ.get("ADUAN_TEST_DATABASE_URL")
    if not url:
        if os.environ.get("CI", "").lower() == "true":
            pytest.fail("CI=true but ADUAN_TEST_DATABASE_URL is unset: "
                        "scripts/test_services.sh did not start PostgreSQL")
        pytest.skip("no PostgreSQL: set ADUAN_TEST_DATABASE_URL (`make test` starts one)")
    # A clean database for every test: all tables down, then up again.
    command.downgrade(alembic_config(url), "base")
    upgrade(url)
    return url


def test_migrations_match_the_models_on_postgresql(pg_url):
    engine = make_engine(pg_url)
    try:
        with engine.connect() as connection:
            assert engine.dialect.name == "postgresql"
            assert compare_metadata(MigrationContext.configure(connection), Base.metadata) == []
            assert {"api_keys", "predictions", "feedback", "served_model"} <= set(inspect(connection).get_table_names())
        upgrade(pg_url)  # idempotent
    finally:
        engine.dispose()


def test_classify_feedback_and_reload_store_rows_in_postgresql(make_app, pg_url):
    app = make_app(database_url=pg_url)
    desk = {"X-API-Key": new_key(app, "desk")}
    admin = {"X-API-Key": new_key(app, "admin")}
    with TestClient(app) as client:
        assert client.get("/readyz").json()["status"] == "ready"
        one = client.post("/v1/complaints/classify", headers=desk, json={"text": LAMP}).json()
        batch = client.post("/v1/complaints/classify-batch", headers=desk,
                            json={"complaints": [{"text": LAMP}, {"text": "sampah menumpuk bau sekali"}]}).json()
        answer = client.post("/v1/feedback", headers=desk, json={
            "prediction_id": one["prediction_id"], "field": "topic", "correct_value": "Sampah"})
        assert answer.status_code == 201
        for version in ("test-1", "test-2"):
            assert client.post("/v1/models/reload", headers=admin, json={"version": version}).status_code == 200
    with app.state.sessions() as session:
        stored = session.scalars(select(Prediction)).all()
        assert {p.id for p in stored} == {one["prediction_id"], *(r["prediction_id"] for r in batch["results"])}
        assert all("081234567890" not in p.text for p in stored)
        assert session.get(Prediction, one["prediction_id"]).outputs["topic"]["label"] == "Lampu Jalan"
        [feedback] = session.scalars(select(Feedback)).all()
        assert (feedback.predicted_value, feedback.correct_value) == ("Lampu Jalan", "Sampah")
        served = session.get(ServedModel, 1)
        assert served.generation == 2 and served.path.endswith("test-2")
