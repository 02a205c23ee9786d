"""HTML pages of the sandbox DigiD (Jinja templates beside this module, Dutch, marked SANDBOX)."""

from __future__ import annotations

from typing import Any

from jinja2 import Environment, PackageLoader, select_autoescape
from starlette.responses import HTMLResponse

_ENV = Environment(
    loader=PackageLoader("databrug_sandbox.idp", "templates"),
    autoescape=select_autoescape(["html"]),
    trim_blocks=True,
    lstrip_blocks=True,
)

PAGE_HEADERS = {
    "Cache-Control": "no-store",
    "X-Frame-Options": "DENY",
    "Referrer-Policy": "no-referrer",
    "X-Content-Type-Options": "nosniff",
    "Content-Security-Policy": (
        # No form-action rule: Chromium applies it to the redirect back to the client after a form post.
        "default-src 'none'; style-src 'unsafe-inline'; frame-ancestors 'none'; base-uri 'none'"
    ),
}


def page(template: str, status: int = 200, **context: Any) -> HTMLResponse:
    context.setdefault("client_name", "de dienst")
    html = _ENV.get_template(template).render(**context)
    return HTMLResponse(html, status_code=status, headers=PAGE_HEADERS)
