"""``GET /api/docs``: the provider API's reference, Swagger UI over the broker's own OpenAPI document.

FastAPI's page loads Swagger UI from a CDN and starts it with an inline script: the broker's CSP
(``web/security.py``: ``script-src 'self'``, ``style-src 'self'``) refuses both. This page is one of ours
(``templates/api_docs.html``) with Swagger UI from ``static/vendor/`` (``SOURCE.md`` there) and an external
initializer (``static/api-docs.js``), so the CSP stays as it is."""

from __future__ import annotations

from fastapi import FastAPI, Request
from fastapi.responses import Response

from databrug.web.context import render

SWAGGER_UI_VERSION = "5.35.0"
DOCS_PATH = "/api/docs"


def add_api_docs(app: FastAPI, openapi_url: str) -> None:
    async def api_docs(request: Request) -> Response:
        return render(
            request,
            "api_docs.html",
            "api_docs.title",
            openapi_url=openapi_url,
            swagger_ui_version=SWAGGER_UI_VERSION,
        )

    app.add_api_route(DOCS_PATH, api_docs, methods=["GET"], include_in_schema=False)
