"""Memory and speed of `aduan predict` on a file far larger than memory needs: a CSV of --rows
complaints (the 2022 file repeated), triaged by the command as a user runs it.

    python -m benchmarks.bench_stream [--data-dir DIR] [--model DIR] [--rows 1000000] [--jobs 2]
                                      [--command predict|sentiment] [--keep DIR]

The command runs in a subprocess; its memory is sampled every 0.5 s over the process and its forked
workers: peak RSS of the main process, and peak PSS of all of them together (shared pages counted
once; RSS summed would count the model the workers share copy-on-write several times). Target:
a 1,000,000-row file under 1.5 GB. The rate includes start-up and model loading; it is printed with
its ratio to the plain reference model predicting in memory on 10,000 rows in this run.
"""
from __future__ import annotations

import argparse
import csv
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import psutil

from benchmarks.reference import complaints, measure_reference, print_figures
from classifier.model import find_latest_model
from training.data_dir import resolve_data_dir

MB = 1024 * 1024


def build_input(data_dir: Path, rows: int, path: Path) -> int:
    """The 2022 complaints repeated up to ``rows`` rows (ids made unique); returns the bytes written."""
    frame = complaints(data_dir).drop(columns="topik")
    records = frame.to_numpy().tolist()
    with open(path, "w", encoding="utf-8", newline="") as out:
        writer = csv.writer(out)
        writer.writerow(frame.columns)
        for i in range(rows):
            record = records[i % len(records)]
            writer.writerow([f"{record[0]}-{i // len(records)}", *record[1:]])
    return path.stat().st_size


def tree_memory(process: psutil.Process) -> tuple[int, int]:
    """(RSS of ``process``, PSS of it and its children), in bytes; 0 for what has already exited."""
    try:
        main_rss = process.memory_info().rss
    except psutil.Error:
        return 0, 0
    pss = 0
    for proc in [process, *process.children(recursive=True)]:
        try:
            pss += proc.memory_full_info().pss
        except psutil.Error:
            pass
    return main_rss, pss


def run_measured(command: list[str]) -> tuple[float, int, int]:
    """Seconds, peak main RSS and peak tree PSS of ``command``; fails when it fails."""
    start = time.perf_counter()
    child = subprocess.Popen(command, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, text=True)
    process = psutil.Process(child.pid)
    peak_rss = peak_pss = 0
    while child.poll() is None:
        rss, pss = tree_memory(process)
        peak_rss, peak_pss = max(peak_rss, rss), max(peak_pss, pss)
        time.sleep(0.5)
    seconds = time.perf_counter() - start
    if child.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed: {child.stderr.read()[-2000:]}")
    return seconds, peak_rss, peak_pss


def count_rows(path: Path) -> int:
    with open(path, encoding="utf-8", newline="") as handle:
        return sum(1 for _ in csv.reader(handle)) - 1


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--model", help="model directory (default: the latest under $ADUAN_MODELS_DIR or models/)")
    parser.add_argument("--rows", type=int, default=1_000_000)
    parser.add_argument("--jobs", type=int, default=2)
    parser.add_argument("--command", choices=("predict", "sentiment"), default="predict")
    parser.add_argument("--keep", help="build the input (and write the output) here instead of a temporary dir")
    args = parser.parse_args(argv)
    data_dir = resolve_data_dir(args.data_dir)
    model = Path(args.model) if args.model else find_latest_model(os.environ.get("ADUAN_MODELS_DIR", "models"))
    reference = measure_reference(data_dir).rate
    with tempfile.TemporaryDirectory() as tmp:
        folder = Path(args.keep or tmp)
        folder.mkdir(parents=True, exist_ok=True)
        src, out = folder / f"complaints_{args.rows}.csv", folder / f"{args.command}_{args.rows}.csv"
        size = src.stat().st_size if src.exists() else build_input(data_dir, args.rows, src)
        command = [sys.executable, "-m", "aduan.cli", args.command, str(src), "-o", str(out), "--model", str(model),
                   "--jobs", str(args.jobs)]
        seconds, peak_rss, peak_pss = run_measured(command)
        written = count_rows(out)
        if written != args.rows:
            raise SystemExit(f"{out}: {written} rows written for {args.rows} read")
    rate = args.rows / seconds
    print(f"{args.rows:,}-row CSV ({size / MB:,.0f} MB) through `aduan {args.command} --jobs {args.jobs}`; "
          f"model {model.name}; CPUs: {os.cpu_count()}")
    print_figures([
        ("reference predict", f"{reference:,.0f} complaints/s", "1.00",
         "plain TF-IDF + LinearSVC, 10,000 rows in memory"),
        (f"{args.command} end to end", f"{rate:,.0f} complaints/s", f"{rate / reference:.2f}",
         f"{seconds:,.0f} s: start-up, model load, read, predict, write"),
        ("peak PSS, all processes", f"{peak_pss / MB:,.0f} MB", "", "target < 1,500 MB"),
        ("peak RSS, main process", f"{peak_rss / MB:,.0f} MB", "", ""),
    ])
    return 0 if peak_pss < 1500 * MB else 1


if __name__ == "__main__":
    sys.exit(main())
