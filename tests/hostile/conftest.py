"""Fixtures of the hostile-input suite (issue 13): a REAL `aduan serve` under an address-space limit.

Fixtures, for any test under tests/hostile/:

- ``hostile_server`` (session): one `aduan serve --workers 1` on a free 127.0.0.1 port, serving the
  two tiny fixture models of tests/api_support.py (``test-2`` is served), from its own SQLite file
  and models dir, with ``RLIMIT_AS`` = ``server_support.ADDRESS_SPACE_LIMIT`` (3 GiB) set in the
  child before exec: an allocation past it fails in the server instead of taking the machine.
  It is a ``server_support.RealServer``: ``.base`` (URL), ``.keys`` and ``.headers(scope)`` for
  ``"desk"``, ``"reporting"``, ``"admin"`` (``headers(None)`` = no key), ``.rss_bytes()``, ``.log()``,
  ``.process``, and ``.health_latency_during(request_fn)``. Shared by every test of the session: a
  test that breaks it breaks the ones after it, which is the point; don't change its state.
- ``start_hostile_server`` (function): ``start(workers=1, env={"ADUAN_...": ...})`` for a server of
  your own (other settings, 2 workers, promotions); stopped after the test.
- ``fixture_models`` (session): the models dir the servers copy.

Health beside a hostile request: ``report = server.health_latency_during(lambda: httpx.post(...))``
runs the request while a thread GETs /healthz every 20 ms (at least once during it) and returns
``report.result`` (what the lambda returned), ``report.worst_s`` (slowest health answer; a failed
probe counts as its 5 s timeout), ``report.probes`` and ``report.failures``.
``report = server.healthy_during(request_fn)`` is the assertion: up to 3 runs, the first whose
health probes all answered within ``HEALTH_BOUND_S`` (0.1 s) is returned, else AssertionError with
each run's worst latency (a loaded 2-core machine sometimes deschedules one probe; a server stalled
by the request is stalled every time). ``from server_support import HEALTH_BOUND_S, health_latency_during``
for the same probe against any base URL.
"""
from __future__ import annotations

import sys
from pathlib import Path

import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))  # tests/: api_support builds the models

from api_support import build_models  # noqa: E402
from server_support import RealServer, start_server, stop_server  # noqa: E402


@pytest.fixture(scope="session")
def fixture_models(tmp_path_factory) -> Path:
    return build_models(tmp_path_factory.mktemp("hostile-models"))


@pytest.fixture(scope="session")
def hostile_server(tmp_path_factory, fixture_models) -> RealServer:
    server = start_server(tmp_path_factory.mktemp("hostile-server"), fixture_models)
    yield server
    stop_server(server)


@pytest.fixture
def start_hostile_server(tmp_path, fixture_models):
    servers: list[RealServer] = []

    def start(workers: int = 1, env: dict[str, str] | None = None) -> RealServer:
        server = start_server(tmp_path / f"server-{len(servers)}", fixture_models, workers, env)
        servers.append(server)
        return server

    yield start
    for server in servers:
        stop_server(server)
