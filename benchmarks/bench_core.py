"""Core figures on the real data, each beside the plain reference measured in the same run.

    python -m benchmarks.bench_core [--data-dir DIR] [--rows 10000] [--jobs 2] [--model DIR] [--models-dir DIR]

The reference (benchmarks/reference.py) is word TF-IDF + LinearSVC on lower-cased text: its predict
rate on the same --rows complaints, its fit time and its size. Predict and sentiment rates are
measured as a user runs `aduan predict|sentiment --jobs N` (read the file, predict, write), in this
process, with the model's load timed apart and subtracted. --model skips training (and its figures).
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
from benchmarks.reference import complaints, measure_reference, print_figures
from classifier.lexicons import load_slang_lexicon, load_stopwords
from classifier.predict import load_model
from classifier.text import TextNormalizer
from training.config import TrainingConfig
from training.data_dir import resolve_data_dir


def peak_memory_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def directory_mb(path: Path) -> float:
    return sum(f.stat().st_size for f in path.rglob("*") if f.is_file()) / 2**20


def command_rate(command: str, model_dir: Path, src: Path, out: Path, rows: int, jobs: int) -> tuple[float, float]:
    """(complaints/s of `aduan COMMAND` on ``src``, model load seconds): a warm-up run, then a timed
    one with the model's load, timed apart, subtracted."""
    args = [command, "--model", str(model_dir), str(src), "--jobs", str(jobs)]
    aduan_main(args + ["-o", str(out.with_name("warmup.csv"))])
    start = time.perf_counter()
    load_model(model_dir)
    load_seconds = time.perf_counter() - start
    start = time.perf_counter()
    aduan_main(args + ["-o", str(out)])
    seconds = time.perf_counter() - start - load_seconds
    assert len(pd.read_csv(out)) == rows
    return rows / seconds, load_seconds


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--rows", type=int, default=10_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--config", default="configs/default.toml")
    parser.add_argument("--model", help="an existing model: no training (nor its figures)")
    parser.add_argument("--models-dir", help="keep the trained model here (default: a temporary directory)")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    frame = complaints(data_dir)
    texts = frame["text"].tolist()
    measured = measure_reference(data_dir, args.rows)
    reference = measured.rate
    figures = [("reference predict", f"{reference:,.0f} complaints/s", "1.00",
                f"plain TF-IDF + LinearSVC, {args.rows} rows in memory, one process")]

    normalizer = TextNormalizer(slang=load_slang_lexicon(data_dir), stopwords=load_stopwords(data_dir))
    start = time.perf_counter()
    normalizer.transform(texts)
    rate = len(texts) / (time.perf_counter() - start)
    figures.append(("normalize", f"{rate:,.0f} complaints/s", f"{rate / reference:.2f}",
                    f"{len(texts)} complaints, default steps"))

    with tempfile.TemporaryDirectory() as tmp:
        tmp = Path(tmp)
        if args.model:
            model_dir = Path(args.model)
        else:
            from training.train import train

            config = TrainingConfig.from_toml(args.config)
            config.evaluation.ablation = False  # the ablation table is evaluation, not training: timed apart
            model_dir = train(config, data_dir, Path(args.models_dir or tmp / "models"), log=lambda m: None)
            meta = load_model(model_dir).bundle.metadata
            per_task = ", ".join(f"{name} {t['seconds']} s" for name, t in meta["tasks"].items())
            figures.append(("training", f"{meta['training_seconds']} s",
                            f"{meta['training_seconds'] / measured.fit_seconds:.0f}",
                            f"{per_task}; reference fit {measured.fit_seconds:.1f} s"))
            size = directory_mb(model_dir)
            figures.append(("model size", f"{size:.1f} MB", f"{size / measured.size_mb:.0f}",
                            f"{model_dir.name}; reference {measured.size_mb:.1f} MB pickled"))

        sample = frame.sample(n=args.rows, replace=True, random_state=0).drop(columns="topik")
        src = tmp / "input.csv"
        sample.to_csv(src, index=False)
        for command, jobs in (("predict", args.jobs), ("predict", 1), ("sentiment", args.jobs)):
            rate, load_seconds = command_rate(command, model_dir, src, tmp / f"{command}.csv", args.rows, jobs)
            figures.append((f"{command} --jobs {jobs}", f"{rate:,.0f} complaints/s", f"{rate / reference:.2f}",
                            f"{args.rows}-row CSV, read + predict + write, model load ({load_seconds:.2f} s) "
                            "excluded"))
    figures.append(("peak memory", f"{peak_memory_mb():,.0f} MB", "", "max RSS of this process"))
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
