"""The broker's Prometheus metrics: one registry per broker (never the global one), ids-free labels only.

Every label value comes from a small closed set the code names: a route template (never a path), an HTTP
method and status, a session state, a source or document type, a stable error code, a store operation, an
outcome. No BSN, name, amount, token, session id or reference is ever a label or a value (docs/deployment.md,
"Metrics"). ``web/metrics.py`` serves the registry on the operator's private metrics port.

The hot path stays cheap: a labelled child is looked up once and kept (``_children``), so a request costs
one counter increment and one histogram observation.
"""

from __future__ import annotations

import itertools
import time
from bisect import bisect_left
from collections.abc import Callable, Iterator, Mapping
from contextlib import contextmanager
from typing import Any

from prometheus_client import CollectorRegistry, Counter, Gauge, Histogram
from prometheus_client.core import CounterMetricFamily, GaugeMetricFamily, HistogramMetricFamily
from prometheus_client.exposition import CONTENT_TYPE_LATEST, generate_latest
from prometheus_client.registry import Collector

CONTENT_TYPE = CONTENT_TYPE_LATEST

HTTP_BUCKETS = (0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)
FETCH_BUCKETS = (0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 15.0, 30.0, 60.0)
PARSE_BUCKETS = (0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5)
STORE_BUCKETS = (0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1.0, 2.5)
LAG_BUCKETS = (0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0, 30.0, 60.0, 300.0, 900.0, 3600.0)

METHODS = frozenset({"GET", "HEAD", "POST", "PUT", "PATCH", "DELETE", "OPTIONS"})
UNMATCHED = "unmatched"
"""The route label of a request no route matched: its raw path (which may carry a token) is never a label."""

FAMILIES = (
    "databrug_http_requests",
    "databrug_http_request_duration_seconds",
    "databrug_session_transitions",
    "databrug_sessions",
    "databrug_source_fetches",
    "databrug_source_fetch_duration_seconds",
    "databrug_parse_duration_seconds",
    "databrug_webhook_deliveries",
    "databrug_webhook_retries",
    "databrug_webhook_lag_seconds",
    "databrug_store_operation_duration_seconds",
    "databrug_store_errors",
    "databrug_sse_watchers",
)
"""Every family the broker exports (counters without their ``_total``), as the dashboard and alerts use."""


def method_label(method: str) -> str:
    return method if method in METHODS else "other"


def code_label(code: str | None) -> str:
    """A stable error code as a label: lower-case letters, digits and ``_`` only, at most 40 characters,
    anything else ``other`` (an error's code is ours, but a label must never carry a message)."""
    if not code:
        return "none"
    if len(code) > 40 or not all(c.islower() or c.isdigit() or c == "_" for c in code):
        return "other"
    return code


class _SessionsByState(Collector):
    """``databrug_sessions{state}``, counted at scrape time by the store when it can do so cheaply."""

    def __init__(self, count: Callable[[], Mapping[str, int]] | None) -> None:
        self.count = count

    def collect(self) -> Iterator[GaugeMetricFamily]:
        family = GaugeMetricFamily(
            "databrug_sessions", "Sessions held by this process's store, by state", labels=["state"]
        )
        if self.count is not None:
            for state, number in sorted(self.count().items()):
                family.add_metric([state], number)
        yield family


class _Series:
    __slots__ = ("buckets", "count", "labels", "seconds", "timed")

    def __init__(self, labels: tuple[str, str, str]) -> None:
        self.labels = labels
        self.count = 0
        self.timed = 0
        self.seconds = 0.0
        self.buckets = [0] * (len(HTTP_BUCKETS) + 1)  # the last one: above every bound (+Inf)


class _HttpRequests(Collector):
    """``databrug_http_requests_total`` and ``databrug_http_request_duration_seconds`` from plain counts.

    The broker's hottest path: one dict lookup and a few integer additions per request, no lock (every
    request and every scrape runs on the server's event loop), where prometheus-client's counter and
    histogram took a lock each. The families are built at scrape time."""

    def __init__(self) -> None:
        self.series: dict[tuple[str, str, int], _Series] = {}

    def record(self, method: str, route: str, status: int, seconds: float | None) -> None:
        series = self.series.get((method, route, status))
        if series is None:
            labels = (method_label(method), route, str(status))
            series = self.series[(method, route, status)] = _Series(labels)
        series.count += 1
        if seconds is not None:
            series.timed += 1
            series.seconds += seconds
            series.buckets[bisect_left(HTTP_BUCKETS, seconds)] += 1

    def collect(self) -> Iterator[CounterMetricFamily | HistogramMetricFamily]:
        requests = CounterMetricFamily(
            "databrug_http_requests",
            "HTTP requests by method, route template and status",
            labels=["method", "route", "status"],
        )
        timed: dict[tuple[str, str], tuple[list[int], float]] = {}
        for series in list(self.series.values()):
            requests.add_metric(list(series.labels), series.count)
            if series.timed:
                key = series.labels[:2]
                buckets, seconds = timed.get(key, ([0] * len(series.buckets), 0.0))
                timed[key] = (
                    [a + b for a, b in zip(buckets, series.buckets, strict=True)],
                    seconds + series.seconds,
                )
        yield requests
        duration = HistogramMetricFamily(
            "databrug_http_request_duration_seconds",
            "Time to answer an HTTP request (event streams excluded), by method and route template",
            labels=["method", "route"],
        )
        bounds = [*(repr(b) for b in HTTP_BUCKETS), "+Inf"]
        for (method, route), (buckets, seconds) in sorted(timed.items()):
            cumulative = list(itertools.accumulate(buckets))
            duration.add_metric([method, route], list(zip(bounds, cumulative, strict=True)), seconds)
        yield duration


class BrokerMetrics:
    """All of the broker's metric families in one private registry."""

    def __init__(self) -> None:
        self.registry = CollectorRegistry(auto_describe=True)
        r = self.registry
        self.http = _HttpRequests()
        r.register(self.http)
        self.session_transitions = Counter(
            "databrug_session_transitions",
            "Session state transitions made by this process",
            ["from_state", "to_state"],
            registry=r,
        )
        self.sessions_by_state = _SessionsByState(None)
        r.register(self.sessions_by_state)
        self.source_fetches = Counter(
            "databrug_source_fetches",
            "Source fetches by source, outcome (ok, failed) and error code",
            ["source", "outcome", "code"],
            registry=r,
        )
        self.source_fetch_duration = Histogram(
            "databrug_source_fetch_duration_seconds",
            "Time to fetch and parse all documents of one source",
            ["source"],
            buckets=FETCH_BUCKETS,
            registry=r,
        )
        self.parse_duration = Histogram(
            "databrug_parse_duration_seconds",
            "Time to parse one document, by document type and outcome",
            ["document_type", "outcome"],
            buckets=PARSE_BUCKETS,
            registry=r,
        )
        self.webhook_deliveries = Counter(
            "databrug_webhook_deliveries",
            "Webhook attempts by outcome (delivered, failed, gave_up)",
            ["outcome"],
            registry=r,
        )
        self.webhook_retries = Counter(
            "databrug_webhook_retries", "Webhook deliveries rescheduled after a failed attempt", registry=r
        )
        self.webhook_lag = Histogram(
            "databrug_webhook_lag_seconds",
            "How late a webhook attempt starts after it fell due",
            buckets=LAG_BUCKETS,
            registry=r,
        )
        self.store_duration = Histogram(
            "databrug_store_operation_duration_seconds",
            "Session store operations, by operation",
            ["operation"],
            buckets=STORE_BUCKETS,
            registry=r,
        )
        self.store_errors = Counter(
            "databrug_store_errors",
            "Session store operations that failed, by operation and error type",
            ["operation", "error"],
            registry=r,
        )
        self.sse_watchers = Gauge("databrug_sse_watchers", "Event streams open in this process", registry=r)
        self._children: dict[tuple[str, ...], Any] = {}

    # -- recording (each a dict lookup and one update)

    def request(self, method: str, route: str, status: int, seconds: float | None) -> None:
        """One answered request; ``seconds`` None for an event stream (its life is not a latency)."""
        self.http.record(method, route, status, seconds)

    def transition(self, before: str, after: str) -> None:
        self.session_transitions.labels(before, after).inc()

    def fetched(self, source: str, seconds: float, code: str | None = None) -> None:
        outcome = "ok" if code is None else "failed"
        self.source_fetches.labels(source, outcome, code_label(code)).inc()
        self.source_fetch_duration.labels(source).observe(seconds)

    def parsed(self, document_type: str, seconds: float, ok: bool) -> None:
        self.parse_duration.labels(document_type, "ok" if ok else "failed").observe(seconds)

    def store_operation(self, operation: str, seconds: float) -> None:
        key = ("store", operation)
        child = self._children.get(key)
        if child is None:
            child = self._children[key] = self.store_duration.labels(operation)
        child.observe(seconds)

    def store_error(self, operation: str, error: BaseException) -> None:
        self.store_errors.labels(operation, type(error).__name__).inc()

    @contextmanager
    def watching(self) -> Iterator[None]:
        """While an event stream is open."""
        self.sse_watchers.inc()
        try:
            yield
        finally:
            self.sse_watchers.dec()

    def count_sessions_with(self, count: Callable[[], Mapping[str, int]] | None) -> None:
        """Where ``databrug_sessions`` comes from (the memory store counts; Redis has no cheap count)."""
        self.sessions_by_state.count = count

    def exposition(self) -> bytes:
        return generate_latest(self.registry)


def elapsed(started: float) -> float:
    return time.perf_counter() - started
