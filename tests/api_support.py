"""Fixtures of the HTTP API tests (imported by tests/test_api*.py).

Two tiny models are trained from hand-written fixtures: ``test-2`` (topic, agency, urgency,
sentiment; the latest) and ``test-1`` (no sentiment task), both in one models dir.
"""
from __future__ import annotations

import socket
from pathlib import Path

import pandas as pd
import pytest
from fastapi.testclient import TestClient

from classifier.model import ModelBundle
from classifier.text import TextConfig, TextNormalizer
from serving.core.config import Settings
from serving.keys import create_key
from serving.main import create_app
from training.config import FeatureConfig, ModelConfig
from training.pipeline import build_pipeline

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
FEATURES = FeatureConfig(word_ngrams=(1, 2), char_ngrams=(3, 4), min_df=1)
CLASSIFIER = ModelConfig(kind="linear_svc", C=1.0, calibration_folds=2)
VERSIONS = ("test-1", "test-2")  # oldest first


def _fit(texts, labels):
    return build_pipeline(FEATURES, CLASSIFIER, seed=3).fit(texts, labels)


def build_models(root: Path) -> Path:
    normalizer = TextNormalizer(TextConfig())
    complaints = pd.read_csv(FIXTURES / "api_complaints.csv")
    sentiment = pd.read_csv(FIXTURES / "api_sentiment.csv")
    texts = normalizer.transform(complaints["text"])
    tasks = {task: _fit(texts, complaints[task].tolist()) for task in ("topic", "agency", "urgency")}
    for number, version in enumerate(VERSIONS, 1):
        if version == "test-2":
            tasks["sentiment"] = _fit(normalizer.transform(sentiment["text"]), sentiment["label"].tolist())
        metadata = {"version": version, "created_at": f"2024-01-0{number}T00:00:00+00:00", "review_threshold": 0.3,
                    "tasks": {name: {"labels": list(est.classes_)} for name, est in tasks.items()}}
        ModelBundle(normalizer, dict(tasks), metadata).save(root / version)
    return root


@pytest.fixture(scope="session")
def models_dir(tmp_path_factory) -> Path:
    return build_models(tmp_path_factory.mktemp("models"))


@pytest.fixture
def make_app(tmp_path, models_dir):
    """create_app over a fresh SQLite file; keyword arguments override Settings."""

    def make(**overrides):
        values = {"database_url": f"sqlite:///{tmp_path / 'api.db'}", "models_dir": models_dir, **overrides}
        return create_app(Settings(**values))

    return make


@pytest.fixture
def app(make_app):
    return make_app()


@pytest.fixture
def client(app):
    with TestClient(app) as test_client:
        yield test_client


def new_key(app, *scopes: str) -> str:
    with app.state.sessions() as session:
        return create_key(session, list(scopes), name="test").key


@pytest.fixture
def keys(app) -> dict[str, dict[str, str]]:
    """X-API-Key headers per scope, plus "all" with every scope."""
    scopes = {"desk": ("desk",), "reporting": ("reporting",), "admin": ("admin",),
              "all": ("desk", "reporting", "admin")}
    return {name: {"X-API-Key": new_key(app, *s)} for name, s in scopes.items()}


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]
