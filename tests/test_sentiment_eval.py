"""training.sentiment_eval on a small data directory written here (invented sentences, own words)."""
import shutil
from pathlib import Path

import pytest

from training.config import TrainingConfig
from training.readers import DataError
from training.sentiment_eval import Evaluator, Proxies, Rows, halves, main, survey_scores

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
STARS = '{ "1" = "negative", "2" = "negative", "3" = "neutral", "4" = "positive", "5" = "positive" }'
SURVEY_PATH = "sentiment/public_service_reviews/school_satisfaction_survey.csv"
CONFIG = f"""
seed = 5
[tasks.sentiment]
min_examples = 2
frequent_min = 3
features = {{ word_ngrams = [1, 2], min_df = 1, negation_scope = 2 }}
model = {{ kind = "linear_svc", C = 0.5, class_weight = "balanced", calibration = "none", no_opinion_neutral = true }}
[[tasks.sentiment.sources]]
path = "sentiment_train.csv"
""" + "".join(f"""
[[tasks.sentiment.sources]]
path = "app_{name}.csv"
text = "content"
label = "score"
label_map = {STARS}
""" for name in ("loket", "antre", "izin")) + """
[[tasks.sentiment.valid_sources]]
path = "sentiment_valid.tsv"
header = false
text = "0"
label = "1"
"""
GOOD = ["mudah dipakai", "cepat sekali", "sangat membantu", "petugasnya ramah", "prosesnya lancar", "mantap"]
BAD = ["sering error", "lambat sekali", "tidak bisa masuk", "petugasnya judes", "antrean lama", "gagal terus"]
MEH = ["biasa saja", "lumayan lah", "kadang bisa kadang tidak"]


def _app_rows(app: str) -> list[str]:
    rows = [f'"aplikasi {app} {g}",5' for g in GOOD] + [f'"layanan {app} {g}",4' for g in GOOD[:3]]
    rows += [f'"aplikasi {app} {b}",1' for b in BAD] + [f'"layanan {app} {b}",2' for b in BAD[:3]]
    return rows + [f'"aplikasi {app} {m}",3' for m in MEH] + [f'"layanan {app} {m}",3' for m in MEH]


@pytest.fixture()
def data_dir(tmp_path):
    for name in ("sentiment_train.csv", "sentiment_valid.tsv"):
        shutil.copy(FIXTURES / name, tmp_path / name)
    shutil.copytree(FIXTURES / "lexicons", tmp_path / "lexicons")
    for app in ("loket", "antre", "izin"):
        (tmp_path / f"app_{app}.csv").write_text("content,score\n" + "\n".join(_app_rows(app)) + "\n", encoding="utf-8")
    survey = tmp_path / SURVEY_PATH
    survey.parent.mkdir(parents=True)
    comments = [(f"guru {g}", "positif") for g in GOOD] + [(f"kelas {b}", "negatif") for b in BAD]
    survey.write_text("Survey;Label\n" + "\n".join(f"{c};{lab}" for c, lab in comments) + "\n", encoding="utf-8")
    # InSet's format (word, weight), words of our own choosing
    (tmp_path / "lexicons" / "inset_positive.tsv").write_text("word\tweight\nramah\t4\nlancar\t3\n", encoding="utf-8")
    (tmp_path / "lexicons" / "inset_negative.tsv").write_text("word\tweight\nlambat\t-4\njudes\t-3\n", encoding="utf-8")
    return tmp_path


@pytest.fixture()
def config_path(tmp_path):
    path = tmp_path / "sentiment.toml"
    path.write_text(CONFIG, encoding="utf-8")
    return path


def test_survey_scores_count_only_the_survey_classes_and_report_neutral():
    f1, neutral = survey_scores(["positive", "negative", "positive", "negative"],
                                ["positive", "negative", "neutral", "negative"])
    assert neutral == 0.25
    # positive: P 1, R 0.5 → 2/3; negative: P 1, R 1 → 1; neutral (absent from the truth) not averaged in
    assert f1 == pytest.approx((2 / 3 + 1) / 2)


def test_halves_are_stratified_disjoint_and_fixed():
    rows = Rows([f"t{i}" for i in range(20)], ["a"] * 10 + ["b"] * 10)
    select, report = halves(rows, seed=1)
    assert sorted(select.texts + report.texts) == sorted(rows.texts)
    assert select.labels.count("a") == report.labels.count("a") == 5
    assert halves(rows, seed=1)[0].texts == select.texts


def test_the_survey_proxy_must_not_be_a_training_source(data_dir, config_path):
    config = TrainingConfig.from_toml(config_path)
    task = config.tasks["sentiment"]
    task.sources.append(type(task.sources[0])(path=SURVEY_PATH, text="Survey", label="Label"))
    with pytest.raises(DataError, match="cannot be the unseen survey proxy"):
        Proxies.load(task, Evaluator(config, data_dir))


def test_leave_one_app_out_never_trains_on_the_held_out_app(data_dir, config_path):
    config = TrainingConfig.from_toml(config_path)
    evaluator = Evaluator(config, data_dir)
    rows = evaluator.training_rows(config.tasks["sentiment"], without_source="app_antre.csv")
    assert not any("antre" in t.split()[1] for t in rows.texts if t.startswith(("aplikasi ", "layanan ")))
    assert any(t.startswith("aplikasi loket") for t in rows.texts)


def test_one_command_prints_report_and_selection_tables(data_dir, config_path, capsys):
    assert main(["--config", str(config_path), "--data-dir", str(data_dir)]) == 0
    out = capsys.readouterr().out
    report, selection = out.split("Selection part")
    for title in ("SmSA valid, macro-F1", "held-out app app_antre", "held-out apps, mean macro-F1",
                  "survey comments, macro-F1 (positive / negative)", "survey comments, share predicted neutral"):
        assert f"| {title}" in report
    for step in ("plain reference", "configured model", "negation scope", "no-opinion rule", "3-star reviews",
                 "review sources", "InSet lexicon features", "calibration"):
        assert f"| {step} |" in selection
    rows = [line for line in report.splitlines() if line.startswith("| ") and not line.startswith("| figure")]
    figures = [float(cell) for line in rows for cell in line.split("|")[2:4] if cell.strip() != "–"]
    assert figures and all(0.0 <= f <= 1.0 for f in figures)
