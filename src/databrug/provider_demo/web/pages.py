"""The demo provider's HTML pages: templates, language, the CSRF cookie every page sets, the error pages."""

from __future__ import annotations

import secrets
from decimal import Decimal
from typing import Any

from fastapi import Request
from fastapi.responses import HTMLResponse
from jinja2 import Environment, PackageLoader, pass_context, select_autoescape

from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.mail import dutch_time
from databrug.provider_demo.web.i18n import LANGUAGES, Language, pick_language, translate

SESSION_COOKIE = "gv_session"
CSRF_COOKIE = "gv_csrf"
LANG_COOKIE = "gv_lang"


def _env() -> Environment:
    env = Environment(
        loader=PackageLoader("databrug.provider_demo.web", "templates"),
        autoescape=select_autoescape(["html"]),
        trim_blocks=True,
        lstrip_blocks=True,
    )
    env.filters["money"] = _money
    env.filters["local_time"] = dutch_time
    return env


@pass_context
def _money(context: Any, value: object) -> str:
    """€ 1.401,50 in Dutch, € 1,401.50 in English; "–" for no value."""
    if value is None:
        return "–"
    text = f"{Decimal(str(value)):,.2f}"
    if context.get("lang") == "nl":
        text = text.replace(",", " ").replace(".", ",").replace(" ", ".")
    return f"€ {text}"


class Pages:
    """Renders a template in the visitor's language, with the double-submit CSRF cookie set if missing."""

    def __init__(self, settings: ProviderSettings) -> None:
        self.env = _env()
        self.secure_cookies = settings.secure_cookies

    @staticmethod
    def language(request: Request) -> Language:
        return pick_language(
            request.query_params.get("lang"),
            request.cookies.get(LANG_COOKIE),
            request.headers.get("accept-language"),
        )

    def render(self, request: Request, template: str, status: int = 200, **context: Any) -> HTMLResponse:
        lang = self.language(request)

        def t(key: str, **params: object) -> str:
            return translate(lang, key, **params)

        path = request.url.path
        csrf = request.cookies.get(CSRF_COOKIE) or secrets.token_urlsafe(24)
        html = self.env.get_template(template).render(
            lang=lang,
            t=t,
            languages=[(code, translate(code, "language.name"), f"{path}?lang={code}") for code in LANGUAGES],
            anon_csrf=csrf,
            **context,
        )
        response = HTMLResponse(html, status_code=status, headers={"Cache-Control": "no-store"})
        if CSRF_COOKIE not in request.cookies:
            response.set_cookie(
                CSRF_COOKIE, csrf, httponly=True, samesite="strict", secure=self.secure_cookies
            )
        if request.query_params.get("lang") in LANGUAGES:
            response.set_cookie(LANG_COOKIE, lang, samesite="lax", secure=self.secure_cookies)
        return response

    def error(self, request: Request, status: int, message_key: str) -> HTMLResponse:
        return self.render(request, "error.html", status=status, message_key=message_key)

    def forbidden(self, request: Request) -> HTMLResponse:
        return self.error(request, 403, "error.csrf")
