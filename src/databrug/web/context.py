"""Per-request helpers for pages: language choice, templates with the message catalogue, cookies."""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any
from urllib.parse import urlencode

from fastapi import Request
from fastapi.responses import HTMLResponse, Response
from fastapi.templating import Jinja2Templates
from jinja2 import Environment, PackageLoader, select_autoescape

from databrug.web.i18n import LANGUAGES, Language, pick_language, translate

LANGUAGE_LABELS: dict[Language, str] = {"nl": "Nederlands", "en": "English"}

_environment = Environment(
    loader=PackageLoader("databrug.web", "templates"),
    autoescape=select_autoescape(["html", "xml"]),
    auto_reload=False,
)
templates = Jinja2Templates(env=_environment)

_ISO_DATE = re.compile(r"^(\d{4})-(\d{2})-(\d{2})$")
_DECIMAL = re.compile(r"^-?\d+\.\d+$")
# Every decimal in the data model is an amount in euros, except these
_NOT_MONEY = frozenset({"hours"})


def shown_value(value: object, field: str, lang: Language) -> str:
    """A value as people read it: dates as 31-12-2026, amounts as € 1.234,56 (nl) or €1,234.56 (en)."""
    text = str(value)
    date = _ISO_DATE.match(text)
    if date:
        year, month, day = date.groups()
        return f"{day}-{month}-{year}" if lang == "nl" else f"{day}/{month}/{year}"
    if _DECIMAL.match(text):
        number = f"{Decimal(text):,.2f}"
        if lang == "nl":
            number = number.translate(str.maketrans(",.", ".,"))
        return number if field in _NOT_MONEY else (f"€ {number}" if lang == "nl" else f"€{number}")
    return text


_environment.globals["shown_value"] = shown_value


def language(request: Request) -> Language:
    return pick_language(
        request.query_params.get("lang"), request.cookies.get("lang"), request.headers.get("accept-language")
    )


def render(
    request: Request, template: str, title_key: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)

    def t(key: str, **params: object) -> str:
        return translate(lang, key, **params)

    response = templates.TemplateResponse(
        request,
        template,
        {
            "lang": lang,
            "t": t,
            "title": t(title_key),
            "languages": [
                (code, LANGUAGE_LABELS[code], _switch_href(request, code, context.get("code")))
                for code in LANGUAGES
            ],
            "in_app": request.url.path.startswith("/app"),
            **context,
        },
        status_code=status_code,
    )
    if request.query_params.get("lang") in LANGUAGES:
        response.set_cookie("lang", lang, max_age=365 * 24 * 3600, samesite="lax", httponly=True)
    return response


# Addresses not to fetch twice (a DigiD answer is single use): their pages switch language elsewhere.
_ONCE_ONLY = ("/app/digid/callback",)


def _switch_href(request: Request, code: Language, error_code: object = None) -> str:
    """The same page in another language. A page shown after a form post (or a single-use answer) cannot be
    fetched again: an error page switches to the same error's own address, any other page to the start of
    the app or of the computer pages (both pick up where the person is)."""
    once = request.method != "GET" or request.url.path in _ONCE_ONLY
    if once and isinstance(error_code, str):
        return f"/app/error/{error_code}?lang={code}"
    if once:
        path = "/app/" if request.url.path.startswith("/app") else "/c/qr"
        return f"{path}?lang={code}"
    params = [(k, v) for k, v in request.query_params.multi_items() if k != "lang"]
    return f"{request.url.path}?{urlencode([*params, ('lang', code)])}"


def set_private_cookie(request: Request, response: Response, name: str, value: str, path: str) -> None:
    response.set_cookie(
        name,
        value,
        path=path,
        httponly=True,
        samesite="lax",
        secure=request.url.scheme == "https",
        max_age=24 * 3600,
    )
