"""Prometheus metrics: requests and latency by route, predicted labels, share needing review.

With several workers (`aduan serve --workers N`) the CLI sets PROMETHEUS_MULTIPROC_DIR before
anything imports prometheus_client, and /metrics adds up the files every worker writes there.
"""
from __future__ import annotations

import os
import time
from typing import Iterable

from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Gauge, Histogram, generate_latest
from prometheus_client.core import GaugeMetricFamily, Metric
from prometheus_client.multiprocess import MultiProcessCollector

LATENCY_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
CONTENT_TYPE = CONTENT_TYPE_LATEST


class _Families:
    """What generate_latest needs from a registry: something with collect()."""

    def __init__(self, families: list[Metric]):
        self._families = families

    def collect(self) -> Iterable[Metric]:
        return self._families


class Metrics:
    def __init__(self) -> None:
        self.registry = CollectorRegistry()
        self.requests = Counter("aduan_http_requests", "HTTP requests by route template, method and status",
                                ["route", "method", "status"], registry=self.registry)
        self.latency = Histogram("aduan_http_request_duration_seconds", "Request latency by route template",
                                 ["route", "method"], buckets=LATENCY_BUCKETS, registry=self.registry)
        self.predictions = Counter("aduan_predictions", "Predicted labels by task",
                                   ["task", "label"], registry=self.registry)
        self.classified = Counter("aduan_classified_complaints", "Classified complaints by needs_review",
                                  ["needs_review"], registry=self.registry)
        # The headline figures of the latest drift report (GET /v1/reports/drift); with several workers
        # the most recent one any worker computed.
        self.drift_psi = Gauge("aduan_drift_psi", "Population stability index of the predicted label mix vs "
                               "the training mix, per task (latest drift report)", ["task"], registry=self.registry,
                               multiprocess_mode="mostrecent")
        self.drift_figures = Gauge("aduan_drift", "Headline figures of the latest drift report: unseen_token_share, "
                                   "needs_review_share, retrain_advised (0/1), complaints", ["figure"],
                                   registry=self.registry, multiprocess_mode="mostrecent")

    def observe_request(self, route: str, method: str, status: int, seconds: float) -> None:
        self.requests.labels(route, method, str(status)).inc()
        self.latency.labels(route, method).observe(seconds)

    def count_label(self, task: str, label: str | None) -> None:
        if label is not None:
            self.predictions.labels(task, label).inc()

    def count_review(self, needs_review: bool) -> None:
        self.classified.labels("true" if needs_review else "false").inc()

    def observe_drift(self, report) -> None:
        for task, drift in report.tasks.items():
            self.drift_psi.labels(task).set(drift["psi"])
        for figure, value in (("unseen_token_share", report.unseen_token_share),
                              ("needs_review_share", report.needs_review_share),
                              ("retrain_advised", float(report.retrain["advised"])),
                              ("complaints", report.current["complaints"])):
            self.drift_figures.labels(figure).set(value)

    def render(self) -> bytes:
        if os.environ.get("PROMETHEUS_MULTIPROC_DIR"):
            source = CollectorRegistry()
            MultiProcessCollector(source)
        else:
            source = self.registry
        families = list(source.collect())
        return generate_latest(_Families(families + [needs_review_share(families)]))


def needs_review_share(families: list[Metric]) -> GaugeMetricFamily:
    counts = {"true": 0.0, "false": 0.0}
    for family in families:
        if family.name == "aduan_classified_complaints":
            for sample in family.samples:
                if sample.name.endswith("_total"):
                    counts[sample.labels["needs_review"]] += sample.value
    total = counts["true"] + counts["false"]
    return GaugeMetricFamily("aduan_needs_review_share",
                             "Share of classified complaints flagged needs_review since start (0 when none yet)",
                             value=counts["true"] / total if total else 0.0)


class MetricsMiddleware:
    """Pure ASGI middleware (cheaper than BaseHTTPMiddleware): counts and times every request."""

    def __init__(self, app, metrics: Metrics):
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope, receive, send):
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 500

        async def send_status(message):
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, send_status)
        finally:
            # The route template, not the raw path, keeps the label set small.
            route = getattr(scope.get("route"), "path", "unmatched")
            self.metrics.observe_request(route, scope["method"], status, time.perf_counter() - started)
