"""The retraining loop: corrections from the feedback store → candidate → compare → promote or keep."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from aduan.cli import load_corrections, main
from classifier.model import find_latest_model
from classifier.registry import ModelRegistry
from serving.db.migrate import upgrade
from serving.db.models import Feedback, Prediction
from serving.db.session import make_engine, make_session_factory
from training.config import ConfigError, TrainingConfig, tomllib
from training.retrain import NEW_TASK, NOT_COMPARABLE, OK, WORSE, compare, format_table
from training.train import train

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
CONFIG = FIXTURES / "config_small.toml"
VALID_FROM = "2022-09-18"  # config_small.toml's time split: the latest quarter of complaints_small.csv


# ---------------------------------------------------------------- compare()
def meta(topic: float | None = 0.80, agency: float | None = 0.90, valid: str = "same", **extra_tasks) -> dict:
    tasks = {}
    for task, value, metric in (("topic", topic, "frequent_macro_f1"), ("agency", agency, "frequent_accuracy")):
        if value is not None:
            tasks[task] = {"metrics": {metric: value, "frequent_min": 3}, "valid_sha256": f"{task}-{valid}"}
    tasks.update(extra_tasks)
    return {"tasks": tasks}


@pytest.mark.parametrize("candidate, verdicts, promote", [
    (meta(topic=0.80), [OK, OK], True),
    (meta(topic=0.85), [OK, OK], True),
    (meta(topic=0.796), [OK, OK], True),  # dropped 0.004, within the tolerance 0.005
    (meta(topic=0.795), [OK, OK], True),  # exactly the tolerance
    (meta(topic=0.79), [WORSE, OK], False),
    (meta(agency=0.70), [OK, WORSE], False),
    (meta(valid="other"), [NOT_COMPARABLE, NOT_COMPARABLE], False),
])
def test_compare_promotes_only_within_the_tolerance(candidate, verdicts, promote):
    decision = compare(candidate, meta(), tolerance=0.005)
    assert [r.verdict for r in decision.rows] == verdicts
    assert decision.promote is promote
    if not promote:
        assert "topic" in decision.reason or "agency" in decision.reason


def test_compare_rows_carry_both_figures_and_the_delta():
    [topic, agency] = compare(meta(topic=0.70), meta(), tolerance=0.005).rows
    assert (topic.task, topic.metric, topic.production, topic.candidate) == ("topic", "frequent_macro_f1", 0.80, 0.70)
    assert topic.delta == pytest.approx(-0.10)
    table = format_table([topic, agency])
    assert table.splitlines()[0].split() == ["task", "metric", "production", "candidate", "delta", "verdict"]
    assert "0.8000" in table and "0.7000" in table and "-0.1000" in table and "worse" in table


def test_compare_without_production_promotes():
    decision = compare(meta(), None, tolerance=0.005)
    assert decision.promote and "no production" in decision.reason


def test_a_new_task_passes_and_a_dropped_task_refuses():
    urgency = {"metrics": {"macro_f1": 0.6, "frequent_min": 3}, "valid_sha256": "u"}
    assert compare(meta(urgency=urgency), meta(), 0.005).promote
    assert compare(meta(urgency=urgency), meta(), 0.005).rows[-1].verdict == NEW_TASK
    dropped = compare(meta(agency=None), meta(), 0.005)
    assert not dropped.promote and "no agency model" in dropped.reason


def test_a_different_frequent_threshold_is_not_comparable():
    candidate = meta()
    candidate["tasks"]["topic"]["metrics"]["frequent_min"] = 30
    assert [r.verdict for r in compare(candidate, meta(), 0.005).rows] == [NOT_COMPARABLE, OK]


def test_the_same_rows_split_another_way_are_not_comparable():
    def with_split(split: dict, seed: int = 7) -> dict:
        return {**meta(agency=None), "config": {"seed": seed, "tasks": {"topic": {"split": split}}}}

    older = {"valid_fraction": 0.2, "by_time": True}  # a model from before cv_folds existed
    assert compare(with_split({**older, "cv_folds": 0, "cv_repeats": 1}), with_split(older), 0.005).promote
    cv = {**older, "cv_folds": 5, "cv_repeats": 3}
    assert compare(with_split(cv), with_split(cv), 0.005).promote
    for other in (with_split({**cv, "cv_folds": 3}), with_split(cv, seed=8)):
        assert compare(other, with_split(cv), 0.005).rows[0].verdict == NOT_COMPARABLE


def test_models_without_a_validation_fingerprint_compare_their_data_files():
    def old_style(sha: str, value: float) -> dict:
        config = {"seed": 7, "tasks": {"topic": {"sources": [{"path": "a.csv"}], "split": {"valid_fraction": 0.2},
                                                 "min_examples": 2, "rare_labels": "drop"}}}
        return {"config": config, "data_files": {"a.csv": sha},
                "tasks": {"topic": {"metrics": {"frequent_macro_f1": value, "frequent_min": 3}}}}

    assert compare(old_style("h1", 0.8), old_style("h1", 0.8), 0.005).promote
    changed = compare(old_style("h2", 0.9), old_style("h1", 0.8), 0.005)
    assert not changed.promote and changed.rows[0].verdict == NOT_COMPARABLE
    assert "not comparable" in changed.reason


def test_primary_metrics_come_from_the_promotion_config():
    candidate, production = meta(), meta()
    candidate["tasks"]["topic"]["metrics"]["accuracy"] = 0.5
    production["tasks"]["topic"]["metrics"]["accuracy"] = 0.9
    decision = compare(candidate, production, 0.005, {"topic": "accuracy"})
    assert decision.rows[0].metric == "accuracy" and not decision.promote
    missing = compare(meta(), meta(), 0.005, {"topic": "no_such_metric"})
    assert not missing.promote and "no_such_metric" in missing.reason
    only_candidate = compare(candidate, meta(), 0.005, {"topic": "accuracy"})
    assert only_candidate.rows[0].verdict == NOT_COMPARABLE
    assert "production records no metric 'accuracy'" in only_candidate.reason


def test_the_promotion_section_of_the_config():
    base = tomllib.loads(CONFIG.read_text())
    config = TrainingConfig.from_dict({**base, "promotion": {"tolerance": 0.01, "primary_metrics": {"topic": "accuracy"}}})
    assert config.promotion.tolerance == 0.01
    assert config.promotion.primary_metrics["topic"] == "accuracy"
    assert config.promotion.primary_metrics["agency"] == "frequent_accuracy"  # the default for tasks left out
    assert TrainingConfig.from_dict(base).promotion.tolerance == 0.005
    with pytest.raises(ConfigError, match="promotion: tolerance"):
        TrainingConfig.from_dict({**base, "promotion": {"tolerance": -0.1}})
    with pytest.raises(ConfigError, match="promotion: primary_metrics: unknown task"):
        TrainingConfig.from_dict({**base, "promotion": {"primary_metrics": {"topik": "accuracy"}}})


def test_retrain_rejects_a_bad_tolerance_before_training(env, capsys):
    assert main(["retrain", "--config", str(CONFIG), "--data-dir", str(FIXTURES), "--tolerance", "2"]) == 2
    err = capsys.readouterr().err
    assert err == "aduan: error: --tolerance 2.0: expected a number in [0, 1)\n"
    assert not env.exists()


# ---------------------------------------------------------------- the feedback store
def feedback_store(path: Path, corrections: list[tuple[str, str, str]]) -> str:
    """A migrated SQLite feedback store holding one prediction per (text, field, correct value)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        for text, field, value in corrections:
            prediction_id = uuid.uuid4().hex
            session.add(Prediction(id=prediction_id, model_version="v", text=text, outputs={}, needs_review=False))
            session.flush()
            session.add(Feedback(prediction_id=prediction_id, field=field, correct_value=value))
        session.commit()
    engine.dispose()
    return url


def test_the_latest_correction_per_prediction_and_field_wins(tmp_path):
    url = feedback_store(tmp_path / "f.db", [])
    engine = make_engine(url)
    start = datetime(2024, 5, 1, tzinfo=timezone.utc)
    with make_session_factory(engine)() as session:
        session.add(Prediction(id="a" * 32, model_version="v", text="lampu jalan mati", outputs={},
                               needs_review=False))
        session.flush()
        for minutes, field, value in ((2, "topic", "Lampu Jalan"), (1, "topic", "Sampah"),
                                      (0, "agency", "Dinas Perhubungan"), (3, "agency", "Kelurahan Ujung")):
            session.add(Feedback(prediction_id="a" * 32, field=field, correct_value=value,
                                 created_at=start + timedelta(minutes=minutes)))
        session.commit()
    engine.dispose()
    assert load_corrections(url) == {"topic": [("lampu jalan mati", "Lampu Jalan")],
                                     "agency": [("lampu jalan mati", "Kelurahan Ujung")]}


def test_a_missing_store_means_no_corrections(tmp_path, capsys):
    assert load_corrections(f"sqlite:///{tmp_path / 'absent.db'}") == {}
    assert not (tmp_path / "absent.db").exists()
    assert "training without corrections" in capsys.readouterr().err


# ---------------------------------------------------------------- corrections stay on the training side
def test_corrections_equal_to_validation_texts_do_not_change_the_held_out_figures(tmp_path):
    config = TrainingConfig.from_toml(CONFIG)
    rows = pd.read_csv(FIXTURES / "complaints_small.csv")
    valid = rows[rows["tanggal"] >= VALID_FROM]
    wrong = [(text, "Sampah" if topic != "Sampah" else "Bansos") for text, topic in zip(valid["keluhan"], valid["topik"])]
    base = json.loads((train(config, FIXTURES, tmp_path, log=lambda m: None) / "model.json").read_text())
    with_wrong = json.loads((train(config, FIXTURES, tmp_path, log=lambda m: None,
                                   extra_training={"topic": wrong}) / "model.json").read_text())
    assert with_wrong["tasks"]["topic"]["n_extra"] == len(wrong)
    assert with_wrong["tasks"]["topic"]["metrics"] == base["tasks"]["topic"]["metrics"]
    assert with_wrong["tasks"]["topic"]["valid_sha256"] == base["tasks"]["topic"]["valid_sha256"]


# ---------------------------------------------------------------- aduan retrain, end to end
def fixture_corrections(correct: bool, before: str | None = None) -> list[tuple[str, str, str]]:
    """Desk corrections as new texts close to the fixture complaints: with their true topic, or
    with the next topic in the alphabet (a desk flipping labels)."""
    rows = pd.read_csv(FIXTURES / "complaints_small.csv")
    if before:
        rows = rows[rows["tanggal"] < before]
    topics = sorted(rows["topik"].unique())
    wrong = {t: topics[(i + 1) % len(topics)] for i, t in enumerate(topics)}
    return [(f"{text} mohon dicek", "topic", topic if correct else wrong[topic])
            for text, topic in zip(rows["keluhan"], rows["topik"])]


@pytest.fixture
def env(tmp_path, monkeypatch) -> Path:
    models = tmp_path / "models"
    monkeypatch.setenv("ADUAN_MODELS_DIR", str(models))
    return models


def retrain(capsys) -> tuple[str, str]:
    assert main(["retrain", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0  # tolerance 0.005
    captured = capsys.readouterr()
    return captured.out, captured.err


def test_a_worse_candidate_is_refused_and_production_stays(env, tmp_path, monkeypatch, capsys):
    # Trained without `aduan train`, so nothing is promoted: the newest model is what is served.
    served = train(TrainingConfig.from_toml(CONFIG), FIXTURES, env, log=lambda m: None)
    url = feedback_store(tmp_path / "f.db", fixture_corrections(correct=False) * 2)
    monkeypatch.setenv("ADUAN_DATABASE_URL", url)
    out, _ = retrain(capsys)
    header, topic, agency = out.splitlines()[:3]
    assert header.split() == ["task", "metric", "production", "candidate", "delta", "verdict"]
    assert topic.startswith("topic") and topic.endswith("worse")
    assert agency.startswith("agency") and agency.endswith("ok")
    assert f"NOT PROMOTED: production stays {served.name}" in out
    registry = ModelRegistry(env)
    assert len(registry.versions()) == 2
    candidate = registry.versions()[0]
    assert candidate.version != served.name and candidate.metadata["tasks"]["topic"]["n_extra"] == 88
    # The refused candidate is the newest, yet the served model does not change.
    assert registry.production() == served.name
    assert find_latest_model(env) == served


def test_a_candidate_at_least_as_good_is_promoted(env, tmp_path, monkeypatch, capsys):
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0
    [first] = ModelRegistry(env).versions()
    assert ModelRegistry(env).production() == first.version  # the first model is promoted by `aduan train`
    corrections = fixture_corrections(correct=True, before=VALID_FROM)
    corrections += [("air pdam mati sejak pagi", "urgency", "tinggi")]  # this config trains no urgency model
    monkeypatch.setenv("ADUAN_DATABASE_URL", feedback_store(tmp_path / "f.db", corrections))
    out, err = retrain(capsys)
    registry = ModelRegistry(env)
    candidate = registry.versions()[0]
    assert f"PROMOTED {candidate.version} (was {first.version})" in out
    assert "worse" not in out.split("PROMOTED")[0]
    assert registry.production() == candidate.version
    assert find_latest_model(env) == candidate.path
    assert candidate.metadata["tasks"]["topic"]["n_extra"] == len(corrections) - 1
    assert "1 urgency correction(s) ignored: this config trains no urgency model" in err
    assert registry.rollback() == first.version
