"""The broker's ASGI app: provider API, citizen pages, the phone app, errors mapped from stable codes."""

from __future__ import annotations

import asyncio
import contextlib
import json
from collections.abc import AsyncIterator
from typing import Any

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, PlainTextResponse, RedirectResponse, Response
from fastapi.staticfiles import StaticFiles
from fastapi.telemetry import TelemetryConfig
from starlette.exceptions import HTTPException as StarletteHTTPException
from starlette.types import Scope

from databrug import __version__
from databrug.broker import Broker
from databrug.broker.background import run_background
from databrug.errors import CodedError
from databrug.observability import tracing
from databrug.web import computer, phone, provider_api, purposes_page
from databrug.web.api_docs import add_api_docs
from databrug.web.context import language, render
from databrug.web.cross_site import SameOriginOnly, origin_of
from databrug.web.decrypt_counts import add_decrypt_counts
from databrug.web.errors import CATALOGUE, status_for
from databrug.web.i18n import translate
from databrug.web.metrics import RequestMetrics
from databrug.web.request_limits import RETURN_TO_KEY, RequestBodyLimit
from databrug.web.request_tracing import TracedRequests
from databrug.web.security import SecurityHeaders
from databrug.web.unhandled import AnswerUnhandled, ContainedFastAPI


def _code_of(error: Exception) -> str:
    code = getattr(error, "code", None)
    return code if isinstance(code, str) else "internal_error"


def _wants_json(request: Request) -> bool:
    path = request.url.path
    return (
        path.startswith("/api/")
        or path.endswith(".json")
        or "application/json" in request.headers.get("accept", "")
    )


def error_response(
    request: Request, code: str, status: int | None = None, extra: dict[str, Any] | None = None
) -> Response:
    status = status or status_for(code)
    lang = language(request)
    message = translate(lang, f"error.{code}.body")
    if _wants_json(request):
        body: dict[str, Any] = {"error": {"code": code, "message": message, **(extra or {})}}
        headers = {"WWW-Authenticate": "Bearer"} if status == 401 else None
        return JSONResponse(body, status_code=status, headers=headers)
    return render(request, "error.html", f"error.{code}.title", status_code=status, code=code)


def _cross_site_refusal(scope: Scope) -> Response:
    """403 in the catalogue's words; the connection closes after it (the body was left unread, see
    ``web/server.py``), and says so, so that the client does not send its next request down it."""
    response = error_response(Request(scope), "cross_site_request")
    response.headers["Connection"] = "close"
    return response


def _body_refusal(scope: Scope) -> Response:
    """A body over its cap: 413 in the catalogue's words (with the security headers, answered inside them), or
    for a browser whose route named a page to return to (an upload), that page with the error shown there."""
    request = Request(scope)
    return_to = scope.get(RETURN_TO_KEY)
    if isinstance(return_to, str) and not _wants_json(request):
        return RedirectResponse(return_to, status_code=303)
    return error_response(request, "payload_too_large")


# FastAPI's built-in OpenTelemetry would export request attributes, validation failures and exception messages
# as soon as any global provider is configured (or FASTAPI_OTEL_AUTO_CONFIGURE is set): off, since those can
# carry personal data. Its per-request "is a provider configured?" check was also ~5% of a status read's CPU.
NO_TELEMETRY: TelemetryConfig = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(broker: Broker, *, background: bool = True) -> FastAPI:
    @contextlib.asynccontextmanager
    async def lifespan(app: FastAPI) -> AsyncIterator[None]:
        stop = asyncio.Event()
        task = asyncio.create_task(run_background(broker, stop)) if background else None
        try:
            yield
        finally:
            stop.set()
            if task is not None:
                with contextlib.suppress(asyncio.CancelledError, Exception):
                    await asyncio.wait_for(task, timeout=5)
            await broker.close()

    app = ContainedFastAPI(
        title="Databrug broker API",
        version=__version__,
        description=(
            "Create sessions for citizens, follow their progress, and pick up end-to-end encrypted packages. "
            "Errors are JSON objects {error: {code, message}} with stable codes."
        ),
        lifespan=lifespan,
        docs_url=None,  # our own page, under the broker's CSP: add_api_docs below
        openapi_url="/api/v1/openapi.json",
        redoc_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.broker = broker

    async def coded_error(request: Request, error: Exception) -> Response:
        code = _code_of(error)
        extra: dict[str, Any] = {}
        retry_after = getattr(error, "retry_after_seconds", None)
        if isinstance(retry_after, int):
            extra["retry_after"] = retry_after
        fields = getattr(error, "fields", None)  # e.g. purpose_exceeded: what asked too much
        if isinstance(fields, list) and all(isinstance(f, str) for f in fields):
            extra["fields"] = fields
        response = error_response(request, code if code in CATALOGUE else "internal_error", extra=extra)
        if isinstance(retry_after, int):
            response.headers["Retry-After"] = str(retry_after)  # RFC 9110 §10.2.3, for clients and proxies
        return response

    app.add_exception_handler(CodedError, coded_error)  # every error the broker raises on purpose

    async def validation(request: Request, error: Exception) -> Response:
        fields = []
        if isinstance(error, RequestValidationError):
            fields = [".".join(str(p) for p in item.get("loc", ())) for item in error.errors()]
        return error_response(request, "validation_failed", extra={"fields": fields})

    app.add_exception_handler(RequestValidationError, validation)

    async def http_error(request: Request, error: Exception) -> Response:
        status = error.status_code if isinstance(error, StarletteHTTPException) else 500
        code = {404: "not_found", 405: "invalid_request", 401: "unauthorised"}.get(status, "invalid_request")
        response = error_response(request, code, status)
        if isinstance(error, StarletteHTTPException) and error.headers:
            response.headers.update(error.headers)  # e.g. Allow on a 405 (RFC 9110 §15.5.6)
        return response

    app.add_exception_handler(StarletteHTTPException, http_error)

    async def internal_error(request: Request, error: Exception | None = None) -> Response:
        return error_response(request, "internal_error")

    # Starlette's handler for an exception out of a middleware outside AnswerUnhandled (which answers the
    # rest); ContainedFastAPI logs it, as its type and place only, and keeps it from the server.
    app.add_exception_handler(Exception, internal_error)

    provider_api.add_hot_routes(app.router)
    app.include_router(provider_api.router)
    app.include_router(computer.router)
    app.include_router(phone.router)
    app.include_router(purposes_page.router)
    add_api_docs(app, "/api/v1/openapi.json")
    app.mount("/static", StaticFiles(packages=[("databrug.web", "static")]), name="static")

    @app.get("/health", include_in_schema=False)
    async def health() -> dict[str, str]:
        """Liveness: the process serves. It touches no dependency (a Redis outage must not restart it)."""
        return {"status": "ok"}

    @app.get("/ready", include_in_schema=False)
    async def ready(request: Request) -> Response:
        """Readiness: 503 while the session store does not answer a ping in time (the broker cannot serve a
        request without it); a balancer sends traffic elsewhere until it does. 503 too once the process drains
        for a stop (``Broker.drain``)."""
        headers = {"Cache-Control": "no-store"}
        if broker.draining:
            return JSONResponse({"status": "draining"}, status_code=503, headers=headers)
        reachable = await broker.store_reachable(broker.settings.readiness_timeout_seconds)
        if reachable:
            return JSONResponse({"status": "ready"}, headers=headers)
        error = {
            "code": "store_unavailable",
            "message": translate(language(request), "error.store_unavailable.body"),
        }
        return JSONResponse({"status": "unavailable", "error": error}, status_code=503, headers=headers)

    @app.get("/", include_in_schema=False)
    async def root(request: Request) -> Response:
        return render(request, "home.html", "home.title")

    @app.get("/.well-known/databrug-receipt-keys.json", include_in_schema=False)
    async def receipt_keys() -> dict[str, Any]:
        return broker.receipt_keys()

    purposes_body = json.dumps(broker.purposes_document(), ensure_ascii=False, sort_keys=True).encode()

    @app.get("/.well-known/databrug-purposes.json", include_in_schema=False)
    async def purpose_templates() -> Response:
        """Every published purpose template version (docs/purposes.md); the same bytes every time."""
        return Response(
            purposes_body, media_type="application/json", headers={"Cache-Control": "public, max-age=3600"}
        )

    @app.get("/brand/{provider_id}.css", include_in_schema=False)
    async def brand(provider_id: str) -> Response:
        provider = broker.registry.find(provider_id)
        if provider is None:
            return PlainTextResponse("", media_type="text/css")
        colours = provider.branding
        css = f":root {{ --brand: {colours.primary_colour}; --accent: {colours.accent_colour}; }}\n"
        return PlainTextResponse(css, media_type="text/css", headers={"Cache-Control": "max-age=300"})

    app.add_middleware(AnswerUnhandled, answer=internal_error)  # first: the innermost of our middleware
    app.add_middleware(RequestBodyLimit, refusal=_body_refusal)
    # outside the body limit: a cross-site post is refused on its headers, none of its body read
    app.add_middleware(SameOriginOnly, own_origin=broker.settings.broker_url, refusal=_cross_site_refusal)
    traced = tracing.current()
    if traced is not None:  # off: not in the stack at all (the request path stays as benchmarked)
        app.add_middleware(TracedRequests, tracing=traced)  # also inside SecurityHeaders
    # inside SecurityHeaders: it reads the status that one notes; also the access log when that is on
    app.add_middleware(RequestMetrics, metrics=broker.metrics, access_log=broker.settings.access_log)
    app.add_middleware(SecurityHeaders, form_targets=origin_of(broker.settings.digid_issuer_url))
    if broker.settings.bench_decrypt_counts:
        add_decrypt_counts(app)
    return app
