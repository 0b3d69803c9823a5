"""The real server process (`aduan serve`) on a free port, called over HTTP."""
from __future__ import annotations

import os
import re
import shutil
import signal
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor

import httpx
import pytest

from api_support import free_port, models_dir  # noqa: F401 (fixture)

LAMP = "lampu jalan di depan rumah mati dan gelap sekali"
STARTUP_SECONDS = 120


def aduan(*args: str, env: dict) -> subprocess.CompletedProcess:
    return subprocess.run([sys.executable, "-m", "aduan.cli", *args], env=env, capture_output=True, text=True,
                          timeout=120)


@pytest.fixture
def server(tmp_path, models_dir):
    """start(workers) → (base URL, key with desk and admin scopes); every server is stopped afterwards.
    The server has the env of the fixture (``server.env``), so CLI commands act on its database and models."""
    env = {**os.environ, "ADUAN_DATABASE_URL": f"sqlite:///{tmp_path / 'server.db'}",
           "ADUAN_MODELS_DIR": str(models_dir), "ADUAN_MODEL_SYNC_SECONDS": "0.5"}
    env.pop("PROMETHEUS_MULTIPROC_DIR", None)
    env.pop("ADUAN_MODEL_PATH", None)
    processes = []

    def start(workers: int = 1, own_models: bool = False) -> tuple[str, str]:
        """``own_models``: serve a copy of the models dir, for tests that promote (registry.json)."""
        if own_models:
            env["ADUAN_MODELS_DIR"] = str(shutil.copytree(models_dir, tmp_path / "models"))
        created = aduan("keys", "create", "--scope", "desk", "--scope", "admin", env=env)
        assert created.returncode == 0, created.stderr
        key = created.stdout.strip()
        port = free_port()
        log = open(tmp_path / f"server-{port}.log", "w")
        process = subprocess.Popen([sys.executable, "-m", "aduan.cli", "serve", "--port", str(port),
                                    "--workers", str(workers)], env=env, stdout=log, stderr=subprocess.STDOUT,
                                   start_new_session=True)
        processes.append(process)
        base = f"http://127.0.0.1:{port}"
        deadline = time.monotonic() + STARTUP_SECONDS
        while time.monotonic() < deadline:
            assert process.poll() is None, (tmp_path / f"server-{port}.log").read_text()
            try:
                if httpx.get(f"{base}/readyz", timeout=2).status_code == 200:
                    return base, key
            except httpx.TransportError:
                pass
            time.sleep(0.3)
        pytest.fail(f"server not ready after {STARTUP_SECONDS} s")

    start.env = env
    yield start
    for process in processes:
        process.send_signal(signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()


def test_server_answers_over_http(server):
    base, key = server(workers=1)
    with httpx.Client(base_url=base, timeout=30) as http:
        answer = http.post("/v1/complaints/classify", json={"text": LAMP}, headers={"X-API-Key": key})
        assert answer.status_code == 200
        assert answer.json()["topic"]["label"] == "Lampu Jalan"
        assert answer.json()["model_version"] == "test-2"
        assert http.post("/v1/complaints/classify", json={"text": LAMP}).status_code == 401
        assert http.get("/docs").status_code == 200
        assert "aduan_http_requests_total" in http.get("/metrics").text


def test_two_workers_follow_a_reload_and_share_metrics(server):
    base, key = server(workers=2)
    headers = {"X-API-Key": key}
    with httpx.Client(base_url=base, timeout=30) as http:
        # A fresh connection per request, so that both workers get some.
        sent = 0
        for _ in range(6):
            assert httpx.post(f"{base}/v1/complaints/classify", json={"text": LAMP}, headers=headers).status_code == 200
            sent += 1
        assert http.post("/v1/models/reload", json={"version": "test-1"}, headers=headers).status_code == 200
        deadline, streak = time.monotonic() + 60, 0
        while streak < 10 and time.monotonic() < deadline:
            answer = httpx.post(f"{base}/v1/complaints/classify", json={"text": LAMP}, headers=headers)
            assert answer.status_code == 200
            sent += 1
            streak = streak + 1 if answer.json()["model_version"] == "test-1" else 0
        assert streak == 10, "the workers did not all switch to test-1"
        metrics = http.get("/metrics").text
    counted = re.search(r'aduan_http_requests_total\{method="POST",route="/v1/complaints/classify",'
                        r'status="200"\} (\S+)', metrics)
    assert counted and float(counted.group(1)) == sent


def workers_seen(base: str, rounds: int = 20) -> dict[int, str]:
    """pid → model version from /readyz, asked by 8 fresh connections at once (sequential ones all
    reach the same idle worker), until two workers answered or ``rounds`` rounds were asked."""
    seen: dict[int, str] = {}

    def ask(_) -> dict:
        return httpx.get(f"{base}/readyz", timeout=10).json()

    with ThreadPoolExecutor(8) as pool:
        for _ in range(rounds):
            seen.update({ready["pid"]: ready["model_version"] for ready in pool.map(ask, range(8))})
            if len(seen) >= 2:
                break
    return seen


def test_every_worker_reports_its_model_and_follows_a_promotion(server):
    base, _ = server(workers=2, own_models=True)
    before = workers_seen(base)
    assert len(before) == 2 and set(before.values()) == {"test-2"}, before
    promoted = aduan("models", "promote", "test-1", env=server.env)
    assert promoted.returncode == 0, promoted.stderr
    started, deadline = time.monotonic(), time.monotonic() + 30
    while time.monotonic() < deadline:
        seen = workers_seen(base)
        if set(before) <= set(seen) and set(seen.values()) == {"test-1"}:
            break
        time.sleep(0.2)
    converged = time.monotonic() - started
    # ADUAN_MODEL_SYNC_SECONDS is 0.5 here: each worker checks the registry twice a second.
    assert set(seen.values()) == {"test-1"} and set(before) <= set(seen), seen
    assert converged < 10, f"the workers took {converged:.1f} s to serve the promoted model"


def test_a_restarted_worker_serves_the_model_its_siblings_reloaded(server):
    base, key = server(workers=2)
    before = workers_seen(base)
    assert len(before) == 2
    assert httpx.post(f"{base}/v1/models/reload", json={"version": "test-1"}, headers={"X-API-Key": key},
                      timeout=30).status_code == 200
    killed = next(iter(before))
    os.kill(killed, signal.SIGKILL)  # the supervisor starts a new worker in its place
    deadline, seen = time.monotonic() + 90, {}
    while time.monotonic() < deadline:
        seen = workers_seen(base)
        if len(seen) == 2 and killed not in seen and set(seen.values()) == {"test-1"}:
            break
        time.sleep(0.5)
    assert len(seen) == 2 and killed not in seen, seen
    assert set(seen.values()) == {"test-1"}, seen  # not production (test-2): a reload of this run
