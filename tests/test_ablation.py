"""Strict evaluation on the hand-written fixtures: inner split, plain reference on the same rows, the
ablation table, resent complaints, optimistic marks and the [evaluation] config section."""
import json
from dataclasses import replace
from pathlib import Path

import numpy as np
import pandas as pd
import pytest

from training.ablation import variants
from training.config import ConfigError, TrainingConfig
from training.task_data import TaskData, inner_split_indices, load_task_data, seen_in_training, split_indices
from training.train import train

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"


def fixture_config(tmp_path: Path, evaluation: str) -> TrainingConfig:
    path = tmp_path / "config.toml"
    path.write_text((FIXTURES / "config_small.toml").read_text() + "\n" + evaluation)
    return TrainingConfig.from_toml(path)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("ablation")
    config = fixture_config(tmp, '[evaluation]\nablation = true\n'
                                 '[evaluation.optimistic]\ntopic = "labels written by the rule author"\n')
    out = train(config, FIXTURES, tmp / "models", log=lambda m: None)
    return json.loads((out / "model.json").read_text()), (out / "report.md").read_text(), config


def test_reference_is_scored_on_the_same_rows_and_splits(trained):
    meta, report, _ = trained
    for task in ("topic", "agency"):
        metrics = meta["tasks"][task]["metrics"]
        assert metrics["reference"]["split"] == metrics["split"]
        assert metrics["reference"]["n_valid"] == metrics["n_valid"]
        assert metrics["reference_inner"]["split"] == metrics["inner"]["split"]
        assert metrics["inner"]["split"].startswith("inner time split")
    assert report.count("### Against the plain reference") == 2


def test_ablation_rows_switch_each_step_and_give_the_change(trained):
    meta, report, _ = trained
    ablation = meta["tasks"]["agency"]["metrics"]["ablation"]
    steps = {row["step"]: row for row in ablation["rows"]}
    assert {"plain reference", "PII masking", "slang normalization", "glued-word splitting", "stemming",
            "class weighting", "calibration on 2 folds", "char_wb n-grams", "separate address block",
            "local-or-city model", "kelurahan / kecamatan levels + gazetteer"} <= set(steps)
    assert set(ablation["splits"]) == {"inner", "reported"}
    for row in ablation["rows"]:
        for split in ("inner", "reported"):
            for key in ablation["metrics"]:
                value, configured = row["metrics"][split][key], ablation["configured"][split][key]
                assert row["delta"][split][key] == pytest.approx(value - configured)
    # flat labels: the exact local units are still scored
    assert steps["kelurahan / kecamatan levels + gazetteer"]["metrics"]["reported"]["local_unit_accuracy"] is not None
    assert "separate address block" not in {row["step"] for row in meta["tasks"]["topic"]["metrics"]["ablation"]["rows"]}
    assert report.count("### Ablation: each step switched one at a time") == 2


def test_optimistic_estimates_are_marked(trained):
    meta, report, _ = trained
    assert "rule author" in meta["tasks"]["topic"]["metrics"]["estimate"]
    assert "estimate" not in meta["tasks"]["agency"]["metrics"]
    assert "**Optimistic estimate**: labels written by the rule author" in report


def test_resent_complaints_are_reported_apart(trained):
    meta, _, _ = trained
    unseen = meta["tasks"]["agency"]["metrics"]["unseen"]
    assert unseen["n_valid"] + unseen["n_seen_in_training"] == meta["tasks"]["agency"]["metrics"]["n_valid"]


def test_inner_split_is_the_latest_part_of_the_training_side(trained):
    _, _, config = trained
    task = config.tasks["topic"]
    data = load_task_data(task, FIXTURES)
    train_idx, valid_idx, _ = split_indices(data, task, config.seed)
    inner_train, inner_valid, name = inner_split_indices(data, task, train_idx, 0.25, config.seed)
    assert sorted(np.concatenate([inner_train, inner_valid])) == sorted(train_idx)
    assert len(inner_valid) == len(train_idx) - round(len(train_idx) * 0.75)
    dates = data.dates.to_numpy()
    assert dates[inner_train].max() <= dates[inner_valid].min() and dates[inner_valid].max() <= dates[valid_idx].min()


def test_a_resent_complaint_is_seen_whatever_its_case_and_spacing():
    data = TaskData(["Lampu  mati di gang", "jalan rusak", "lampu mati di GANG", "sampah"], ["a", "b", "a", "c"],
                    None, "", {}, ["a", "b", "a", "c"], pd.DataFrame({"known_topic": [""] * 4}))
    assert seen_in_training(data, [0, 1], [2, 3]).tolist() == [True, False]


def test_variants_switch_what_the_config_has(trained):
    _, _, config = trained
    task = config.tasks["agency"]
    data = load_task_data(task, FIXTURES)
    found = {v.step: v for v in variants(config.text, task, data)}
    assert found["PII masking"].text.mask_pii is False and found["stemming"].text.stem is True
    assert found["class weighting"].task.model.class_weight is None
    assert found["calibration on 2 folds"].task.model.calibration == "none"
    assert found["char_wb n-grams"].task.features.char_ngrams == (2, 5)
    assert found["kelurahan / kecamatan levels + gazetteer"].flat
    logreg = replace(task, model=replace(task.model, kind="logreg"), router=None)
    steps = {v.step for v in variants(config.text, logreg, data)}
    assert "calibration on 2 folds" not in steps and "local-or-city model" not in steps


@pytest.mark.parametrize("section, message", [
    ('ablation_splits = ["outer"]', "evaluation: ablation_splits: unknown split(s) ['outer']"),
    ("inner_fraction = 0.95", "evaluation: inner_fraction: expected a number in (0, 0.9)"),
    ('optimistic = { topik = "x" }', "evaluation: optimistic: unknown task(s) ['topik']"),
    ("inner_split = true", "evaluation: unknown key(s) ['inner_split']"),
])
def test_bad_evaluation_section_names_the_key(tmp_path, section, message):
    with pytest.raises(ConfigError, match=message.replace("(", r"\(").replace(")", r"\)").replace("[", r"\[")
                       .replace("]", r"\]")):
        fixture_config(tmp_path, f"[evaluation]\n{section}\n")


def test_evaluation_section_round_trips(tmp_path):
    config = fixture_config(tmp_path, '[evaluation]\nablation = true\nablation_splits = ["inner"]\n')
    again = TrainingConfig.from_dict(config.to_dict())
    assert again.evaluation == config.evaluation and again.evaluation.ablation_splits == ["inner"]
