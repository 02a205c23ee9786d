"""A browser-like walk through the sandbox DigiD login, over real HTTP (tests only).

It does what a browser and a person do: open the authorize URL, follow the IdP's redirects, read the form on
each page, type username and password, read the SMS from the sandbox inbox API, type the code, and stop at
the redirect back to the client. The product logs in through its own OIDC client; this is for tests.
"""

from __future__ import annotations

import base64
import hashlib
import secrets
from dataclasses import dataclass, field
from html.parser import HTMLParser
from typing import Any
from urllib.parse import parse_qsl, urlencode, urljoin, urlsplit

import httpx

TEST_REDIRECT_URI = "http://127.0.0.1:8700/app/digid/callback"
CLIENT_ID = "databrug"


def pkce_pair() -> tuple[str, str]:
    verifier = secrets.token_urlsafe(48)
    challenge = base64.urlsafe_b64encode(hashlib.sha256(verifier.encode()).digest()).rstrip(b"=").decode()
    return verifier, challenge


@dataclass
class Form:
    action: str
    fields: dict[str, str] = field(default_factory=dict)
    buttons: dict[str, str] = field(default_factory=dict)  # name=value of submit buttons (last wins per name)
    input_names: list[str] = field(default_factory=list)


class _FormReader(HTMLParser):
    def __init__(self) -> None:
        super().__init__()
        self.forms: list[Form] = []
        self.labels_for: set[str] = set()
        self.html_lang: str | None = None

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        a = {k: v or "" for k, v in attrs}
        if tag == "html":
            self.html_lang = a.get("lang")
        elif tag == "form":
            self.forms.append(Form(action=a.get("action", "")))
        elif tag == "label" and "for" in a:
            self.labels_for.add(a["for"])
        elif tag == "input" and self.forms:
            form = self.forms[-1]
            name = a.get("name", "")
            if a.get("type") == "hidden":
                form.fields[name] = a.get("value", "")
            elif name:
                form.input_names.append(a.get("id", name))
        elif tag == "button" and self.forms and a.get("name"):
            self.forms[-1].buttons.setdefault(a["name"], a.get("value", ""))


def read_page(html: str) -> _FormReader:
    reader = _FormReader()
    reader.feed(html)
    return reader


@dataclass
class LoginAttempt:
    """One authorization request: what the client keeps between redirect and callback."""

    state: str
    nonce: str
    verifier: str
    challenge: str
    redirect_uri: str = TEST_REDIRECT_URI


@dataclass
class Callback:
    """Where the IdP sent the browser back to: the client's redirect URI with its query parameters."""

    url: str
    params: dict[str, str]

    @property
    def code(self) -> str:
        return self.params["code"]


class DigidBrowser:
    """A cookie-keeping HTTP client that walks the IdP's pages like a browser."""

    def __init__(
        self, base_url: str, client_id: str = CLIENT_ID, redirect_uri: str = TEST_REDIRECT_URI
    ) -> None:
        self.base_url = base_url.rstrip("/")
        self.client_id = client_id
        self.redirect_uri = redirect_uri
        self.http = httpx.Client(follow_redirects=False, timeout=10.0)

    def close(self) -> None:
        self.http.close()

    def __enter__(self) -> DigidBrowser:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # --- building the request ---------------------------------------------------------------------

    def new_attempt(self) -> LoginAttempt:
        verifier, challenge = pkce_pair()
        return LoginAttempt(
            state=secrets.token_urlsafe(16),
            nonce=secrets.token_urlsafe(16),
            verifier=verifier,
            challenge=challenge,
            redirect_uri=self.redirect_uri,
        )

    def authorize_url(self, attempt: LoginAttempt, **overrides: str | None) -> str:
        params: dict[str, str | None] = {
            "response_type": "code",
            "client_id": self.client_id,
            "redirect_uri": attempt.redirect_uri,
            "scope": "openid",
            "state": attempt.state,
            "nonce": attempt.nonce,
            "code_challenge": attempt.challenge,
            "code_challenge_method": "S256",
        }
        params.update(overrides)
        query = {k: v for k, v in params.items() if v is not None}
        return f"{self.base_url}/digid/authorize?{urlencode(query)}"

    # --- walking the pages ------------------------------------------------------------------------

    def _is_callback(self, url: str) -> bool:
        target, base = urlsplit(url), urlsplit(self.redirect_uri)
        return (target.hostname, target.path) == (base.hostname, base.path) and target.port == base.port

    def follow(self, response: httpx.Response) -> httpx.Response | Callback:
        """Follow redirects inside the IdP; stop at (and return) the redirect to the client."""
        for _ in range(10):
            if response.status_code not in (301, 302, 303, 307, 308):
                return response
            location = urljoin(str(response.url), response.headers["location"])
            if self._is_callback(location):
                return Callback(location, dict(parse_qsl(urlsplit(location).query)))
            response = self.http.get(location)
        raise AssertionError("too many redirects")

    def open(self, url: str) -> httpx.Response | Callback:
        return self.follow(self.http.get(url))

    def submit(self, page: httpx.Response, button: str, **typed: str) -> httpx.Response | Callback:
        """Submit the page's first form, pressing the submit button with value ``button``."""
        forms = read_page(page.text).forms
        assert forms, f"no form on the page (HTTP {page.status_code})"
        form = forms[0]
        data = dict(form.fields)
        data.update(typed)
        data["action"] = button
        action = urljoin(str(page.url), form.action)
        return self.follow(self.http.post(action, data=data))

    def sms_code(self, username: str) -> str:
        response = self.http.get(f"{self.base_url}/digid/api/sms", params={"username": username})
        assert response.status_code == 200, response.text
        code: str = response.json()["code"]
        return code

    def login(
        self, username: str, password: str, attempt: LoginAttempt | None = None, /, **authorize: str | None
    ) -> tuple[LoginAttempt, httpx.Response | Callback]:
        """Username + password, then the SMS code when the IdP asks for it. Returns where the walk ended."""
        attempt = attempt or self.new_attempt()
        page = self.open(self.authorize_url(attempt, **authorize))
        if isinstance(page, Callback):
            return attempt, page
        after_password = self.submit(page, "login", username=username, password=password)
        if isinstance(after_password, Callback) or 'name="code"' not in after_password.text:
            return attempt, after_password
        return attempt, self.submit(after_password, "verify", code=self.sms_code(username))

    # --- the client's side of the exchange --------------------------------------------------------

    def exchange(self, code: str, verifier: str | None, redirect_uri: str | None = None) -> httpx.Response:
        data = {
            "grant_type": "authorization_code",
            "code": code,
            "redirect_uri": redirect_uri or self.redirect_uri,
            "client_id": self.client_id,
        }
        if verifier is not None:
            data["code_verifier"] = verifier
        return self.http.post(f"{self.base_url}/digid/token", data=data)

    def tokens(self, username: str, password: str, **authorize: str | None) -> dict[str, Any]:
        """The whole flow; fails the test if any step does not succeed."""
        attempt, end = self.login(username, password, **authorize)
        assert isinstance(end, Callback), f"login did not return to the client (HTTP {end.status_code})"
        assert end.params.get("state") == attempt.state
        assert "code" in end.params, end.params
        response = self.exchange(end.code, attempt.verifier)
        assert response.status_code == 200, response.text
        tokens: dict[str, Any] = response.json()
        tokens["_nonce"] = attempt.nonce
        return tokens
