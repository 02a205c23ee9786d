"""A span per request, when tracing is on (``observability.tracing``); not in the app at all when it is off.

Named ``METHOD /route/{template}`` once routing found the route (``HTTP`` when none did), never after the raw
path: a path may carry a pairing token or a session id. The template is the matched route object's (written
in our code, never taken from the request), and only that is added to the exporter's allow-list of routes.
Method, route template and status only; an incoming ``traceparent`` is not believed (each request starts its
own trace).
"""

from __future__ import annotations

from opentelemetry.trace import SpanKind, StatusCode
from starlette.types import ASGIApp, Receive, Scope, Send

from databrug.observability.tracing import Tracing, allow_route, failed
from databrug.web.security import RESPONSE_STATUS


class TracedRequests:
    """Inside ``SecurityHeaders``, like ``RequestMetrics``: it reads the status noted in the scope."""

    def __init__(self, app: ASGIApp, tracing: Tracing) -> None:
        self.app = app
        self.tracer = tracing.tracer
        self.routes = tracing.allow.routes

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        method = scope["method"]
        with self.tracer.start_as_current_span(
            "request",
            kind=SpanKind.SERVER,
            attributes={"http.request.method": method},
            record_exception=False,
            set_status_on_exception=False,
        ) as span:
            try:
                await self.app(scope, receive, send)
            except BaseException as error:
                failed(span, error)
                raise
            finally:
                route = getattr(scope.get("route"), "path", None)
                if isinstance(route, str):
                    if route not in self.routes:
                        allow_route(self.routes, route)
                    span.update_name(f"{method} {route}")
                    span.set_attribute("http.route", route)
                else:
                    span.update_name("HTTP")
                status = scope.get(RESPONSE_STATUS, 0)
                span.set_attribute("http.response.status_code", status)
                if status >= 500:
                    span.set_status(StatusCode.ERROR)
