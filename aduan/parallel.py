"""Spread a stream of batches over worker processes that share the loaded model.

Workers are forked once, after the model is loaded, so they read its arrays copy-on-write instead of
loading or receiving them, and keep their caches (the stemmer's, the emoji names) warm from one batch
to the next; only the complaints and the results cross process boundaries. At most ``window``
batches are in flight, so a file of any size is processed in bounded memory while the parent reads
the next batches and writes the finished ones.
"""
from __future__ import annotations

import collections
import gc
import multiprocessing
import os
from typing import Callable, Iterable, Iterator, TypeVar

T = TypeVar("T")
R = TypeVar("R")

_work: Callable | None = None  # set in the parent just before forking; read by the workers


def _run_batch(batch):
    return _work(batch)


def default_jobs() -> int:
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def map_ordered(work: Callable[..., R], batches: Iterable[T], jobs: int, *, send: Callable[[T], object] | None = None,
                window: int | None = None) -> Iterator[tuple[T, R]]:
    """``(batch, work(send(batch)))`` for each batch, in input order, computed in up to ``jobs`` forked
    processes with at most ``window`` (default ``2 * jobs``) batches in flight; ``send`` picks what
    crosses to the workers (default: the whole batch). A single batch is computed here: starting
    processes would cost more than it saves."""
    global _work
    send = send or (lambda batch: batch)
    batches = iter(batches)
    first = next(batches, None)
    if first is None:
        return
    second = next(batches, None)
    if second is None or jobs < 2 or "fork" not in multiprocessing.get_all_start_methods():
        yield first, work(send(first))
        if second is not None:
            yield second, work(send(second))
            for batch in batches:
                yield batch, work(send(batch))
        return
    window = window or 2 * jobs
    _work = work
    # Objects made so far (the model) leave the collector's reach: a collection in a worker would write
    # to every one of them and copy the pages the workers share copy-on-write.
    gc.freeze()
    try:
        with multiprocessing.get_context("fork").Pool(jobs) as pool:
            pending: collections.deque = collections.deque()
            for batch in _chain(first, second, batches):
                pending.append((batch, pool.apply_async(_run_batch, (send(batch),))))
                if len(pending) >= window:
                    batch, result = pending.popleft()
                    yield batch, result.get()
            while pending:
                batch, result = pending.popleft()
                yield batch, result.get()
    finally:
        _work = None
        gc.unfreeze()


def _chain(first, second, rest):
    yield first
    yield second
    yield from rest
