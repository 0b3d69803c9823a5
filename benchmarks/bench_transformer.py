"""CPU latency per complaint of the transformer backend, at batch size 1 and 32.

    python -m benchmarks.bench_transformer [--checkpoint DIR] [--data-dir DIR] [--texts 128] [--threads N] [--no-base]

Models: a tiny BERT (hidden 32, 2 layers), a BERT with the shape of IndoBERT-base (hidden 768,
12 layers, 50k vocabulary) but random weights — latency depends on the shape, not on the weights —
and, with --checkpoint DIR or $ADUAN_BENCH_CHECKPOINT, a real local checkpoint. Each gets a fresh
classification head of as many labels as the topic model has. Texts are complaints of the 2022 data
when the data directory is found, else the fixtures, normalized as training does (no lexicons);
truncation at 128 tokens. Also printed: the size of the `<task>.joblib` artifact and its save and
load seconds. Requires the [transformers] extra.
"""
from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

import joblib
import numpy as np

from classifier.text import TextConfig, TextNormalizer
from classifier.transformer_model import (TransformerTextClassifier, load_checkpoint, quiet_transformers,
                                          require_torch)
from training.data_dir import DataDirNotFound, resolve_data_dir
from training.readers import read_table

COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"
FIXTURE = Path(__file__).resolve().parent.parent / "datasets" / "fixtures" / "transformer_topics.csv"
N_LABELS = 40
MAX_LENGTH = 128
SPECIAL_TOKENS = ["[PAD]", "[UNK]", "[CLS]", "[SEP]", "[MASK]"]


def sample_texts(data_dir: str | None, n: int) -> tuple[list[str], str]:
    try:
        frame, source = read_table(resolve_data_dir(data_dir) / COMPLAINTS), "2022 complaints"
        texts = frame["keluhan"]
    except DataDirNotFound:
        frame, source = read_table(FIXTURE), "fixture complaints (no data directory)"
        texts = frame["text"]
    texts = texts.sample(n=n, replace=len(texts) < n, random_state=0).tolist()
    return TextNormalizer(TextConfig(normalize_slang=False)).transform(texts), source


def random_bert(directory: Path, texts: list[str], **shape) -> Path:
    """A randomly initialised BERT whose vocabulary is the words of ``texts``."""
    _, transformers = require_torch()
    words = sorted({w for t in texts for w in t.split()} - set(SPECIAL_TOKENS))
    vocab = directory / "vocab.txt"
    vocab.write_text("\n".join(SPECIAL_TOKENS + words) + "\n", encoding="utf-8")
    tokenizer = transformers.BertTokenizer(str(vocab))
    config = transformers.BertConfig(**{"vocab_size": tokenizer.vocab_size, **shape})
    with quiet_transformers():
        transformers.BertModel(config).save_pretrained(directory)
        tokenizer.save_pretrained(directory)
    return directory


def classifier_from(path: Path) -> TransformerTextClassifier:
    model, tokenizer = load_checkpoint(path, num_labels=N_LABELS)
    return TransformerTextClassifier(model, tokenizer, max_length=MAX_LENGTH, batch_size=32, device="cpu")


def measure(name: str, estimator: TransformerTextClassifier, texts: list[str], tmp: Path) -> list[str]:
    estimator.predict_proba(texts[:4])  # warm-up: first-call allocations
    estimator.batch_size = 1
    per_text = []
    for text in texts:
        start = time.perf_counter()
        estimator.predict_proba([text])
        per_text.append(time.perf_counter() - start)
    estimator.batch_size = 32
    start = time.perf_counter()
    estimator.predict_proba(texts)
    batched = (time.perf_counter() - start) / len(texts)

    artifact = tmp / f"{name.split()[0]}.joblib"
    start = time.perf_counter()
    joblib.dump(estimator, artifact, compress=3)  # as ModelBundle.save does
    saved = time.perf_counter() - start
    start = time.perf_counter()
    joblib.load(artifact)
    loaded = time.perf_counter() - start
    return [name, f"{1000 * np.mean(per_text):.1f}", f"{1000 * np.percentile(per_text, 95):.1f}",
            f"{1000 * batched:.1f}", f"{artifact.stat().st_size / 2**20:.1f}", f"{saved:.1f}", f"{loaded:.1f}"]


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--checkpoint", default=os.environ.get("ADUAN_BENCH_CHECKPOINT"),
                        help="local Hugging Face checkpoint directory (default: $ADUAN_BENCH_CHECKPOINT)")
    parser.add_argument("--data-dir")
    parser.add_argument("--texts", type=int, default=128, help="complaints per measurement")
    parser.add_argument("--no-base", action="store_true", help="skip the BERT-base-shaped model")
    parser.add_argument("--threads", type=int, help="torch CPU threads (default: torch's choice)")
    args = parser.parse_args(argv)
    torch, transformers = require_torch()
    if args.threads:
        torch.set_num_threads(args.threads)
    transformers.set_seed(0)
    texts, source = sample_texts(args.data_dir, args.texts)
    tokens = [len(t.split()) for t in texts]

    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        models = [("tiny (h32, 2 layers)", dict(hidden_size=32, num_hidden_layers=2, num_attention_heads=2,
                                                  intermediate_size=64))]
        if not args.no_base:
            models.append(("base-shape (h768, 12 layers, random)", dict(vocab_size=50_000)))
        for name, shape in models:
            directory = tmp / name.split()[0]
            directory.mkdir()
            rows.append(measure(name, classifier_from(random_bert(directory, texts, **shape)), texts, tmp))
        if args.checkpoint:
            rows.append(measure(f"{Path(args.checkpoint).name} (checkpoint)",
                                classifier_from(Path(args.checkpoint)), texts, tmp))

    print(f"{len(texts)} {source}, {np.mean(tokens):.0f} words on average (max {max(tokens)}), "
          f"truncated at {MAX_LENGTH} tokens; torch {torch.__version__}, {torch.get_num_threads()} CPU thread(s)")
    header = ["model", "batch 1 ms/complaint", "batch 1 p95 ms", "batch 32 ms/complaint", "artifact MB",
              "save s", "load s"]
    widths = [max(len(h), *(len(r[i]) for r in rows)) for i, h in enumerate(header)]
    for row in (header, *rows):
        print("  ".join(cell.ljust(w) if i == 0 else cell.rjust(w) for i, (cell, w) in enumerate(zip(row, widths))))
    return 0


if __name__ == "__main__":
    sys.exit(main())
