"""Sentiment: negation scope, the no-opinion rule, the InSet block, slang and emoji, `aduan sentiment`,
and the model on the real data (SmSA valid floor, survey-comment phrasings)."""
import json
import tomllib
from dataclasses import replace
from pathlib import Path

import pandas as pd
import pytest

import classifier
from aduan.cli import main
from classifier.lexicons import NEGATORS, load_slang_lexicon, load_stopwords
from classifier.model import ModelBundle
from classifier.sentiment_features import NegationScope, PolarityLexicon, load_inset, says_nothing
from classifier.text import TextConfig, TextNormalizer
from training.config import ConfigError, TrainingConfig
from training.train import train

FIXTURES = Path(__file__).resolve().parent.parent / "datasets" / "fixtures"
DEFAULT_CONFIG = Path(__file__).resolve().parent.parent / "configs" / "default.toml"
STARS = '{ "1" = "negative", "2" = "negative", "3" = "neutral", "4" = "positive", "5" = "positive" }'
# The shipped features and model (configs/default.toml), over the hand-written fixtures.
TINY_CONFIG = f"""
seed = 3
[tasks.sentiment]
min_examples = 2
frequent_min = 3
features = {{ word_ngrams = [1, 2], min_df = 1, negation_scope = 2 }}
model = {{ kind = "linear_svc", C = 0.5, class_weight = "balanced", calibration = "none", no_opinion_neutral = true }}
[[tasks.sentiment.sources]]
path = "sentiment_train.csv"
[[tasks.sentiment.sources]]
path = "sentiment_stars.csv"
text = "content"
label = "score"
label_map = {STARS}
[[tasks.sentiment.valid_sources]]
path = "sentiment_valid.tsv"
header = false
text = "0"
label = "1"
"""


# ---------------------------------------------------------------- negation scope
@pytest.mark.parametrize("text, marked", [
    ("pelayanannya tidak bagus", "pelayanannya tidak NEG_bagus"),
    ("tidak terlalu bagus sekali", "tidak NEG_terlalu NEG_bagus sekali"),  # scope: two words
    ("tidak mahal tapi lambat", "tidak NEG_mahal tapi lambat"),  # a contrast ends the scope
    ("kurang ramah", "kurang NEG_ramah"),
    ("tidak emoji_pouting_face [telepon]", "tidak emoji_pouting_face [telepon]"),
    ("bagus sekali", "bagus sekali"),
])
def test_negation_scope_marks_the_words_after_a_negator(text, marked):
    assert NegationScope(2)(text) == marked


# ---------------------------------------------------------------- comments that say nothing
@pytest.mark.parametrize("normalized", [
    "", "?", "tidak", "tidak ada", "tidak ada saran", "belum ada masukan untuk saat ini", "saya tidak ada saran",
    "tidak ada kritik dan saran", "nihil", "no comment", "nothing", "tidak ada apa apa",
])
def test_says_nothing_finds_empty_answers(normalized):
    assert says_nothing(normalized)


@pytest.mark.parametrize("normalized", [
    "tidak ada keluhan",  # "no complaints" is an opinion
    "tidak ada kendala", "cukup", "tidak cukup", "ada", "sudah", "sudah baik", "tidak ada mantap", "tidak ramah",
])
def test_says_nothing_leaves_opinions_to_the_model(normalized):
    assert not says_nothing(normalized)


# ---------------------------------------------------------------- InSet polarity block
def test_load_inset_sums_both_lists_and_skips_phrases_and_negators(tmp_path):
    (tmp_path / "lexicons").mkdir()
    (tmp_path / "lexicons" / "inset_positive.tsv").write_text(
        "word\tweight\nramah\t4\nsigap\t3\nbaik hati\t2\ntidak\t1\n", encoding="utf-8")
    (tmp_path / "lexicons" / "inset_negative.tsv").write_text(
        "word\tweight\nsigap\t-1\njudes\t-4\nnetral\t0\n", encoding="utf-8")
    assert load_inset(tmp_path) == {"ramah": 4.0, "sigap": 2.0, "judes": -4.0}


def test_polarity_block_flips_negated_words():
    block = PolarityLexicon({"ramah": 4.0, "judes": -4.0}, scope=2)
    plain, negated, mixed = block.transform(["petugas ramah", "petugas tidak ramah", "ramah tapi judes"]).toarray()
    assert plain[0] > 0 and plain[1] == 0 and plain[2] > 0  # positive weight, one positive word
    assert negated[0] == 0 and negated[1] > 0 and negated[3] > 0  # "tidak ramah" counts as negative
    assert mixed[0] == mixed[1] > 0
    assert list(block.get_feature_names_out()) == ["positive_weight", "negative_weight", "positive_words",
                                                    "negative_words"]


def test_negation_scope_rejects_an_empty_scope():
    with pytest.raises(ValueError, match="scope"):
        NegationScope(0)


def test_slang_negators_and_emoji_reach_the_features():
    normalizer = TextNormalizer(TextConfig(), slang=load_slang_lexicon(FIXTURES))
    mark = NegationScope(2)
    assert mark(normalizer.normalize("gak jelas")) == "tidak NEG_jelas"
    assert mark(normalizer.normalize("krg ramah")) == "kurang NEG_ramah"
    assert normalizer.normalize("mantul bgt") == "mantap banget"
    assert normalizer.normalize("lama 😡").startswith("lama emoji_")


def test_stopword_removal_keeps_negators_and_intensifiers():
    stopwords = load_stopwords(FIXTURES)  # the fixture list holds "tidak" and "sangat"
    assert not stopwords & NEGATORS and "sangat" not in stopwords
    normalizer = TextNormalizer(TextConfig(remove_stopwords=True), slang=load_slang_lexicon(FIXTURES),
                                stopwords=stopwords)
    assert normalizer.normalize("yang ini tidak sangat bagus") == "tidak sangat bagus"


# ---------------------------------------------------------------- config
def test_valid_sources_and_cross_validation_exclude_each_other():
    bad = TINY_CONFIG.replace("frequent_min = 3", "frequent_min = 3\nsplit = { cv_folds = 3 }")
    with pytest.raises(ConfigError, match="valid_sources"):
        TrainingConfig.from_dict(tomllib.loads(bad))


def test_default_config_trains_sentiment_on_smsa_and_reviews():
    task = TrainingConfig.from_toml(DEFAULT_CONFIG).tasks["sentiment"]
    assert task.features.negation_scope > 0 and task.model.no_opinion_neutral
    # the survey comments are the unseen proxy of training.sentiment_eval: never a training source
    assert not any("school_satisfaction_survey" in s.path for s in task.sources)
    assert [s.path for s in task.valid_sources] == ["sentiment/smsa/valid_preprocess.tsv"]
    stars = [s for s in task.sources if s.label_map]
    assert stars and all(s.label_map["3"] == "neutral" for s in stars)


# ---------------------------------------------------------------- a tiny model from the fixtures
@pytest.fixture(scope="module")
def model_dir(tmp_path_factory):
    config = tmp_path_factory.mktemp("config") / "sentiment.toml"
    config.write_text(TINY_CONFIG, encoding="utf-8")
    out = tmp_path_factory.mktemp("models")
    assert main(["train", "--config", str(config), "--data-dir", str(FIXTURES), "--output", str(out)]) == 0
    [path] = [p.parent for p in out.glob("*/model.json")]
    return path


def test_training_validates_on_the_valid_sources(model_dir):
    meta = json.loads((model_dir / "model.json").read_text())["tasks"]["sentiment"]
    assert meta["labels"] == ["negative", "neutral", "positive"]
    assert meta["metrics"]["split"] == "validation sources: sentiment_valid.tsv"
    # 7 valid rows, one of them equal to a training text: the training copy wins.
    assert meta["metrics"]["n_valid"] == 6


@pytest.mark.parametrize("text, label", [
    ("bagus", "positive"),
    ("tidak bagus", "negative"),
    ("pelayanannya gak jelas", "negative"),
    ("petugasnya krg ramah", "negative"),
    ("mantul bgt", "positive"),
    ("👍", "positive"),
    ("😡", "negative"),
    ("jam buka kantor hari senin", "neutral"),
])
def test_sentiment_of_negation_slang_and_emoji(model_dir, text, label):
    [p] = classifier.load_model(model_dir).sentiment([text])
    assert p.label == label
    assert 1 / 3 < p.confidence <= 1 and p.top[0].label == label


@pytest.mark.parametrize("text", ["-", "Tidak ada.", "gak ada saran", "belum ada masukan", "..."])
def test_comments_that_say_nothing_are_neutral_for_certain(model_dir, text):
    [p] = classifier.load_model(model_dir).sentiment([text])
    assert (p.label, p.confidence) == ("neutral", 1.0)


def test_sentiment_cli_csv_round_trip(model_dir, tmp_path, capsys):
    src = tmp_path / "in.csv"
    pd.DataFrame({"id": [1, 2, 3], "komentar": ["petugasnya ramah sekali", "antrean lama tidak jelas", ""],
                  "unit": ["a", "b", "c"]}).to_csv(src, index=False)
    out = tmp_path / "out.csv"
    assert main(["sentiment", str(src), "-o", str(out), "--model", str(model_dir), "--text-col", "komentar"]) == 0
    frame = pd.read_csv(out, dtype=str, keep_default_na=False)
    assert list(frame.columns) == ["id", "komentar", "unit", "sentiment", "sentiment_confidence", "language"]
    assert frame["sentiment"].tolist() == ["positive", "negative", ""]
    assert 0 < float(frame["sentiment_confidence"][0]) <= 1 and frame["sentiment_confidence"][2] == ""
    assert "1 row(s) with an empty 'komentar'" in capsys.readouterr().err


def test_sentiment_cli_jsonl_to_stdout_and_xlsx(model_dir, tmp_path, capsys):
    src = tmp_path / "in.xlsx"
    pd.DataFrame({"text": ["pelayanan buruk 😡"], "no": [7]}).to_excel(src, index=False)
    assert main(["sentiment", str(src), "--model", str(model_dir)]) == 0
    [row] = [json.loads(line) for line in capsys.readouterr().out.splitlines()]
    assert list(row) == ["text", "no", "sentiment", "sentiment_confidence", "language"]
    assert row["sentiment"] == "negative" and isinstance(row["sentiment_confidence"], float)


def test_sentiment_cli_bad_input_is_one_line(model_dir, tmp_path, capsys):
    src = tmp_path / "in.csv"
    src.write_text("keluhan\nlambat sekali\n")
    assert main(["sentiment", str(src), "--model", str(model_dir)]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "missing column 'text'" in err
    assert main(["sentiment", str(src), "--model", str(model_dir), "--text-col", "keluhan", "-o", "x.txt"]) == 2
    assert "unsupported output type" in capsys.readouterr().err


def test_sentiment_cli_model_without_sentiment(model_dir, tmp_path, capsys):
    bundle = ModelBundle.load(model_dir)
    bundle.tasks, bundle.metadata["tasks"] = {}, {}
    bundle.save(tmp_path / "no_sentiment")
    src = tmp_path / "in.csv"
    src.write_text("text\nbagus\n")
    assert main(["sentiment", str(src), "--model", str(tmp_path / "no_sentiment")]) == 2
    err = capsys.readouterr().err.strip()
    assert len(err.splitlines()) == 1 and "no sentiment model" in err


# ---------------------------------------------------------------- the real data
# Measured 0.859 SmSA-valid macro-F1 with configs/default.toml (python -m training.sentiment_eval);
# the floor leaves room for library-version noise, not for a regression.
SMSA_VALID_FLOOR = 0.83

POS, NEG, NEU = {"positive"}, {"negative"}, {"neutral"}
# Typical SKM (public-service satisfaction survey) comments, written for this test: (comment, sensible
# labels). README, Sentiment, shows the table (pytest -s -k survey_phrasings).
SURVEY_PHRASINGS = {
    "praise": [
        ("pelayanannya sudah baik", POS), ("sudah sangat baik, pertahankan", POS),
        ("petugasnya ramah dan sigap", POS), ("pelayanan cepat dan tidak berbelit-belit", POS),
        ("mantap, prosesnya cepat", POS), ("terima kasih, petugas sangat membantu", POS),
        ("saya puas dengan pelayanannya", POS), ("tempatnya bersih dan nyaman", POS),
        ("informasi yang diberikan petugas jelas", POS), ("sudah bagus", POS),
    ],
    "waiting": [
        ("antri lama", NEG), ("antreannya terlalu lama, harus menunggu berjam-jam", NEG),
        ("nomor antrian cepat habis padahal masih pagi", NEG), ("proses pembuatan ktp lambat sekali", NEG),
        ("menunggu terlalu lama", NEG),
    ],
    "fees": [
        ("pungutan di luar biaya resmi", NEG), ("masih ada pungli", NEG),
        ("biayanya mahal dan tidak jelas rinciannya", NEG), ("diminta uang tambahan oleh oknum petugas", NEG),
    ],
    "rudeness": [
        ("petugas kurang ramah", NEG), ("petugasnya judes", NEG), ("pegawainya tidak sopan", NEG),
        ("petugas cuek dan sibuk main hp", NEG),
    ],
    "facilities and procedure": [
        ("ruang tunggu panas dan sempit", NEG), ("parkirnya sempit", NEG), ("toiletnya kotor", NEG),
        ("kursi di ruang tunggu kurang", NEG), ("ac tidak dingin", NEG),
        ("syarat berkas tidak jelas, bolak-balik terus", NEG), ("website sering error", NEG),
    ],
    "no opinion": [("tidak ada", NEU), ("-", NEU), ("tidak ada saran", NEU), ("belum ada masukan", NEU),
                   ("nihil", NEU)],
    "lukewarm, mixed, suggestion": [
        ("cukup", POS | NEU), ("cukup baik", POS | NEU), ("sudah sesuai prosedur", POS | NEU),
        ("pelayanan sudah bagus tapi antrinya lama", NEG | NEU), ("tingkatkan lagi pelayanannya", POS | NEU),
    ],
}
# How many comments of a group may be off: the vocabulary of fees and rudeness ("pungli", "pungutan",
# "oknum", "judes") is rare or absent in every labeled source (README, Sentiment: known limits).
ALLOWED_MISSES = {"fees": 3, "rudeness": 1, "facilities and procedure": 1, "lukewarm, mixed, suggestion": 2}


@pytest.fixture(scope="module")
def default_sentiment_model(data_dir, tmp_path_factory):
    """configs/default.toml's sentiment task, trained as `aduan train` does (report extras off: faster)."""
    config = TrainingConfig.from_toml(DEFAULT_CONFIG)
    config.tasks = {"sentiment": config.tasks["sentiment"]}
    config.evaluation = replace(config.evaluation, reference=False, ablation=False, unseen=False)
    return train(config, data_dir, tmp_path_factory.mktemp("default_sentiment"), log=lambda m: None)


@pytest.mark.integration
def test_sentiment_on_smsa_valid_from_the_real_data(default_sentiment_model):
    metrics = json.loads((default_sentiment_model / "model.json").read_text())["tasks"]["sentiment"]["metrics"]
    assert metrics["split"] == "validation sources: sentiment/smsa/valid_preprocess.tsv"
    assert metrics["n_valid"] > 1200
    assert metrics["macro_f1"] >= SMSA_VALID_FLOOR
    model = classifier.load_model(default_sentiment_model)
    texts = ["pelayanannya bagus, petugas ramah", "pelayanannya tidak bagus, petugas kurang ramah",
             "antrean sangat lambat dan gak jelas 😡", "mantul bgt, cepat prosesnya 👍"]
    assert [p.label for p in model.sentiment(texts)] == ["positive", "negative", "negative", "positive"]


@pytest.mark.integration
def test_survey_phrasings_are_scored_sensibly(default_sentiment_model):
    model = classifier.load_model(default_sentiment_model)
    print("\n| group | comment | sentiment | confidence | sensible |\n|---|---|---|---|---|")
    misses = {}
    for group, phrasings in SURVEY_PHRASINGS.items():
        predictions = model.sentiment([text for text, _ in phrasings])
        for (text, sensible), p in zip(phrasings, predictions):
            print(f"| {group} | {text} | {p.label} | {p.confidence:.2f} | {'yes' if p.label in sensible else 'NO'} |")
            if p.label not in sensible:
                misses.setdefault(group, []).append(f"{text} → {p.label}")
    over = {g: m for g, m in misses.items() if len(m) > ALLOWED_MISSES.get(g, 0)}
    assert not over, f"more misses than allowed: {over}"
