"""Load shedding: past ``Settings.max_in_flight`` API requests in this worker, answer 503 at once.

A worker that accepts every request when traffic outruns it queues them all: each waits for the ones
before it, and latency grows into seconds for everyone. ``LoadShedMiddleware`` (pure ASGI) counts the
``/v1`` requests (the ones that do work) this worker is answering; one more than the limit gets 503
with ``Retry-After`` before anything else is done for it (no key lookup, no body read), so the
requests already in flight keep their latency and a client or load balancer tries again later or
elsewhere. Health routes, /metrics, the docs and the desk page's files are never shed: a supervisor
or a scraper must still see an overloaded worker alive.

Measured (benchmarks/bench_api.py, one worker offered 200 single classify requests/s, more than this
busy 2-core machine could answer): with 64 in flight p50 1,953 ms and p99 10,554 ms of the answered
ones, 68 answered/s; with 8, p50 58 ms, p99 100 ms, 122 answered/s (the rest shed).
"""
from __future__ import annotations

from serving.api.errors import error_body, send_json

SHED_PREFIX = "/v1/"
RETRY_AFTER_SECONDS = 1


class LoadShedMiddleware:
    def __init__(self, app, max_in_flight: int):
        self.app = app
        self.max_in_flight = max_in_flight
        self.in_flight = 0  # one event loop per worker: no lock needed between awaits

    async def __call__(self, scope, receive, send):
        path = scope.get("path", "").removeprefix(scope.get("root_path", ""))
        if scope["type"] != "http" or not path.startswith(SHED_PREFIX):
            await self.app(scope, receive, send)
            return
        if self.in_flight >= self.max_in_flight:
            await send_json(send, 503, error_body(
                f"server busy: {self.in_flight} requests in flight (ADUAN_MAX_IN_FLIGHT); retry after "
                f"{RETRY_AFTER_SECONDS} s"), headers={"Retry-After": str(RETRY_AFTER_SECONDS)})
            return
        self.in_flight += 1
        try:
            await self.app(scope, receive, send)
        finally:
            self.in_flight -= 1
