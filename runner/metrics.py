"""The runner's Prometheus metrics at GET /metrics (behind the token, like /v1/run).

Requests and jobs are counted as they happen (a middleware, and `job()` from the run
handler); slots, queue, zygote, cache and sandbox layers are read from the service when
scraped, so nothing can drift from what /v1/health reports.
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Iterator
from typing import Any

from aiohttp import web
from prometheus_client import CONTENT_TYPE_LATEST, CollectorRegistry, Counter, Histogram
from prometheus_client import generate_latest as exposition
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, Metric
from prometheus_client.process_collector import ProcessCollector
from prometheus_client.registry import Collector

from runner.http_timing import timing_middleware
from runner.service import RunService

PATH = "/metrics"
ROUTES = ("/v1/run", "/v1/health", PATH)  # anything else is counted as "other"
BUCKETS = (0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


class ServiceCollector(Collector):
    """Gauges and totals read from the run service at scrape time."""

    def __init__(self, service: RunService) -> None:
        self.service = service

    def collect(self) -> Iterator[Metric]:
        health = self.service.health()
        queue = health["queue"]
        yield _gauge("lrquiz_runner_ready", "1 when a warm zygote serves jobs", health["ok"])
        yield _gauge("lrquiz_runner_slots", "Jobs that may run at once", queue["slots"])
        yield _gauge("lrquiz_runner_slots_busy", "Jobs running now", queue["running"])
        yield _gauge("lrquiz_runner_queue_depth", "Jobs waiting for a slot", queue["waiting"])
        yield _gauge("lrquiz_runner_queue_max", "Waiting jobs before 503", queue["max_queue"])
        stats = health["stats"]
        for name, text in (
            ("requests", "Run requests accepted for execution or the cache"),
            ("executed", "Snippets executed in a sandboxed cell"),
            ("cache_hits", "Requests answered from the result cache"),
            ("coalesced", "Requests that waited for an identical running job"),
        ):
            yield _counter(f"lrquiz_runner_{name}", text, stats[name])
        zygote = health["zygote"]
        yield _counter("lrquiz_runner_zygote_restarts", "Zygotes replaced", zygote["restarts"])
        yield _gauge("lrquiz_runner_zygote_jobs", "Jobs run by the current zygote", zygote["jobs"])
        cache = health["cache"]
        yield _gauge(
            "lrquiz_runner_cache_memory_bytes", "Result cache in memory", cache["memory_bytes"]
        )
        yield _gauge("lrquiz_runner_cache_disk_bytes", "Result cache on disk", cache["disk_bytes"])
        layers = GaugeMetricFamily(
            "lrquiz_runner_isolation_layer",
            "1 for each sandbox layer active in every job, 0 for one missing (see /v1/health)",
            labels=["layer"],
        )
        for layer, active in sorted(health["isolation"].items()):
            layers.add_metric([layer], 1.0 if active else 0.0)
        yield layers


def _gauge(name: str, text: str, value: float) -> GaugeMetricFamily:
    return GaugeMetricFamily(name, text, value=float(value))


def _counter(name: str, text: str, value: float) -> CounterMetricFamily:
    return CounterMetricFamily(name, text, value=float(value))


class RunnerMetrics:
    def __init__(self, service: RunService) -> None:
        self.registry = registry = CollectorRegistry()
        ProcessCollector(registry=registry)  # the server process (cells are not in it)
        registry.register(ServiceCollector(service))
        self.http = Counter(
            "lrquiz_runner_http_requests",
            "HTTP requests by route and status code (401 refused, 503 saturated)",
            ["route", "code"],
            registry=registry,
        )
        self.seconds = Histogram(
            "lrquiz_runner_http_request_seconds",
            "From request head to response, by route",
            ["route"],
            buckets=BUCKETS,
            registry=registry,
        )
        self.jobs = Counter(
            "lrquiz_runner_jobs",
            "Run results by status (ok, error, timeout, memory, output_limit) and cache",
            ["status", "cached"],
            registry=registry,
        )
        self.middleware = timing_middleware(self.http, self.seconds, ROUTES)

    def job(self, result: dict[str, Any]) -> None:
        """One /v1/run answered with a result."""
        cached = "true" if result.get("cached") else "false"
        self.jobs.labels(str(result.get("status")), cached).inc()

    async def handler(self, request: web.Request) -> web.Response:
        """GET /metrics; the caller checks the token first."""
        return web.Response(
            body=exposition(self.registry), headers={"Content-Type": CONTENT_TYPE_LATEST}
        )
