"""What the demo provider's routers share (kept on ``app.state``), and reading a form with its limits.

Every POST form carries a CSRF token: a double-submit cookie on the public pages and the login form
(``VisitorFormDep``, here), the login session's token in the back office (``staff.StaffFormDep``).
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Annotated

from fastapi import Depends, HTTPException, Request

from databrug.provider_demo.accounts import LoginThrottle, same_secret
from databrug.provider_demo.services import ProviderServices
from databrug.provider_demo.web.pages import CSRF_COOKIE, Pages

MAX_FORM_FIELDS = 40


@dataclass(frozen=True)
class Site:
    services: ProviderServices
    pages: Pages
    throttle: LoginThrottle
    throttle_erasure: LoginThrottle = field(default_factory=lambda: LoginThrottle(limit=10))
    """Unknown erasure codes per client address (``web/erasure.py``)."""


async def site_of(request: Request) -> Site:
    site: Site = request.app.state.site
    return site


SiteDep = Annotated[Site, Depends(site_of)]


class FormRefused(Exception):
    """A form without a valid CSRF token (or not allowed to this login): answered with the 403 page."""


async def form_of(request: Request) -> dict[str, str]:
    try:
        form = await request.form(max_fields=MAX_FORM_FIELDS, max_files=0)
    except UnicodeError:  # Starlette decodes with the charset the request names; punycode & co. raise this
        raise HTTPException(400, "the form is not in a text encoding") from None
    return {k: v for k, v in form.items() if isinstance(v, str)}


async def visitor_form(request: Request) -> dict[str, str]:
    """A public form (or the login form) whose ``csrf`` field matches the visitor's CSRF cookie."""
    form = await form_of(request)
    cookie = request.cookies.get(CSRF_COOKIE)
    if not (cookie and same_secret(cookie, form.get("csrf", ""))):
        raise FormRefused
    return form


VisitorFormDep = Annotated[dict[str, str], Depends(visitor_form)]
