"""`aduan predict|sentiment INPUT --engine dask [--scheduler tcp://HOST:8786]`: the batch on a Dask cluster.

The client cuts the file into partitions where records end (``classifier.table_partitions``: byte
ranges of a CSV/TSV/JSONL file, row groups of a Parquet file). Each task carries one partition's
address, the job and the model's path: a worker reads its partition from the file itself, predicts
it with the model it loaded once (``worker_model``, a per-process cache keyed by the model's path
and version: the model is never shipped with a task) and returns the output rows. The client writes
them in input order as they arrive, with at most ``WINDOW_PER_WORKER`` partitions per worker in
flight, so its memory holds a few partitions, not the file. Reader, job and writer are those of the
local engine: the output is the local run's, row for row.

Without --scheduler a LocalCluster of --jobs single-threaded worker processes runs on this machine.
With it, the workers must import this package (the same aduan installed) and read INPUT and the
model directory at the same paths (a shared filesystem).
"""
from __future__ import annotations

import collections
import functools
import json
import logging
import warnings
from dataclasses import dataclass
from pathlib import Path
from typing import Callable

import pandas as pd

from aduan.batch import STREAM_LIMITS, BatchInputError, BatchJob, ChunkCounts, RunSummary, no_progress
from classifier.model import METADATA_FILE, ModelNotFound
from classifier.predict import load_model
from classifier.table_output import TableWriter
from classifier.table_partitions import Partition, plan_partitions, read_partition
from classifier.tables import BadRow, TableLimits, skipped_summary

MiB = 1024 * 1024
WINDOW_PER_WORKER = 2
# Partitions: about four per worker, so that a slow one does not hold the others back, between these sizes.
MIN_PARTITION_BYTES = 256 * 1024
MAX_PARTITION_BYTES = 16 * MiB


@functools.lru_cache(maxsize=2)
def worker_model(path: str, stamp: str):
    """The model of ``path``, loaded once per worker process; ``stamp`` (version and model.json's
    time) makes a model retrained in the same directory load again."""
    return load_model(path)


def worker_model_loads() -> int:
    """How many times this process loaded a model (run on each worker with ``client.run``)."""
    return worker_model.cache_info().misses


def model_stamp(path: Path) -> tuple[str, list[str]]:
    """(version and model.json's modification time, task names), read on the client without loading."""
    meta_path = path / METADATA_FILE
    if not meta_path.is_file():
        raise ModelNotFound(f"{path}: not a model directory (no {METADATA_FILE})")
    meta = json.loads(meta_path.read_text(encoding="utf-8"))
    return f"{meta.get('version', 'unknown')}@{meta_path.stat().st_mtime_ns}", list(meta.get("tasks", {}))


def predict_partition(job: BatchJob, model_path: str, stamp: str, partition: Partition, on_bad_lines: str,
                      limits: TableLimits = STREAM_LIMITS) -> tuple[pd.DataFrame, ChunkCounts, list[BadRow]]:
    """Runs on a worker: the partition's output rows, its counts and the rows it skipped."""
    table = read_partition(partition, on_bad_lines, limits)
    payload, counts = job.payload(table.frame)
    rows = job.predict(worker_model(model_path, stamp), payload) if payload else []
    return job.output(table.frame, rows), counts, table.skipped


@dataclass
class _Progress:
    """What the progress bar reads (the interface of classifier.table_stream.TableStream)."""

    source: str
    total: int
    unit: str
    done: int = 0


def partition_bytes(size: int, workers: int) -> int:
    return min(max(size // (4 * max(workers, 1)), MIN_PARTITION_BYTES), MAX_PARTITION_BYTES)


def run_dask(job: BatchJob, input_path: str, output: str | None, model_path: Path, *, scheduler: str | None = None,
             workers: int = 2, on_bad_lines: str = "error", progress: Callable | None = None,
             target_bytes: int | None = None) -> RunSummary:
    """The job on a cluster (``scheduler``) or a LocalCluster of ``workers`` processes; partitions of
    about ``target_bytes`` (default: about four per worker, 256 KiB to 16 MiB)."""
    try:
        from distributed import Client, LocalCluster
    except ImportError:
        raise BatchInputError("--engine dask needs dask and distributed: pip install -e '.[dask]'") from None
    stamp, tasks = model_stamp(Path(model_path))
    size = Path(input_path).stat().st_size if Path(input_path).is_file() else 0
    plan = plan_partitions(input_path, target_bytes or partition_bytes(size, workers), STREAM_LIMITS)
    job.check_columns(plan.columns, input_path)
    if job.command == "sentiment" and "sentiment" not in tasks:
        raise BatchInputError(f"model {stamp.split('@')[0]} has no sentiment model: add [tasks.sentiment] and retrain")
    cluster = None if scheduler else _local_cluster(LocalCluster, workers)
    try:
        with Client(scheduler or cluster) as client:
            summary = _gather(client, job, plan, str(model_path), stamp, on_bad_lines, output, progress)
    finally:
        if cluster is not None:
            cluster.close()
    return summary


def _local_cluster(local_cluster, workers: int):
    """Single-threaded worker processes (prediction holds the GIL), no dashboard, quiet below errors."""
    with warnings.catch_warnings():  # "Port 8787 is already in use": the cluster takes another one
        warnings.filterwarnings("ignore", message="Port .* is already in use")
        return local_cluster(n_workers=workers, threads_per_worker=1, processes=True, dashboard_address=None,
                             silence_logs=logging.ERROR)


def _gather(client, job: BatchJob, plan, model_path: str, stamp: str, on_bad_lines: str, output: str | None,
            progress: Callable | None) -> RunSummary:
    """Submit the partitions, a window at a time, and write their outputs in input order."""
    window = WINDOW_PER_WORKER * max(len(client.scheduler_info().get("workers", {})), 1)
    summary = RunSummary(columns=plan.columns)
    skipped: list[BadRow] = []
    meter = _Progress(plan.partitions[0].path if plan.partitions else "", plan.total, plan.unit)
    pending: collections.deque = collections.deque()
    submitted = iter(zip(plan.partitions, plan.progress_ends))
    with TableWriter(output) as writer, (progress or no_progress)(meter) as advance:
        while True:
            while len(pending) < window and (item := next(submitted, None)) is not None:
                partition, end = item
                pending.append((end, client.submit(predict_partition, job, model_path, stamp, partition,
                                                   on_bad_lines, pure=False)))
            if not pending:
                break
            end, future = pending.popleft()
            frame, counts, bad = future.result()
            del future  # the cluster forgets the partition's rows
            writer.write(frame)
            summary.counts.add(counts)
            skipped.extend(bad)
            meter.done = end
            advance()
        if summary.counts.rows == 0:  # raised inside: the writer drops its partial file
            raise BatchInputError(f"{meter.source}: no rows")
    summary.skipped = skipped_summary(skipped)
    return summary
