"""The retraining loop: corrections from the feedback store → candidate → compare → promote or keep."""
from __future__ import annotations

import json
import uuid
from datetime import datetime, timedelta, timezone
from pathlib import Path

import pandas as pd
import pytest

from aduan.cli import main
from aduan.reviews import load_reviewed
from classifier.model import find_latest_model
from classifier.registry import ModelRegistry
from serving.db.migrate import upgrade
from serving.db.models import Feedback, Prediction
from serving.db.session import make_engine, make_session_factory
from training.config import ConfigError, RetrainConfig, TrainingConfig, tomllib
from training.retrain import NEW_TASK, NOT_COMPARABLE, OK, SHOWN, WORSE, compare, format_table, newest_rows
from training.slices import SliceScores
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
    assert table.splitlines()[0].split() == ["task", "slice", "metric", "production", "candidate", "delta",
                                             "reference", "verdict"]
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
START = datetime(2024, 5, 1, tzinfo=timezone.utc)


def feedback_store(path: Path, corrections: list[tuple], new_label: bool = False) -> str:
    """A migrated SQLite feedback store holding one prediction per (text, field, correct value), an hour
    apart in the order given (or at the datetime given as a fourth item)."""
    url = f"sqlite:///{path}"
    upgrade(url)
    engine = make_engine(url)
    with make_session_factory(engine)() as session:
        for n, (text, field, value, *at) in enumerate(corrections):
            prediction_id = uuid.uuid4().hex
            session.add(Prediction(id=prediction_id, model_version="v", text=text, outputs={}, needs_review=False,
                                   created_at=at[0] if at else START + timedelta(hours=n)))
            session.flush()
            session.add(Feedback(prediction_id=prediction_id, field=field, correct_value=value, new_label=new_label))
        session.commit()
    engine.dispose()
    return url


def as_corrections(examples) -> dict[str, list[tuple[str, str]]]:
    out: dict[str, list[tuple[str, str]]] = {}
    for e in examples:
        out.setdefault(e.task, []).append((e.text, e.label))
    return out


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
    assert as_corrections(load_reviewed(url)) == {"topic": [("lampu jalan mati", "Lampu Jalan")],
                                                  "agency": [("lampu jalan mati", "Kelurahan Ujung")]}


def test_a_missing_store_means_no_reviewed_complaints(tmp_path, capsys):
    assert load_reviewed(f"sqlite:///{tmp_path / 'absent.db'}") == []
    assert not (tmp_path / "absent.db").exists()
    assert "training without reviewed complaints" in capsys.readouterr().err


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


def retrain(capsys, *flags: str, config: Path = CONFIG) -> tuple[str, str]:
    assert main(["retrain", "--config", str(config), "--data-dir", str(FIXTURES), *flags]) == 0  # tolerance 0.005
    captured = capsys.readouterr()
    return captured.out, captured.err


def row(out: str, task: str, slice_: str, metric: str) -> list[str]:
    [line] = [line for line in out.splitlines() if line.startswith(task) and slice_ in line and metric in line]
    return line.split()


def test_a_worse_candidate_is_refused_and_production_stays(env, tmp_path, monkeypatch, capsys):
    # Trained without `aduan train`, so nothing is promoted: the newest model is what is served.
    served = train(TrainingConfig.from_toml(CONFIG), FIXTURES, env, log=lambda m: None)
    url = feedback_store(tmp_path / "f.db", fixture_corrections(correct=False) * 2)
    monkeypatch.setenv("ADUAN_DATABASE_URL", url)
    out, _ = retrain(capsys)
    assert out.splitlines()[0].split() == ["task", "slice", "metric", "production", "candidate", "delta",
                                           "reference", "verdict"]
    assert row(out, "topic", "base split", "frequent_macro_f1")[-1] == "worse"
    assert row(out, "agency", "base split", "frequent_accuracy")[-1] == "ok"
    assert "fewer than [retrain] newest_min 30, so no newest-data gate" in out  # 88 reviewed complaints
    assert f"NOT PROMOTED: production stays {served.name}" in out
    registry = ModelRegistry(env)
    assert len(registry.versions()) == 2
    candidate = registry.versions()[0]
    assert candidate.version != served.name and candidate.metadata["tasks"]["topic"]["n_extra"] == 88
    assert (candidate.path / "retrain.md").read_text().count("NOT PROMOTED") == 1
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
    assert "dropped 1 urgency example(s): this config trains no such task" in out
    assert registry.rollback() == first.version


def config_with(tmp_path: Path, section: str) -> Path:
    """config_small.toml plus a [retrain] section; its data paths stay relative to the data dir."""
    path = tmp_path / "config.toml"
    path.write_text(CONFIG.read_text() + "\n[retrain]\n" + section + "\n")
    return path


def test_a_candidate_worse_on_the_newest_reviews_is_refused_even_when_the_base_split_allows_it(
        env, tmp_path, monkeypatch, capsys):
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0
    [first] = ModelRegistry(env).versions()
    # Older reviews flip every topic; the newest (the last 20 %) have their true topic.
    older = fixture_corrections(correct=False) * 2
    newest = [(text.replace("mohon dicek", "tolong"), field, value)
              for text, field, value in fixture_corrections(correct=True)[:22]]
    monkeypatch.setenv("ADUAN_DATABASE_URL", feedback_store(tmp_path / "f.db", older + newest))
    config = config_with(tmp_path, "newest_min = 10\nretire_min_expected = 0")
    out, _ = retrain(capsys, "--tolerance", "0.99", config=config)  # the base split lets anything through
    assert "newest slice held out of training: newest 20%: 22 of 110 reviewed complaints" in out
    gate = row(out, "topic", "newest (22)", "accuracy")
    assert gate[-1] == "worse" and float(gate[5]) < float(gate[4])  # "newest (22)" is two words
    assert row(out, "topic", "newest (22)", "macro_f1")[-1] == "shown"
    assert "topic accuracy on the newest reviewed complaints dropped by" in out
    assert "NOT PROMOTED" in out and ModelRegistry(env).production() == first.version
    candidate = ModelRegistry(env).versions()[0]
    assert candidate.metadata["tasks"]["topic"]["n_extra"] == 88  # the newest slice was held out


def test_new_labels_need_the_flag_and_enough_examples(env, tmp_path, monkeypatch, capsys):
    assert main(["train", "--config", str(CONFIG), "--data-dir", str(FIXTURES)]) == 0
    corrections = [(f"trotoar rusak berlubang di jalan nomor {n}", "topic", "Trotoar") for n in range(4)]
    corrections += [(f"ada pohon tumbang menutup jalan {n}", "topic", "Pohon Tumbang") for n in range(2)]
    monkeypatch.setenv("ADUAN_DATABASE_URL", feedback_store(tmp_path / "f.db", corrections, new_label=True))
    out, _ = retrain(capsys)
    assert ("dropped 4 topic example(s) of 'Trotoar': flagged new by the desk, never seen by the production "
            "model (allow with --allow-new-labels)") in out
    assert "Trotoar" not in ModelRegistry(env).versions()[0].metadata["tasks"]["topic"]["labels"]
    out, _ = retrain(capsys, "--allow-new-labels")
    assert "dropped 2 topic example(s) of 'Pohon Tumbang': new label with 2 example(s), fewer than [retrain] " \
           "min_examples 3" in out
    labels = ModelRegistry(env).versions()[0].metadata["tasks"]["topic"]["labels"]
    assert "Trotoar" in labels and "Pohon Tumbang" not in labels


# ---------------------------------------------------------------- the [retrain] section
def test_the_retrain_section_of_the_config():
    base = tomllib.loads(CONFIG.read_text())
    config = TrainingConfig.from_dict({**base, "retrain": {"half_life_days": 30, "newest_days": 30}})
    assert (config.retrain.half_life_days, config.retrain.newest_days) == (30, 30)
    assert TrainingConfig.from_dict(config.to_dict()).retrain == config.retrain
    assert TrainingConfig.from_dict(base).retrain == RetrainConfig()
    for bad, message in (({"newest_fraction": 1.0}, "newest_fraction"), ({"feedback_weight": 0}, "feedback_weight"),
                         ({"unchanged_scope": "some"}, "unchanged_scope"), ({"newest_metric": "f1"}, "newest_metric"),
                         ({"half_life": 3}, "unknown key")):
        with pytest.raises(ConfigError, match=f"retrain: .*{message}"):
            TrainingConfig.from_dict({**base, "retrain": bad})
    shipped = TrainingConfig.from_toml(Path(__file__).resolve().parent.parent / "configs" / "default.toml")
    assert shipped.retrain.newest_fraction == 0.2 and shipped.retrain.unchanged_after_days == 0


# ---------------------------------------------------------------- the newest slice in compare()
def scores(production: float | None, candidate: float, n: int = 40) -> SliceScores:
    def metrics(value):
        return None if value is None else {"accuracy": value, "macro_f1": value / 2}

    return SliceScores(n, metrics(production), metrics(candidate), metrics(0.5))


def test_worse_on_the_newest_slice_refuses_whatever_the_base_split_says():
    rows = newest_rows({"topic": scores(0.60, 0.58), "agency": scores(0.70, 0.70)}, "accuracy", 0.01)
    assert [(r.task, r.metric, r.verdict, r.slice) for r in rows] == [
        ("topic", "accuracy", WORSE, "newest (40)"), ("topic", "macro_f1", SHOWN, "newest (40)"),
        ("agency", "accuracy", OK, "newest (40)"), ("agency", "macro_f1", SHOWN, "newest (40)")]
    assert rows[0].reference == 0.5
    decision = compare(meta(topic=0.85), meta(), 0.005, newest=rows)
    assert not decision.promote
    assert decision.reason == "topic accuracy on the newest reviewed complaints dropped by 0.0200"
    within = newest_rows({"topic": scores(0.60, 0.591)}, "accuracy", 0.01)
    assert compare(meta(), meta(), 0.005, newest=within).promote
    assert newest_rows({"topic": scores(None, 0.4)}, "accuracy", 0.01)[0].verdict == NEW_TASK
    assert newest_rows({"topic": scores(0.60, 0.59)}, "macro_f1", 0.001)[0].verdict == WORSE


# ---------------------------------------------------------------- training.reviews: pure rules
def example(n: int, task: str = "topic", label: str = "Sampah", days: float = 0, new: bool = False):
    from training.reviews import ReviewedExample

    return ReviewedExample(f"c{n:03d}", task, f"teks {n}", label, "correct", START + timedelta(days=days), new)


def test_screen_keeps_known_labels_in_their_spelling_and_says_why_it_drops_the_rest():
    from classifier.labels import LabelSet
    from training.reviews import screen

    known = {"topic": LabelSet(["Sampah", "Lampu Jalan"])}
    examples = [example(0, label="sampah"), example(1, label="<b>Sampah</b>"), example(2, label="x@y.co.id"),
                example(3, label="Trotoar"), example(4, label="Trotoar"), example(5, task="urgency", label="tinggi")]
    kept, dropped = screen(examples, known, allow_new_labels=False, min_examples=2)
    assert [(e.complaint_id, e.label) for e in kept] == [("c000", "Sampah")]
    assert [d.line() for d in dropped] == [
        "dropped 2 topic example(s) of 'Trotoar': never seen by the production model (allow with --allow-new-labels)",
        "dropped 1 topic example(s): not a label (may hold only letters, digits, spaces and . , & ( ) / ' - (no markup))",
        "dropped 1 topic example(s): not a label (holds personal data (email): a label names a category, not a person)",
        "dropped 1 urgency example(s): this config trains no such task"]
    kept, dropped = screen(examples, known, allow_new_labels=True, min_examples=2)
    assert sorted(e.label for e in kept) == ["Sampah", "Trotoar", "Trotoar"]
    kept, dropped = screen(examples, known, allow_new_labels=True, min_examples=3)
    assert "new label with 2 example(s), fewer than [retrain] min_examples 3" in dropped[0].line()


def test_the_newest_slice_is_the_latest_complaints_with_all_their_fields():
    from training.reviews import split_newest

    examples = [example(n, days=n) for n in range(10)] + [example(9, task="agency", label="Dinas Sosial", days=9)]
    older, newest, description = split_newest(examples, RetrainConfig(newest_fraction=0.2))
    assert sorted({e.complaint_id for e in newest}) == ["c008", "c009"] and len(newest) == 3
    assert len(older) == 8 and description.startswith("newest 20%: 2 of 10 reviewed complaints, from 2024-05-09")
    _, newest, description = split_newest(examples, RetrainConfig(newest_days=3))
    assert sorted({e.complaint_id for e in newest}) == ["c007", "c008", "c009"]
    assert description.startswith("last 3 days")


def test_recency_weights_halve_every_half_life():
    from training.reviews import recency_weights

    examples = [example(0, days=0), example(1, days=30), example(2, days=60)]
    assert recency_weights(examples, RetrainConfig(feedback_weight=2, half_life_days=30)) == pytest.approx([0.5, 1, 2])
    assert recency_weights(examples, RetrainConfig(feedback_weight=3, half_life_days=0)) == [3, 3, 3]


def test_a_base_label_expected_often_but_absent_recently_is_retired():
    from collections import Counter

    from training.reviews import retired_labels

    base = {"topic": Counter({"Sampah": 50, "Covid": 40, "Langka": 10})}
    recent = [example(n, label="Sampah", days=100 + n) for n in range(30)]
    old = [example(100 + n, label="Covid", days=n) for n in range(5)]  # outside the 90-day window
    retired, lines = retired_labels(recent + old, base, RetrainConfig(retire_min_expected=10, retire_window_days=90))
    assert retired == {"topic": {"Covid"}}  # expected 12 in the window; "Langka" only 3
    assert lines == ["retired topic label 'Covid': 40 base rows predict 12.0 among the 30 reviewed complaints of "
                     "the last 90 days; none occurred"]
    assert retired_labels(recent, base, RetrainConfig(retire_min_expected=0)) == ({}, [])
