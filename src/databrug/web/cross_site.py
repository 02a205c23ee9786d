"""Cross-site requests refused: a citizen's form post must come from one of the broker's own pages.

The citizen's cookies are ``SameSite=Lax``, which does not stop a same-site page (in the demo the provider
site and the sandbox run on the broker's host, other ports) from posting with them. ``SameOriginOnly``
refuses every state-changing request (any method but GET, HEAD and OPTIONS) outside the provider API when
the browser says it comes from elsewhere:

- ``Sec-Fetch-Site`` present and not ``same-origin`` (or ``none``: the person typed or bookmarked it);
- ``Origin`` present and not the broker's own origin (``BrokerSettings.broker_url``). ``Origin: null`` is
  what a browser sends with a form post from a page under ``Referrer-Policy: no-referrer`` — the broker's
  own pages (``web/security.py``), but also any attacker's page that asks for it: it passes only when
  ``Sec-Fetch-Site: same-origin`` comes with it, which no page can forge (a browser sets it itself).

A request with neither header passes: a browser that can be abused into a cross-site post sends at least one
of them with it (current browsers send ``Origin`` with every cross-origin POST, and ``Sec-Fetch-Site`` with
every request), while the robot, the SDK and test clients send neither and hold no browser's cookies. The
refusal (403 ``cross_site_request``) is answered from the headers alone, before the route runs or a byte of
the body is read: nothing changes. The provider API (``/api/``) is left alone: bearer tokens, no cookies a
browser would add by itself.
"""

from __future__ import annotations

from collections.abc import Callable

from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

SAFE_METHODS = frozenset({"GET", "HEAD", "OPTIONS"})
_ALLOWED_FETCH_SITES = frozenset({b"same-origin", b"none"})
_NOT_CHECKED = ("/api/",)


def origin_of(url: str) -> str:
    """``scheme://host[:port]`` of a URL, as a browser writes it in ``Origin`` (lower case, no path, no
    default port)."""
    scheme, _, rest = url.lower().partition("://")
    host = rest.split("/", 1)[0]
    default = {"https": ":443", "http": ":80"}.get(scheme)
    if default and host.endswith(default):
        host = host.removesuffix(default)
    return f"{scheme}://{host}"


def is_cross_site(headers: list[tuple[bytes, bytes]], own_origin: bytes) -> bool:
    """Whether a request's headers say a browser sent it from a page not of ``own_origin``."""
    fetch_site: bytes | None = None
    origin: bytes | None = None
    for name, value in headers:
        if name == b"sec-fetch-site":
            fetch_site = value.strip().lower()
        elif name == b"origin":
            origin = value.strip().lower()
    if fetch_site is not None:
        if fetch_site not in _ALLOWED_FETCH_SITES:
            return True
        return origin is not None and origin not in (own_origin, b"null")
    # A browser without fetch metadata (Safari before 16.4): only a real Origin tells, ``null`` proves nothing
    return origin is not None and origin != own_origin


class SameOriginOnly:
    """Pure ASGI middleware: checks the method, the path and two headers; the body stays unread."""

    def __init__(self, app: ASGIApp, *, own_origin: str, refusal: Callable[[Scope], Response]) -> None:
        self.app = app
        self.own_origin = origin_of(own_origin).encode("latin-1")
        self.refusal = refusal

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if (
            scope["type"] == "http"
            and scope["method"] not in SAFE_METHODS
            and not scope["path"].startswith(_NOT_CHECKED)
            and is_cross_site(scope["headers"], self.own_origin)
        ):
            await self.refusal(scope)(scope, receive, send)
            return
        await self.app(scope, receive, send)
