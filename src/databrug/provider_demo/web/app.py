"""The demo provider's FastAPI app, assembled: the public site (``public.py``), the webhook receiver
(``webhook.py``) and the back office (``backoffice.py``, behind the staff dependency in ``staff.py``), with
the security headers, the error pages and the unhandled-error guard around them.

Cookies are HttpOnly and SameSite; cases are addressed by opaque ids and no personal data goes into URLs or
log lines.
"""

from __future__ import annotations

from typing import Any

from fastapi import FastAPI, Request
from fastapi.responses import JSONResponse, Response
from fastapi.staticfiles import StaticFiles

from databrug.provider_demo.accounts import LoginThrottle
from databrug.provider_demo.services import ProviderServices
from databrug.provider_demo.web import backoffice, erasure, public, webhook
from databrug.provider_demo.web.deps import FormRefused, Site
from databrug.provider_demo.web.metrics import ProviderMetrics, RequestMetrics
from databrug.provider_demo.web.pages import Pages
from databrug.provider_demo.web.staff import StaffRequired, to_login
from databrug.provider_demo.web.unhandled import AnswerUnhandled, ContainedFastAPI


def create_provider_app(services: ProviderServices) -> FastAPI:
    app = ContainedFastAPI(
        title="Gezondverzekerd (demo provider)",
        docs_url=None,
        redoc_url=None,
        openapi_url=None,
        # no OpenTelemetry export of requests and exception messages: the dossiers are personal data
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    pages = Pages(services.settings)
    app.state.site = Site(services=services, pages=pages, throttle=LoginThrottle())
    app.mount("/static", StaticFiles(packages=[("databrug.provider_demo.web", "static")]), name="static")

    async def internal_error(request: Request, error: Exception | None = None) -> Response:
        if request.url.path.startswith("/webhooks"):
            return Response("retry", status_code=500, media_type="text/plain")  # the broker retries a 5xx
        return pages.error(request, 500, "error.internal")

    # AnswerUnhandled first, so it is the innermost middleware and its answer gets the security headers;
    # Starlette uses the handler for an error in a middleware outside it (ContainedFastAPI then logs that).
    app.add_middleware(AnswerUnhandled, answer=internal_error)
    app.add_exception_handler(Exception, internal_error)

    @app.middleware("http")
    async def security_headers(request: Request, call_next: Any) -> Response:
        response: Response = await call_next(request)
        response.headers.setdefault(
            "Content-Security-Policy",
            "default-src 'self'; img-src 'self' data:; style-src 'self'; frame-ancestors 'none'; "
            "form-action 'self'",
        )
        response.headers.setdefault("X-Content-Type-Options", "nosniff")
        response.headers.setdefault("Referrer-Policy", "no-referrer")
        return response

    @app.exception_handler(StaffRequired)
    async def not_logged_in(request: Request, exc: StaffRequired) -> Response:
        return to_login()

    @app.exception_handler(FormRefused)
    async def refused(request: Request, exc: FormRefused) -> Response:
        return pages.forbidden(request)

    @app.exception_handler(404)
    async def not_found(request: Request, exc: Exception) -> Response:
        if request.url.path.startswith(("/webhooks", "/static", "/api", "/.well-known")):
            return JSONResponse({"error": "not_found"}, status_code=404)
        return pages.error(request, 404, "error.not_found")

    @app.get("/health")
    async def health() -> dict[str, str]:
        return {"status": "ok"}

    app.include_router(public.router)
    app.include_router(erasure.router)
    app.include_router(webhook.router)
    app.include_router(backoffice.router)
    app.state.metrics = ProviderMetrics()  # served on a private port: databrug provider-demo --metrics-port
    app.add_middleware(RequestMetrics, metrics=app.state.metrics)
    return app
