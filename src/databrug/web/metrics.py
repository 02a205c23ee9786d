"""Request metrics and the private metrics port (docs/deployment.md, "Metrics").

``RequestMetrics`` counts each request by method, route template (``unmatched`` when no route matched: the
raw path may carry a token) and status, and observes its duration; an event stream is counted, not timed
(its life is no latency; ``databrug_sse_watchers`` counts the open ones). With ``access_log`` it also logs
method, route template, status and duration — never the raw path — from the same measurement: one layer per
request for both. It wraps no ``send`` (one closure fewer per request, and per open event stream for its whole
life): it reads the status ``SecurityHeaders`` notes in the scope.

``MetricsPort`` serves ``GET /metrics`` (Prometheus text format) to requests that arrived on the metrics
socket only, found by the local port the server accepted them on (``scope["server"]``, never a header): the
operator keeps that port private (a loopback or internal address, not behind the public balancer). On the
public port ``/metrics`` does not exist.
"""

from __future__ import annotations

import logging
import time
from collections.abc import Callable

from starlette.types import ASGIApp, Receive, Scope, Send

from databrug.metrics import CONTENT_TYPE, UNMATCHED, BrokerMetrics
from databrug.web.security import RESPONSE_STATUS

STREAMING = "databrug.streaming"
"""Scope key a route sets when it answers with an event stream (``web/sse.py``)."""

METRICS_PATH = "/metrics"


def route_label(scope: Scope) -> str:
    """The matched route's template (``/api/v1/sessions/{session_id}``), else ``unmatched``."""
    path = getattr(scope.get("route"), "path", None)
    return path if isinstance(path, str) else UNMATCHED


access_log = logging.getLogger("databrug.access")


class RequestMetrics:
    def __init__(self, app: ASGIApp, metrics: BrokerMetrics, *, access_log: bool = False) -> None:
        self.app = app
        self.metrics = metrics
        self.access_log = access_log

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        try:
            await self.app(scope, receive, send)
        finally:
            took = time.perf_counter() - started
            route, status = route_label(scope), scope.get(RESPONSE_STATUS, 0)
            self.metrics.request(scope["method"], route, status, None if scope.get(STREAMING) else took)
            if self.access_log:
                access_log.info("%s %s %d %.1fms", scope["method"], route, status, took * 1000)


async def _answer(send: Send, status: int, body: bytes, content_type: str) -> None:
    headers = [
        (b"content-type", content_type.encode("ascii")),
        (b"content-length", str(len(body)).encode("ascii")),
        (b"cache-control", b"no-store"),
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body})


class MetricsPort:
    """The app, with the metrics served on the socket whose local port is ``port`` and nowhere else."""

    def __init__(self, app: ASGIApp, port: int, exposition: Callable[[], bytes]) -> None:
        self.app = app
        self.port = port
        self.exposition = exposition

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        server = scope.get("server")
        if scope["type"] != "http" or not server or server[1] != self.port:
            await self.app(scope, receive, send)
            return
        if scope["path"] != METRICS_PATH:
            await _answer(send, 404, b"not found\n", "text/plain; charset=utf-8")
        elif scope["method"] != "GET":
            await _answer(send, 405, b"method not allowed\n", "text/plain; charset=utf-8")
        else:
            await _answer(send, 200, self.exposition(), CONTENT_TYPE)
