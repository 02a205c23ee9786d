"""Security headers on every response (CSP, frame-ancestors, no-referrer, HSTS on HTTPS)."""

from __future__ import annotations

import re

from starlette.types import ASGIApp, Message, Receive, Scope, Send

CSP = (
    "default-src 'self'; img-src 'self' data: blob:; style-src 'self'; script-src 'self'; "
    "connect-src 'self'; media-src 'self' blob: mediastream:; frame-ancestors 'none'; base-uri 'none'; "
    "form-action 'self' {form_targets}; object-src 'none'"
)

_FORM_ORIGIN = re.compile(r"^https?://(?:[a-z0-9.-]+|\[[0-9a-f:]+\])(?::[0-9]{1,5})?$")


def csp_with_form_target(origin: str) -> str | None:
    """The CSP of one page whose form posts to ``origin`` (another site: the receipt's erasure form goes to
    the provider). None for anything but a plain origin, so that no URL can add a directive."""
    if not _FORM_ORIGIN.match(origin):
        return None
    return CSP.format(form_targets=origin)


_STATIC_HEADERS: list[tuple[bytes, bytes]] = [
    (b"x-content-type-options", b"nosniff"),
    (b"referrer-policy", b"no-referrer"),
    (b"x-frame-options", b"DENY"),
    (b"cross-origin-opener-policy", b"same-origin"),
    (b"permissions-policy", b"camera=(self), microphone=(), geolocation=()"),
]


RESPONSE_STATUS = "databrug.response_status"
"""Scope key under which ``SecurityHeaders`` notes the status of the response it sent."""


class SecurityHeaders:
    """Pure ASGI middleware (no BaseHTTPMiddleware: it would buffer the SSE streams)."""

    def __init__(self, app: ASGIApp, form_targets: str = "") -> None:
        self.app = app
        self.csp = CSP.format(form_targets=form_targets).encode("ascii")

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        https = scope.get("scheme") == "https"

        async def with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                scope[RESPONSE_STATUS] = message["status"]  # for the access log, which then needs no wrapper
                headers = list(message.get("headers", []))
                present = {name.lower() for name, _ in headers}
                headers.extend(h for h in _STATIC_HEADERS if h[0] not in present)
                if b"content-security-policy" not in present:
                    headers.append((b"content-security-policy", self.csp))
                if https:
                    headers.append((b"strict-transport-security", b"max-age=31536000; includeSubDomains"))
                if b"cache-control" not in present:
                    headers.append((b"cache-control", b"no-store"))
                message["headers"] = headers
            await send(message)

        await self.app(scope, receive, with_headers)
