"""`--engine dask` with one and with two workers on the same file: the scaling of the cluster path.

    python -m benchmarks.bench_dask [--data-dir DIR] [--model DIR] [--rows 20000] [--workers 1,2]

For each worker count a LocalCluster of single-threaded processes is started (not timed) and the file
is triaged twice through ``aduan.dask_engine.run_dask``: a warm-up run (every worker loads the model
once), then the timed run. Each rate is printed beside the plain reference measured in this run and
as a ratio to the one-worker rate. Target on 2 cores: two workers at 1.7 times one worker or more.
"""
from __future__ import annotations

import argparse
import logging
import os
import sys
import tempfile
import time
from pathlib import Path

from aduan.batch import BatchJob
from aduan.dask_engine import partition_bytes, run_dask
from benchmarks.reference import complaints, measure_reference, print_figures
from classifier.model import find_latest_model
from training.data_dir import resolve_data_dir


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--data-dir")
    parser.add_argument("--model", help="model directory (default: the latest under $ADUAN_MODELS_DIR or models/)")
    parser.add_argument("--rows", type=int, default=20_000)
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts; the first is the base")
    args = parser.parse_args(argv)
    from distributed import Client, LocalCluster

    data_dir = resolve_data_dir(args.data_dir)
    model = Path(args.model) if args.model else find_latest_model(os.environ.get("ADUAN_MODELS_DIR", "models"))
    reference = measure_reference(data_dir).rate
    counts = [int(w) for w in args.workers.split(",")]
    figures = [("reference predict", f"{reference:,.0f} complaints/s", "1.00", "plain TF-IDF + LinearSVC in memory")]
    base = None
    with tempfile.TemporaryDirectory() as tmp:
        src = Path(tmp) / "input.csv"
        frame = complaints(data_dir).drop(columns="topik")
        frame.sample(n=args.rows, replace=True, random_state=0).to_csv(src, index=False)
        # the same partitions for every worker count: only the workers change
        target = partition_bytes(src.stat().st_size, max(counts))
        for workers in counts:
            with LocalCluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                              silence_logs=logging.ERROR) as cluster, Client(cluster) as client:
                address = client.scheduler.address
                run_dask(BatchJob("predict"), str(src), str(Path(tmp) / "warmup.csv"), model, scheduler=address,
                         target_bytes=target)
                start = time.perf_counter()
                run_dask(BatchJob("predict"), str(src), str(Path(tmp) / "out.csv"), model, scheduler=address,
                         target_bytes=target)
                rate = args.rows / (time.perf_counter() - start)
            base = base or rate
            figures.append((f"dask, {workers} worker(s)", f"{rate:,.0f} complaints/s", f"{rate / reference:.2f}",
                            f"{rate / base:.2f} × {counts[0]} worker(s); {args.rows}-row CSV, model loaded before"))
    print(f"model {model.name}; CPUs: {os.cpu_count()}")
    print_figures(figures)
    return 0


if __name__ == "__main__":
    sys.exit(main())
