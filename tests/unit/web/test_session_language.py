"""Which language a broker page speaks: the person's switch, then the language the provider gave for the
session, then the browser's, then Dutch; and whose support contact a page without a live session names."""

from __future__ import annotations

from types import SimpleNamespace
from typing import Any

import pytest
from starlette.requests import Request

from databrug.web.context import CONTEXT_COOKIE, language, remember_session, session_context


def request(query: str = "", cookies: dict[str, str] | None = None, accept: str = "nl-NL") -> Request:
    cookie = "; ".join(f"{k}={v}" for k, v in (cookies or {}).items())
    headers = [(b"accept-language", accept.encode())] + ([(b"cookie", cookie.encode())] if cookie else [])
    scope: dict[str, Any] = {
        "type": "http",
        "method": "GET",
        "path": "/c/info",
        "query_string": query.encode(),
        "headers": headers,
        "state": {},
    }
    return Request(scope)


def in_session(page: Request, lang: Any) -> Request:
    remember_session(page, SimpleNamespace(provider_id="woonstichting", language=lang))
    return page


@pytest.mark.parametrize(
    ("page", "expected"),
    [
        (in_session(request(accept="nl-NL"), "en"), "en"),  # the provider's word beats the browser's
        (in_session(request(accept="en-GB"), "nl"), "nl"),
        (in_session(request(accept="en-GB"), None), "en"),  # none given: the browser's
        (in_session(request(cookies={"lang": "nl"}), "en"), "nl"),  # the person's switch wins
        (in_session(request(query="lang=nl"), "en"), "nl"),
        (request(accept="fr"), "nl"),
    ],
)
def test_the_language_of_a_page(page: Request, expected: str) -> None:
    assert language(page) == expected


def test_after_the_session_ended_its_cookie_still_names_the_provider_and_language() -> None:
    page = request(cookies={CONTEXT_COOKIE: "woonstichting.en"})
    found = session_context(page, "session_expired")
    assert found is not None
    assert (found.provider_id, found.language) == ("woonstichting", "en")
    assert language(page) == "en"


@pytest.mark.parametrize("code", ["session_not_found", "token_invalid", "pairing_token_invalid"])
def test_an_unknown_token_names_no_provider(code: str) -> None:
    assert session_context(request(cookies={CONTEXT_COOKIE: "woonstichting.en"}), code) is None


@pytest.mark.parametrize("value", ["", "Not A Provider.en", "../x.en", "a" * 80 + ".nl"])
def test_a_cookie_that_names_no_valid_provider_id_is_ignored(value: str) -> None:
    assert session_context(request(cookies={CONTEXT_COOKIE: value})) is None
