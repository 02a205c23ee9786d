"""The back office's guard, once, as FastAPI dependencies: a caseworker's login from the session cookie
(``StaffDep``), and for a POST also the form carrying that login's CSRF token (``StaffFormDep``)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.responses import RedirectResponse

from databrug.provider_demo.accounts import Login, csrf_ok, current_login
from databrug.provider_demo.web.deps import FormRefused, Site, SiteDep, form_of
from databrug.provider_demo.web.pages import SESSION_COOKIE

LOGIN_PAGE = "/backoffice/login"


class StaffRequired(Exception):
    """No valid back-office login: answered with a redirect to the login page."""


def to_login() -> RedirectResponse:
    return RedirectResponse(LOGIN_PAGE, status_code=303)


def current_staff(site: Site, request: Request) -> Login | None:
    with site.services.db.session() as db:
        return current_login(db, request.cookies.get(SESSION_COOKIE))


async def staff_login(request: Request, site: SiteDep) -> Login:
    login = current_staff(site, request)
    if login is None:
        raise StaffRequired
    return login


StaffDep = Annotated[Login, Depends(staff_login)]


@dataclass(frozen=True)
class StaffForm:
    login: Login
    form: dict[str, str]


async def staff_form(request: Request, login: StaffDep) -> StaffForm:
    """The login is checked before the body is read; a form without the login's CSRF token is refused."""
    form = await form_of(request)
    if not csrf_ok(login, form.get("csrf")):
        raise FormRefused
    return StaffForm(login, form)


StaffFormDep = Annotated[StaffForm, Depends(staff_form)]
