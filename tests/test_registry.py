"""The model registry: versions, production, promote / rollback, the state file, and `aduan models`."""
from __future__ import annotations

import json
from pathlib import Path

import pytest
from fastapi.testclient import TestClient

from aduan.cli import main
from api_support import build_models, new_key
from classifier.model import ModelNotFound, find_latest_model
from classifier.registry import STATE_FILE, ModelRegistry, RegistryError
from serving.core.config import Settings
from serving.main import create_app


def add_model(models_dir: Path, version: str, created_at: str, metrics: dict | None = None) -> Path:
    path = models_dir / version
    path.mkdir(parents=True)
    tasks = {"topic": {"labels": ["A", "B"], "n_train": 10,
                       "metrics": metrics or {"frequent_macro_f1": 0.5, "accuracy": 0.6}}}
    (path / "model.json").write_text(json.dumps({"version": version, "created_at": created_at, "tasks": tasks}))
    return path


@pytest.fixture
def registry(tmp_path) -> ModelRegistry:
    add_model(tmp_path, "v1", "2024-01-01T00:00:00+00:00")
    add_model(tmp_path, "v2", "2024-02-01T00:00:00+00:00")
    add_model(tmp_path, "v3", "2024-03-01T00:00:00+00:00")
    (tmp_path / "not-a-model").mkdir()
    (tmp_path / "broken").mkdir()
    (tmp_path / "broken" / "model.json").write_text("{not json")
    return ModelRegistry(tmp_path)


def test_versions_are_model_directories_newest_first(registry):
    assert [v.version for v in registry.versions()] == ["v3", "v2", "v1"]
    assert registry.versions()[0].metadata["tasks"]["topic"]["labels"] == ["A", "B"]


def test_without_a_promotion_the_newest_is_served(registry):
    assert registry.production() is None
    assert find_latest_model(registry.models_dir) == registry.models_dir / "v3"
    assert not (registry.models_dir / STATE_FILE).exists()


def test_a_promoted_version_is_served_even_when_older(registry):
    registry.promote("v1", "reviewed")
    assert registry.production() == "v1"
    assert find_latest_model(registry.models_dir) == registry.models_dir / "v1"
    add_model(registry.models_dir, "v4", "2024-04-01T00:00:00+00:00")  # a newer model is not served by itself
    assert find_latest_model(registry.models_dir) == registry.models_dir / "v1"
    [entry] = json.loads((registry.models_dir / STATE_FILE).read_text())["history"]
    assert entry["version"] == "v1" and entry["reason"] == "reviewed" and entry["promoted_at"]


def test_rollback_goes_back_one_promotion_at_a_time(registry):
    for version in ("v1", "v2", "v3"):
        registry.promote(version)
    assert registry.rollback() == "v2"
    assert registry.production() == "v2"
    assert registry.rollback() == "v1"
    with pytest.raises(RegistryError, match="nothing to roll back to"):
        registry.rollback()
    assert registry.production() == "v1"


@pytest.mark.parametrize("version, error", [("v9", ModelNotFound), ("../v1", ModelNotFound), ("", ModelNotFound),
                                            (".", ModelNotFound), ("broken", RegistryError)])
def test_unknown_or_unreadable_versions_cannot_be_promoted(registry, version, error):
    with pytest.raises(error):
        registry.promote(version)
    assert registry.production() is None


def test_a_missing_production_directory_is_reported_not_replaced(registry):
    registry.promote("v2")
    for f in (registry.models_dir / "v2").iterdir():
        f.unlink()
    (registry.models_dir / "v2").rmdir()
    with pytest.raises(ModelNotFound, match="production model 'v2'.*missing"):
        find_latest_model(registry.models_dir)


def test_an_unreadable_state_file_is_one_clear_error(registry):
    (registry.models_dir / STATE_FILE).write_text("{half a file")
    with pytest.raises(RegistryError, match="registry.json: unreadable"):
        registry.production()
    with pytest.raises(ModelNotFound, match="registry.json: unreadable"):  # what predict and the API handle
        find_latest_model(registry.models_dir)


@pytest.mark.parametrize("broken_call", ["json.dump", "os.replace"])
def test_a_failed_write_keeps_the_previous_state_and_leaves_no_temp_file(registry, monkeypatch, broken_call):
    registry.promote("v1")
    before = (registry.models_dir / STATE_FILE).read_text()

    def fail(*args, **kwargs):
        raise OSError("disk full")

    monkeypatch.setattr(broken_call, fail)
    with pytest.raises(OSError, match="disk full"):
        registry.promote("v2")
    monkeypatch.undo()
    assert (registry.models_dir / STATE_FILE).read_text() == before
    assert registry.production() == "v1"
    assert [p.name for p in registry.models_dir.iterdir() if p.name.startswith(".")] == []


# ---------------------------------------------------------------- aduan models
@pytest.fixture
def cli_models(registry, monkeypatch) -> Path:
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(registry.models_dir))
    return registry.models_dir


def test_cli_list_promote_show_and_rollback(cli_models, capsys):
    assert main(["models", "list"]) == 0
    out = capsys.readouterr().out
    assert out.index("v3") < out.index("v2") < out.index("v1")
    assert "nothing promoted: the newest, v3, is served" in out
    assert "topic frequent_macro_f1 0.5000" in out

    assert main(["models", "promote", "v1"]) == 0
    assert main(["models", "promote", "v2", "--reason", "desk review"]) == 0
    capsys.readouterr()
    assert main(["models", "list"]) == 0
    assert "* v2 " in capsys.readouterr().out

    assert main(["models", "show", "v2"]) == 0
    out = capsys.readouterr().out
    assert "v2 (production)" in out and "desk review" in out and "frequent_macro_f1 0.5000" in out

    assert main(["models", "rollback"]) == 0
    assert "v1 is production" in capsys.readouterr().out
    assert ModelRegistry(cli_models).production() == "v1"


@pytest.mark.parametrize("argv, message", [
    (["models", "promote", "v9"], "no model 'v9'"),
    (["models", "show", "v9"], "no model 'v9'"),
    (["models", "rollback"], "nothing to roll back to"),
])
def test_cli_errors_are_one_line_with_exit_2(cli_models, capsys, argv, message):
    assert main(argv) == 2
    err = capsys.readouterr().err
    assert err.count("\n") == 1 and err.startswith("aduan: error: ") and message in err


# ---------------------------------------------------------------- the API follows promotions
def test_api_start_and_reload_serve_the_production_model(tmp_path):
    models_dir = build_models(tmp_path / "models")  # test-1, and the newer test-2
    registry = ModelRegistry(models_dir)
    registry.promote("test-1")
    app = create_app(Settings(database_url=f"sqlite:///{tmp_path / 'api.db'}", models_dir=models_dir))
    admin = {"X-API-Key": new_key(app, "admin")}
    with TestClient(app) as client:
        assert client.get("/readyz").json()["model_version"] == "test-1"
        registry.promote("test-2")
        reloaded = client.post("/v1/models/reload", headers=admin)
        assert reloaded.status_code == 200 and reloaded.json()["current"]["version"] == "test-2"
        registry.rollback()
        assert client.post("/v1/models/reload", headers=admin).json()["current"]["version"] == "test-1"
