"""Per-request helpers for pages: language choice, templates with the message catalogue, cookies."""

from __future__ import annotations

import re
from dataclasses import dataclass
from decimal import Decimal
from typing import Any, Protocol
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


class _SessionLike(Protocol):
    @property
    def provider_id(self) -> str: ...
    @property
    def language(self) -> Language | None: ...


@dataclass(frozen=True)
class SessionContext:
    """What every page of a session may show without reading the session again: whose it is (for the
    provider's support contact) and the language the provider said the citizen uses. Neither is personal."""

    provider_id: str
    language: Language | None


_STATE_KEY = "databrug_session"
# Kept in a cookie too, so that a page after the session ended (expired, cancelled) still names the
# provider's support contact; 24 hours, the longest a session lives.
CONTEXT_COOKIE = "dbs"
_PROVIDER_ID = re.compile(r"^[a-z0-9][a-z0-9-]{1,62}$")
_NO_SESSION_KNOWN = frozenset({"session_not_found", "token_invalid", "pairing_token_invalid"})


def remember_session(request: Request, record: _SessionLike) -> None:
    """This request belongs to ``record``'s session: its pages use the session's language and contact."""
    request.state.databrug_session = SessionContext(record.provider_id, record.language)


def session_context(request: Request, error_code: object = None) -> SessionContext | None:
    known = getattr(request.state, _STATE_KEY, None)
    if isinstance(known, SessionContext):
        return known
    if error_code in _NO_SESSION_KNOWN:  # an unknown token: no session, so no provider to name
        return None
    provider_id, _, lang = request.cookies.get(CONTEXT_COOKIE, "").partition(".")
    if not _PROVIDER_ID.match(provider_id):
        return None
    return SessionContext(provider_id, lang if lang in LANGUAGES else None)


def language(request: Request) -> Language:
    """The language the person chose (the switch, then its cookie), else the one the provider gave for this
    session, else the browser's, else Dutch."""
    chosen = request.query_params.get("lang") or request.cookies.get("lang")
    session = session_context(request)
    if chosen not in LANGUAGES and session is not None and session.language is not None:
        return session.language
    return pick_language(
        request.query_params.get("lang"), request.cookies.get("lang"), request.headers.get("accept-language")
    )


def _support_provider(request: Request, context: dict[str, Any]) -> object:
    """The registration whose support contact the footer shows: the page's own, else the session's."""
    if context.get("provider") is not None:
        return context["provider"]
    session = session_context(request, context.get("code"))
    if session is None:
        return None
    return request.app.state.broker.registry.find(session.provider_id)  # None: no longer registered


def render(
    request: Request, template: str, title_key: str, status_code: int = 200, **context: Any
) -> HTMLResponse:
    lang = language(request)
    context = {**context, "provider": _support_provider(request, context)}

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
    known = getattr(request.state, _STATE_KEY, None)
    if isinstance(known, SessionContext):
        value = f"{known.provider_id}.{known.language or ''}"
        response.set_cookie(
            CONTEXT_COOKIE,
            value,
            max_age=24 * 3600,
            samesite="lax",
            httponly=True,
            secure=request.url.scheme == "https",
        )
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
