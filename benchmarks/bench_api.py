"""HTTP API latency and throughput: single classify at fixed request rates, and batches of 100.

    python -m benchmarks.bench_api [--model DIR] [--workers 1,2] [--rate 100,300] [--seconds 10] [--batches 30]

For each worker count, `aduan serve` is started on a free port of 127.0.0.1 (a temporary SQLite
database, a fresh API key) and loaded from this process; nothing else is contacted. Single
requests are sent open-loop at --rate per second for --seconds (latency counted from the planned
send time, so a slow server cannot hide its queue); batches are sent closed-loop, one in flight per
worker. Every phase is bounded in count and time. Texts are real complaints from the data dir when
it exists, else the test fixtures. Requests shed by the server (503 + Retry-After, past
ADUAN_MAX_IN_FLIGHT) are counted apart; latency percentiles are those of the answered ones. Each
throughput is also given as a ratio to the reference measured in this run: the plain TF-IDF +
LinearSVC model (benchmarks/reference.py) predicting one complaint per call in this process; the served
model's own in-process rate is printed beside it (what HTTP, JSON, the key check and the database
add is the gap to the API's rate). Targets on 2 cores:
single p99 <= 25 ms at 300 requests/s with one worker, batch of 100 >= 5,000 complaints/s.
"""
from __future__ import annotations

import argparse
import asyncio
import collections
import os
import random
import signal
import socket
import statistics
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx
import pandas as pd

from benchmarks.reference import complaints
from classifier.model import find_latest_model
from training.data_dir import DataDirNotFound, resolve_data_dir
from training.readers import read_table
from training.reference import plain_reference

FIXTURE = Path(__file__).resolve().parent.parent / "datasets" / "fixtures" / "api_complaints.csv"
COMPLAINTS = "complaints/surabaya/keluhan_2022.csv"
BATCH = 100
STARTUP_SECONDS = 180
REQUEST_TIMEOUT = 30.0
FAILURES: collections.Counter = collections.Counter()  # "phase: status or exception" → count


@dataclass
class Result:
    workers: int
    load: str
    sent: int
    ok: int
    shed: int
    latencies: list[float]  # seconds
    throughput: str
    ratio: float  # throughput / the reference's calls per second

    def row(self) -> str:
        cut = statistics.quantiles(self.latencies, n=100) if len(self.latencies) >= 2 else [float("nan")] * 99
        return (f"| {self.workers} | {self.load} | {self.sent} | {self.ok} | {self.shed} | {cut[49] * 1000:.1f} | "
                f"{cut[94] * 1000:.1f} | {cut[98] * 1000:.1f} | {self.throughput} | {self.ratio:.2f} |")


def calls_per_second(predict, texts: list[str], calls: int = 300) -> float:
    """``predict([text])`` calls per second, one complaint per call, after 20 warm-up calls."""
    for text in texts[:20]:
        predict([text])
    start = time.perf_counter()
    for text in texts[:calls]:
        predict([text])
    return calls / (time.perf_counter() - start)


def references(model: Path, texts: list[str]) -> tuple[float, float]:
    """(the plain reference's calls/s, the served model's calls/s), one complaint per call, in this process."""
    from classifier.predict import load_model

    try:
        frame = complaints(resolve_data_dir(None))
    except DataDirNotFound:  # as sample_texts: the fixtures stand in
        frame = pd.read_csv(FIXTURE.with_name("complaints_small.csv"), dtype=str).rename(columns={"keluhan": "text"})
    labeled = frame[frame["topik"].str.strip() != ""]
    plain = plain_reference(labeled["text"].tolist(), labeled["topik"].tolist(), seed=0)
    return (calls_per_second(lambda batch: plain.predict([t.lower() for t in batch]), texts),
            calls_per_second(load_model(model).predict, texts))


def sample_texts(seed: int = 11) -> tuple[list[str], str]:
    """Every non-empty text, shuffled: each phase takes the next ones (``TextCursor``), so that requests
    repeat a text only when a run needs more than the file holds (as real traffic, not a few hundred
    texts resent: the near-duplicate index would then compare each with all its earlier copies)."""
    try:
        frame = read_table(resolve_data_dir(None) / COMPLAINTS)
        texts, source = frame["keluhan"], "real complaints (data dir)"
    except (DataDirNotFound, FileNotFoundError, KeyError):
        texts, source = pd.read_csv(FIXTURE)["text"], "test fixtures"
    texts = [t for t in texts.astype(str) if t.strip()]
    random.Random(seed).shuffle(texts)
    return texts, source


class TextCursor:
    def __init__(self, texts: list[str]):
        self.texts, self.position = texts, 0

    def take(self, n: int) -> list[str]:
        taken = [self.texts[(self.position + i) % len(self.texts)] for i in range(n)]
        self.position += n
        return taken


def free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return sock.getsockname()[1]


class Server:
    """`aduan serve` in a subprocess with its own database and key."""

    def __init__(self, model: Path, workers: int, tmp: Path, database_url: str | None = None):
        self.env = {**os.environ, "ADUAN_DATABASE_URL": database_url or f"sqlite:///{tmp / f'bench-{workers}.db'}"}
        self.env.pop("PROMETHEUS_MULTIPROC_DIR", None)
        created = subprocess.run([sys.executable, "-m", "aduan.cli", "keys", "create", "--scope", "desk"],
                                 env=self.env, capture_output=True, text=True, check=True, timeout=120)
        self.key = created.stdout.strip()
        self.base = f"http://127.0.0.1:{free_port()}"
        self.log = open(tmp / f"server-{workers}.log", "w")
        self.process = subprocess.Popen(
            [sys.executable, "-m", "aduan.cli", "serve", "--port", self.base.rsplit(":", 1)[1], "--workers",
             str(workers), "--model", str(model)], env=self.env, stdout=self.log, stderr=subprocess.STDOUT,
            start_new_session=True)
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            if self.process.poll() is not None:
                raise SystemExit(f"server exited; see {self.log.name}")
            try:
                if httpx.get(f"{self.base}/readyz", timeout=2).status_code == 200:
                    return
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        self.stop()
        raise SystemExit(f"server not ready after {STARTUP_SECONDS} s")

    def stop(self) -> None:
        self.process.send_signal(signal.SIGTERM)
        try:
            self.process.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.killpg(self.process.pid, signal.SIGKILL)
        self.log.close()


async def fixed_rate(server: Server, cursor: TextCursor, rate: float,
                     seconds: float) -> tuple[list[float], int, int, float]:
    """Open loop: request i is planned at start + i/rate whatever the earlier ones are doing."""
    count = int(rate * seconds)
    texts = cursor.take(count + 20)
    loop = asyncio.get_running_loop()
    limits = httpx.Limits(max_connections=256, max_keepalive_connections=256)
    async with httpx.AsyncClient(base_url=server.base, headers={"X-API-Key": server.key}, limits=limits,
                                 timeout=REQUEST_TIMEOUT) as client:
        for text in texts[:20]:  # warm-up: connections, caches
            await client.post("/v1/complaints/classify", json={"text": text})
        start = loop.time() + 0.1

        async def one(i: int) -> tuple[float, bool]:
            planned = start + i / rate
            await asyncio.sleep(max(0.0, planned - loop.time()))
            try:
                answer = await client.post("/v1/complaints/classify", json={"text": texts[20 + i]})
                outcome = str(answer.status_code)
            except httpx.HTTPError as exc:
                outcome = exc.__class__.__name__
            if outcome not in ("200", "503"):
                FAILURES[f"single: {outcome}"] += 1
            return loop.time() - planned, outcome

        results = await asyncio.gather(*(one(i) for i in range(count)))
        elapsed = loop.time() - start
    answered = [latency for latency, outcome in results if outcome == "200"]
    return answered, len(results), sum(r[1] == "503" for r in results), elapsed


async def batches(server: Server, cursor: TextCursor, total: int,
                  concurrency: int) -> tuple[list[float], int, float]:
    """Closed loop: ``concurrency`` clients, each sending its next batch when the last one is answered."""
    queue = list(range(total))
    latencies, ok = [], 0
    async with httpx.AsyncClient(base_url=server.base, headers={"X-API-Key": server.key},
                                 timeout=REQUEST_TIMEOUT) as client:
        texts = cursor.take((total + 1) * BATCH)
        body = lambda i: {"complaints": [{"text": t} for t in texts[i * BATCH:(i + 1) * BATCH]]}  # noqa: E731
        await client.post("/v1/complaints/classify-batch", json=body(total))  # warm-up

        async def worker():
            nonlocal ok
            while queue:
                i = queue.pop()
                started = time.perf_counter()
                try:
                    answer = await client.post("/v1/complaints/classify-batch", json=body(i))
                    outcome = str(answer.status_code)
                except httpx.HTTPError as exc:
                    outcome = exc.__class__.__name__
                ok += outcome == "200"
                if outcome != "200":
                    FAILURES[f"batch: {outcome}"] += 1
                latencies.append(time.perf_counter() - started)

        started = time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(concurrency)))
    return latencies, ok, time.perf_counter() - started


def main(argv=None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", help="model directory (default: the latest under $ADUAN_MODELS_DIR or models/)")
    parser.add_argument("--workers", default="1,2", help="comma-separated worker counts (default: 1,2)")
    parser.add_argument("--rate", default="100,300", help="comma-separated single requests per second (default: "
                                                             "100,300)")
    parser.add_argument("--seconds", type=float, default=10, help="duration of the fixed-rate phase (default: 10)")
    parser.add_argument("--batches", type=int, default=30, help="batches of 100 per worker count (default: 30)")
    parser.add_argument("--database-url", help="database of the servers (default: a new SQLite file per run)")
    args = parser.parse_args(argv)
    rates = [float(r) for r in args.rate.split(",")]
    if not all(0 < r <= 1000 for r in rates) or not 0 < args.seconds <= 120 or not 0 < args.batches <= 500:
        parser.error("bounded load only: --rate 1..1000, --seconds up to 120, --batches up to 500")
    model = Path(args.model) if args.model else find_latest_model(os.environ.get("ADUAN_MODELS_DIR", "models"))
    texts, source = sample_texts()
    reference, served = references(model, texts)
    cursor = TextCursor(texts)
    rows = []
    with tempfile.TemporaryDirectory() as tmp:
        for workers in [int(w) for w in args.workers.split(",")]:
            server = Server(model, workers, Path(tmp), args.database_url)
            try:
                for rate in rates:
                    latencies, sent, shed, elapsed = asyncio.run(fixed_rate(server, cursor, rate, args.seconds))
                    ok = len(latencies)
                    rows.append(Result(workers, f"single @ {rate:g}/s", sent, ok, shed, latencies,
                                       f"{ok / elapsed:,.0f} requests/s answered", ok / elapsed / reference))
                latencies, ok, elapsed = asyncio.run(batches(server, cursor, args.batches, workers))
                rows.append(Result(workers, f"batch of {BATCH}, {workers} in flight", len(latencies), ok, 0, latencies,
                                   f"{ok * BATCH / elapsed:,.0f} complaints/s", ok * BATCH / elapsed / reference))
            finally:
                server.stop()
    print(f"model {model.name}; texts: {source}; CPUs: {os.cpu_count()}; client and server share them")
    print(f"one complaint per call in this process: reference (plain TF-IDF + LinearSVC) {reference:,.0f} calls/s, "
          f"the served model {served:,.0f} calls/s ({served / reference:.2f} × reference)")
    print("| workers | load | requests | ok | shed (503) | p50 ms | p95 ms | p99 ms | throughput | vs reference |")
    print("|---|---|---|---|---|---|---|---|---|---|")
    for row in rows:
        print(row.row())
    if FAILURES:
        print("failed requests: " + ", ".join(f"{k} × {n}" for k, n in sorted(FAILURES.items())))
    return 0


if __name__ == "__main__":
    sys.exit(main())
