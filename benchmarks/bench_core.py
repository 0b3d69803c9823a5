"""Core figures on the real data: normalize rate, training seconds, model size, predict rate, memory.

    python -m benchmarks.bench_core [--data-dir DIR] [--rows 10000]

Predict rate is measured as `aduan predict` does it (read the file, predict, write the output) on a
file of --rows complaints sampled from the 2022 data, with model loading excluded.
"""
from __future__ import annotations

import argparse
import resource
import sys
import tempfile
import time
from pathlib import Path

import pandas as pd

from aduan.cli import main as aduan_main
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.predict import load_model
from classifier.text import TextNormalizer
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir
from training.readers import read_table
from training.train import train

COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--models-dir", help="keep the trained model here (default: a temporary directory)")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    complaints = read_table(data_dir / COMPLAINTS)
    texts = complaints["keluhan"].tolist()
    figures = []

    normalizer = TextNormalizer(slang=load_slang_lexicon(data_dir), stopwords=load_stopwords(data_dir))
    start = time.perf_counter()
    normalizer.transform(texts)
    figures.append(("normalize", f"{len(texts) / (time.perf_counter() - start):,.0f} complaints/s",
                    f"{len(texts)} complaints, default steps"))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        config = TrainingConfig.from_toml(args.config)
        config.evaluation.ablation = False  # the ablation table is evaluation, not training: timed apart
        model_dir = train(config, data_dir, Path(args.models_dir or tmp / "models"), log=lambda m: None)
        meta = load_model(model_dir).bundle.metadata
        per_task = ", ".join(f"{name} {t['seconds']} s" for name, t in meta["tasks"].items())
        figures.append(("training", f"{meta['training_seconds']} s", per_task))
        figures.append(("model size", f"{directory_mb(model_dir):.1f} MB", str(model_dir.name)))

        sample = complaints.sample(n=args.rows, replace=True, random_state=0).rename(columns={"keluhan": "text"})
        src, out = tmp / "input.csv", tmp / "output.csv"
        sample[["id", "text", "alamat", "kecamatan", "kelurahan"]].to_csv(src, index=False)
        aduan_main(["predict", "--model", str(model_dir), str(src), "-o", str(tmp / "warmup.csv")])
        start = time.perf_counter()  # the model is loaded again inside: time it apart and subtract
        load_model(model_dir)
        load_seconds = time.perf_counter() - start
        start = time.perf_counter()
        aduan_main(["predict", "--model", str(model_dir), str(src), "-o", str(out)])
        seconds = time.perf_counter() - start - load_seconds
        figures.append(("predict", f"{args.rows / seconds:,.0f} complaints/s",
                        f"{args.rows}-row CSV, read + predict + write, model load ({load_seconds:.2f} s) excluded"))
        assert len(pd.read_csv(out)) == args.rows
    figures.append(("peak memory", f"{peak_memory_mb():,.0f} MB", "max RSS of this process"))

    width = max(len(name) for name, _, _ in figures)
    print(f"{'measure':<{width}}  {'value':>22}  notes")
    for name, value, note in figures:
        print(f"{name:<{width}}  {value:>22}  {note}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
