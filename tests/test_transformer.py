"""Transformer backend end to end, with no download.

A tiny BERT (hidden 32, 2 layers, 2 heads) and a WordPiece vocabulary written here play the part of
a local checkpoint such as IndoBERT. It is fine-tuned for topic and sentiment on the hand-written
fixtures through `aduan train`, then predicts through `aduan predict` and the Python API.
"""
from __future__ import annotations

import os
import pickle
import subprocess
import sys
from pathlib import Path

import pandas as pd
import pytest

try:
    import torch
    import transformers
except ImportError:
    if os.environ.get("CI"):  # CI installs the extra: a missing torch there is a failure
        raise
    pytest.skip("the [transformers] extra is not installed", allow_module_level=True)

from aduan.cli import main
from classifier.model import ModelBundle
from classifier.predict import PREDICTION_COLUMNS, load_model
from classifier.transformer_model import TransformerTextClassifier
from training.config import ConfigError, ModelConfig, TrainingConfig
from training.transformer_train import fine_tune

SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]
# Most words of the fixtures, some left out on purpose: they become [UNK] or word pieces.
WORDS = """
jalan rusak berlubang aspal retak saluran got tersumbat banjir genangan air
sampah menumpuk bau busuk tps truk lalat kotor tempat angkut bersih
lampu pju mati padam gelap tiang kabel putus nyala penerangan malam
pelayanan petugas ramah cepat lambat kasar puas kecewa baik buruk bagus sopan mudah sulit lama
antrean ruang tunggu nyaman panas membantu terima kasih
surat kantor kelurahan kecamatan kartu keluarga mengurus daftar bertanya syarat jam buka pagi senin
di depan dekat rumah kami saya warga gang rt kampung pasar sekolah dan tidak sangat sekali sudah belum
mohon tolong segera sejak hari minggu datang ke untuk
""".split()
WORD_PIECES = ["##an", "##kan", "##i", "##nya", "##di", "##per", "##baik"]

TOPIC_LABELS = {"Jalan dan Saluran", "Kebersihan", "Penerangan Jalan"}


def write_tiny_checkpoint(directory: Path) -> Path:
    """A randomly initialised BERT encoder plus its tokenizer, saved like a downloaded checkpoint."""
    directory.mkdir(parents=True, exist_ok=True)
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL_TOKENS + WORDS + WORD_PIECES) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(vocab))
    # No dropout and a wider initialisation: a model this small then learns the fixtures in a few steps.
    config = transformers.BertConfig(vocab_size=tokenizer.vocab_size, hidden_size=32, num_hidden_layers=2,
                                     num_attention_heads=2, intermediate_size=64, max_position_embeddings=64,
                                     hidden_dropout_prob=0.0, attention_probs_dropout_prob=0.0, initializer_range=0.1)
    transformers.set_seed(0)
    transformers.BertForMaskedLM(config).save_pretrained(directory)
    tokenizer.save_pretrained(directory)
    return directory


def write_config(path: Path, checkpoint: Path) -> Path:
    model = (f'{{ kind = "transformer", path = "{checkpoint.as_posix()}", epochs = 12, batch_size = 8, '
             f'learning_rate = 1e-2, max_length = 32 }}')
    path.write_text(f"""
seed = 7
[text]
normalize_slang = false
emoji_to_text = false

[tasks.topic]
min_examples = 2
split = {{ valid_fraction = 0.25, by_time = false }}
model = {model}
[[tasks.topic.sources]]
path = "transformer_topics.csv"
label = "topik"

[tasks.sentiment]
min_examples = 2
split = {{ valid_fraction = 0.25, by_time = false }}
model = {model}
[[tasks.sentiment.sources]]
path = "transformer_sentiment.csv"
label = "sentimen"
""", encoding="utf-8")
    return path


@pytest.fixture(scope="module", autouse=True)
def one_torch_thread():
    """A model this small gains nothing from threads, and on a busy 2-core machine their spin-waits cost 10x."""
    threads = torch.get_num_threads()
    torch.set_num_threads(1)
    yield
    torch.set_num_threads(threads)


@pytest.fixture(scope="module")
def checkpoint(tmp_path_factory) -> Path:
    return write_tiny_checkpoint(tmp_path_factory.mktemp("checkpoint"))


@pytest.fixture(scope="module")
def model_dir(tmp_path_factory, checkpoint, fixtures_dir) -> Path:
    work = tmp_path_factory.mktemp("train")
    config = write_config(work / "transformer.toml", checkpoint)
    assert main(["train", "--config", str(config), "--data-dir", str(fixtures_dir),
                 "--output", str(work / "models")]) == 0
    [meta] = (work / "models").glob("*/model.json")
    return meta.parent


def test_fine_tuning_reduces_the_loss(model_dir):
    bundle = ModelBundle.load(model_dir)
    for task in ("topic", "sentiment"):
        estimator = bundle.tasks[task]
        assert isinstance(estimator, TransformerTextClassifier)
        assert len(estimator.train_loss_) == 12
        assert estimator.train_loss_[-1] < 0.5 * estimator.train_loss_[0]
    assert set(bundle.tasks["topic"].classes_) == TOPIC_LABELS
    assert bundle.metadata["tasks"]["topic"]["labels"] == sorted(TOPIC_LABELS)


def test_predict_cli_writes_the_contract(model_dir, fixtures_dir, tmp_path):
    train = pd.read_csv(fixtures_dir / "transformer_topics.csv", dtype=str)
    long_text = "lampu pju di gang kami mati dan gelap " * 300  # far beyond max_length tokens
    frame = pd.DataFrame({"id": [str(i) for i in range(len(train) + 1)], "text": [*train["text"], long_text]})
    frame.to_csv(tmp_path / "in.csv", index=False)

    assert main(["predict", str(tmp_path / "in.csv"), "-o", str(tmp_path / "out.csv"), "--model", str(model_dir)]) == 0

    out = pd.read_csv(tmp_path / "out.csv", dtype=str, keep_default_na=False)
    assert list(out.columns) == ["id", "text", *PREDICTION_COLUMNS]
    assert list(out["id"]) == list(frame["id"])
    assert set(out["topic"]) <= TOPIC_LABELS
    assert out["topic_confidence"].astype(float).between(0, 1).all()
    assert set(out["needs_review"]) <= {"true", "false"}
    # Chance is 1/3 on three balanced labels.
    assert (out["topic"][:-1] == train["topik"]).mean() >= 0.8
    assert out["topic"].iloc[-1] == "Penerangan Jalan"


def test_sentiment_through_the_python_api(model_dir, fixtures_dir):
    data = pd.read_csv(fixtures_dir / "transformer_sentiment.csv", dtype=str)
    predictions = load_model(model_dir).sentiment(list(data["text"]))
    assert sum(p.label == y for p, y in zip(predictions, data["sentimen"])) / len(data) >= 0.8
    assert all(0.0 <= p.confidence <= 1.0 for p in predictions)


def test_pickle_round_trip_and_batching_give_the_same_probabilities(model_dir):
    estimator = ModelBundle.load(model_dir).tasks["topic"]
    texts = ["jalan rusak berlubang", "sampah menumpuk dan bau", "lampu mati " * 200, "", "kata asing semua"]
    proba = estimator.predict_proba(texts)
    assert proba.shape == (len(texts), 3)
    assert abs(proba.sum(axis=1) - 1).max() < 1e-5

    copy = pickle.loads(pickle.dumps(estimator))
    copy.batch_size = 1
    assert abs(copy.predict_proba(texts) - proba).max() < 1e-5
    assert list(copy.classes_) == list(estimator.classes_)
    assert estimator.predict_proba([]).shape == (0, 3)


def test_fine_tuning_is_reproducible_with_the_seed(checkpoint, fixtures_dir):
    data = pd.read_csv(fixtures_dir / "transformer_topics.csv", dtype=str)
    texts, labels = [t.lower() for t in data["text"]], list(data["topik"])
    cfg = ModelConfig(kind="transformer", path=str(checkpoint), epochs=2, batch_size=8, learning_rate=1e-2,
                      max_length=32)
    first, second = fine_tune(texts, labels, cfg, seed=3), fine_tune(texts, labels, cfg, seed=3)
    assert first.train_loss_ == second.train_loss_
    assert abs(first.predict_proba(texts) - second.predict_proba(texts)).max() < 1e-6


def test_max_length_beyond_the_checkpoint_positions_is_a_config_error(checkpoint):
    cfg = ModelConfig(kind="transformer", path=str(checkpoint), max_length=65)  # the tiny BERT has 64
    with pytest.raises(ConfigError, match="model.max_length: 65 exceeds the 64 positions"):
        fine_tune(["jalan rusak", "lampu mati"], ["a", "b"], cfg, seed=0)


@pytest.mark.parametrize("model, message", [
    ({"kind": "transformer"}, "model.path"),
    ({"kind": "transformer", "path": "no/such/checkpoint"}, "'no/such/checkpoint' not found"),
    ({"kind": "transformer", "path": "."}, "no config.json"),
    ({"kind": "transformer", "path": "CHECKPOINT", "device": "gpu"}, "device"),
    ({"kind": "transformer", "path": "CHECKPOINT", "epochs": 0}, "epochs"),
    ({"kind": "transformer", "path": "CHECKPOINT", "batch_size": 8.5}, "batch_size"),
])
def test_bad_transformer_config_names_the_field(model, message, checkpoint):
    model = {k: str(checkpoint) if v == "CHECKPOINT" else v for k, v in model.items()}
    with pytest.raises(ConfigError, match="tasks.topic.model") as error:
        TrainingConfig.from_dict({"tasks": {"topic": {"sources": [{"path": "x.csv"}], "model": model}}})
    assert message in str(error.value)


def test_cli_train_without_checkpoint_is_one_line(tmp_path, fixtures_dir, capsys):
    config = tmp_path / "bad.toml"
    config.write_text('[tasks.topic]\nmodel = { kind = "transformer" }\n'
                      '[[tasks.topic.sources]]\npath = "transformer_topics.csv"\nlabel = "topik"\n', encoding="utf-8")
    assert main(["train", "--config", str(config), "--data-dir", str(fixtures_dir)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith("aduan: error:") and "model.path" in err[0]


def test_base_modules_do_not_import_torch():
    code = ("import sys, aduan.cli, classifier, classifier.predict, training.train; "
            "assert 'torch' not in sys.modules and 'transformers' not in sys.modules")
    subprocess.run([sys.executable, "-c", code], check=True, cwd=Path(__file__).resolve().parent.parent)
