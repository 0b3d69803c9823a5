"""Spread a large batch over worker processes that share the loaded model.

Workers are forked after the model is loaded, so they read its arrays copy-on-write instead of
loading or receiving them; only the complaints and the results cross process boundaries.
"""
from __future__ import annotations

import multiprocessing
import os
from typing import Callable, Sequence, TypeVar

T = TypeVar("T")
R = TypeVar("R")

# Below this many items per worker, starting processes costs more than it saves.
MIN_ITEMS_PER_WORKER = 1000

_work: Callable | None = None  # set in the parent just before forking; read by the workers


def _run_chunk(chunk):
    return _work(chunk)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def map_in_chunks(work: Callable[[Sequence[T]], list[R]], items: Sequence[T], jobs: int) -> list[R]:
    """``work(items)`` computed in up to ``jobs`` forked processes, results in input order."""
    global _work
    jobs = min(jobs, len(items) // MIN_ITEMS_PER_WORKER)
    if jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        return work(items)
    size = -(-len(items) // jobs)
    chunks = [items[i:i + size] for i in range(0, len(items), size)]
    _work = work
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            parts = pool.map(_run_chunk, chunks)
    finally:
        _work = None
    return [result for part in parts for result in part]
