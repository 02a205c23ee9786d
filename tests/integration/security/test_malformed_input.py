"""Malformed credentials of every kind against every authenticated route family, on real servers: the provider
API's bearer tokens, the token endpoint's client credentials, the citizen's cookies on the computer pages and
in the phone app, the demo provider's back office and its webhook receiver. Each answer is the refusal the
catalogue names (401/400 and its code; the demo provider's own answers), never a 500, within a time bound and
without growing the process's memory. And an unexpected exception inside a route: the catalogue's 500, and
no traceback or request data in any log.

The routes come from the apps themselves (a new route joins its family's matrix); the hostile values are
generated here and sent as raw bytes (``http.client`` passes NUL, latin-1 and repeated headers unchanged).
"""

from __future__ import annotations

import base64
import http.client
import json
import logging
import re
import secrets
import threading
import time
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import uvicorn
from tests.support.app_routes import endpoints
from tests.support.broker_server import BrokerServer, bind_socket
from tests.support.digid_flow import Callback, DigidBrowser
from tests.support.leaks import CapturedLogs
from tests.support.provider_stack import offline_broker_link

from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.services import build_services
from databrug.provider_demo.web.app import create_provider_app
from databrug.registrations.access_tokens import TOKEN_PREFIX, issue_access_token
from databrug.sessions.sealing import seal
from databrug.web.server import server_config
from databrug_sandbox.server import SandboxServer

SECONDS = 2.0  # per refusal; each takes milliseconds (a wrong secret pays scrypt, ~50 ms)
RSS_GROWTH_MIB = 64


@dataclass(frozen=True)
class Answer:
    status: int
    code: str  # the error catalogue's code of a JSON error body; "" for any other body
    text: str
    headers: http.client.HTTPMessage


def send(
    url: str, method: str, path: str, headers: Sequence[tuple[str, bytes]] = (), body: bytes = b""
) -> Answer:
    """One request with exactly these header bytes; the answer, checked to come within the time bound."""
    parts = urlsplit(url)
    connection = http.client.HTTPConnection(parts.hostname or "", parts.port, timeout=10)
    started = time.perf_counter()
    try:
        connection.putrequest(method, path, skip_accept_encoding=True)
        for name, value in headers:
            connection.putheader(name, value)
        if body or method == "POST":
            connection.putheader("Content-Length", str(len(body)))
        connection.endheaders(body or None)
        response = connection.getresponse()
        raw = response.read()
    finally:
        connection.close()
    elapsed = time.perf_counter() - started
    assert elapsed < SECONDS, f"{method} {path}: {elapsed:.2f} s"
    text = raw.decode("utf-8", "replace")
    code = ""
    if response.headers.get("content-type", "").startswith("application/json"):
        error = json.loads(raw).get("error") if raw else None
        code = error.get("code", "") if isinstance(error, dict) else ""
    return Answer(response.status, code, text, response.headers)


def rss_kib(field: str) -> int:
    """The test process's own memory (the servers run in its threads), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1])
    raise LookupError(field)


@pytest.fixture
def bounded_memory() -> Iterator[None]:
    """The process's peak RSS over the test stays within the bound of its RSS before (the peak is reset
    first, so what earlier tests used does not count)."""
    Path("/proc/self/clear_refs").write_text("5")  # 5: reset the high-water mark (proc(5))
    before = rss_kib("VmRSS")
    yield
    peak = (rss_kib("VmHWM") - before) / 1024
    assert peak < RSS_GROWTH_MIB, f"peak RSS {peak:.0f} MiB over the start"


JSON = [("Accept", b"application/json")]
# Control bytes in a header (NUL, DEL, ...) are refused by the HTTP parser before the app sees the request:
# uvicorn's own 400, no catalogue code.
_CONTROL_BYTES = re.compile(rb"[\x00-\x08\x0a-\x1f\x7f]")


def expected(headers: Sequence[tuple[str, bytes]], status: int, code: str) -> tuple[int, str]:
    if any(_CONTROL_BYTES.search(value) for _, value in headers):
        return 400, ""
    return status, code


# ---------------------------------------------------------------- the broker and a citizen in a live session


@dataclass(frozen=True)
class Citizen:
    session_id: str
    page_token: str
    app_token: str
    session_key: str  # the dbk cookie's text
    sources: list[str]

    def key(self) -> bytes:
        return base64.urlsafe_b64decode(self.session_key + "=" * (-len(self.session_key) % 4))

    def sealed(self, name: str, value: Any, key: bytes | None = None) -> bytes:
        """A cookie sealed as the phone's own would be (the phone holds the key, so it can make any)."""
        sealed = seal(key or self.key(), self.session_id, name, json.dumps(value).encode())
        return base64.urlsafe_b64encode(bytes(sealed)).rstrip(b"=")


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(
        tmp_path_factory.mktemp("malformed"), sandbox.base_url, sessions_per_minute=10_000
    ) as b:
        yield b


@pytest.fixture(scope="module")
def bearer(broker: BrokerServer) -> str:
    endpoints_ = broker.endpoints()
    form = f"grant_type=client_credentials&client_id={endpoints_.provider_id}&client_secret="
    answer = send(
        broker.url,
        "POST",
        "/api/v1/token",
        [("Content-Type", b"application/x-www-form-urlencoded")],
        (form + quote(endpoints_.client_secret)).encode(),
    )
    assert answer.status == 200
    token: str = json.loads(answer.text)["access_token"]
    return token


@pytest.fixture(scope="module")
def citizen(broker: BrokerServer, bearer: str) -> Citizen:
    """A session opened on a phone (the phone-only journey): page token, app token and session key."""
    created = send(
        broker.url,
        "POST",
        "/api/v1/sessions",
        [*JSON, ("Authorization", f"Bearer {bearer}".encode()), ("Content-Type", b"application/json")],
        b'{"reference": "malformed"}',
    )
    assert created.status == 201
    body = json.loads(created.text)
    page_token = parse_qs(urlsplit(body["citizen_url"]).query)["t"][0]
    opened = send(broker.url, "GET", f"/start?t={page_token}")
    assert opened.status == 303
    started = send(broker.url, "POST", "/c/phone-start", [("Cookie", f"dbp={page_token}".encode())])
    assert started.status == 303
    cookies = {
        name: value
        for header in started.headers.get_all("set-cookie") or []
        for name, _, value in [header.split(";", 1)[0].partition("=")]
    }
    status = send(
        broker.url, "GET", f"/api/v1/sessions/{body['id']}", [("Authorization", f"Bearer {bearer}".encode())]
    )
    return Citizen(body["id"], page_token, cookies["dba"], cookies["dbk"], json.loads(status.text)["sources"])


def broker_routes(
    broker: BrokerServer, citizen: Citizen, prefix: str, public: set[str]
) -> list[tuple[str, str]]:
    """(method, path) of every route of the broker under ``prefix`` but the public ones, parameters filled."""
    values = {"session_id": citizen.session_id, "name": citizen.sources[0], "code": "not_found"}
    found = []
    for endpoint in endpoints(broker.app, "app.css"):
        if endpoint.template.startswith(prefix) and endpoint.template not in public:
            path = endpoint.path(values)
            if path.endswith("/events"):
                path += "?after=0"  # a refusal either way; with valid credentials this is the JSON list
            found.append((endpoint.method, path))
    assert found, prefix
    return found


# ---------------------------------------------------------------- the provider API: bearer tokens


def _b64(data: bytes) -> bytes:
    return base64.urlsafe_b64encode(data).rstrip(b"=")


def malformed_bearers(valid: str) -> dict[str, list[bytes]]:
    """Authorization header values (one list item per header line) that must all be refused."""
    payload, _, signature = valid.removeprefix(TOKEN_PREFIX).partition(".")
    token = valid.encode()
    return {
        "non-ascii (UTF-8)": ["Bearer dbt_éé.é".encode()],
        "latin-1 bytes": [b"Bearer dbt_\xe9\xe9.\xe9"],
        "non-ascii in a valid token": [b"Bearer " + token[:-1] + "é".encode()],
        "wrong prefix": [b"Bearer dbx_" + token[4:]],
        "a citizen token's prefix": [b"Bearer dba_" + _b64(secrets.token_bytes(32))],
        "empty": [b"Bearer "],
        "scheme only": [b"Bearer"],
        "no scheme": [token],
        "another scheme": [b"Basic " + base64.b64encode(b"a:b")],
        "huge": [b"Bearer dbt_" + b"A" * 16_000 + b"." + b"A" * 43],
        "bad base64": [b"Bearer dbt_!!!!.????"],
        "base64 padding": [b"Bearer dbt_" + payload.encode() + b"==." + signature.encode()],
        "no dot": [b"Bearer dbt_" + payload.encode() + signature.encode()],
        "two dots": [b"Bearer " + token + b".x"],
        "only dots": [b"Bearer dbt_" + b"." * 1000],
        "NUL byte": [b"Bearer dbt_a\x00.b"],
        "control bytes": [b"Bearer dbt_a\x01\x7f.b"],
        "signed by another broker": [b"Bearer " + issue_access_token(b"another-secret", "robot").encode()],
        "signature cut short": [b"Bearer " + token[:-2]],
        "payload not JSON, signed by another key": [
            b"Bearer dbt_" + _b64(b"\xff\xfe") + b"." + signature.encode()
        ],
        "valid twice": [b"Bearer " + token, b"Bearer " + token],
        "valid then junk": [b"Bearer " + token, b"Bearer x"],
        "junk then valid": [b"Bearer x", b"Bearer " + token],
    }


def test_malformed_bearer_tokens_are_401_on_every_provider_route(
    broker: BrokerServer, bearer: str, citizen: Citizen, bounded_memory: None
) -> None:
    public = {"/api/v1/token", "/api/v1/openapi.json", "/api/v1/schema/data-package.json"}
    routes = broker_routes(broker, citizen, "/api/", public | {"/api/docs"})
    for name, values in malformed_bearers(bearer).items():
        headers = [*JSON, *(("Authorization", value) for value in values)]
        for method, path in routes:
            answer = send(broker.url, method, path, headers)
            assert (answer.status, answer.code) == expected(headers, 401, "unauthorised"), (
                name,
                method,
                path,
            )
    # and the valid token itself is accepted, so the refusals above are about the malformations
    assert (
        send(
            broker.url,
            "GET",
            f"/api/v1/sessions/{citizen.session_id}",
            [*JSON, ("Authorization", b"Bearer " + bearer.encode())],
        ).status
        == 200
    )


# ---------------------------------------------------------------- the token endpoint: client credentials

FORM = ("Content-Type", b"application/x-www-form-urlencoded")


def basic(raw: bytes) -> tuple[str, bytes]:
    return ("Authorization", b"Basic " + base64.b64encode(raw))


def token_cases(provider_id: str, secret: str) -> dict[str, tuple[list[tuple[str, bytes]], bytes, int, str]]:
    """name: (headers, body, status, code)."""
    grant = b"grant_type=client_credentials"
    good = f"{grant.decode()}&client_id={provider_id}&client_secret={quote(secret)}".encode()
    unauthorised, invalid = (401, "unauthorised"), (400, "invalid_request")
    cases: dict[str, tuple[list[tuple[str, bytes]], bytes, tuple[int, str]]] = {
        "Basic non-ascii": ([("Authorization", "Basic éé".encode())], grant, unauthorised),
        "Basic latin-1": ([("Authorization", b"Basic \xe9\xe9==")], grant, unauthorised),
        "Basic bad base64": ([("Authorization", b"Basic !!!!")], grant, unauthorised),
        "Basic base64 cut": (
            [("Authorization", base64.b64encode(f"{provider_id}:{secret}".encode())[:-3])],
            grant,
            unauthorised,
        ),
        "Basic no colon": ([basic(provider_id.encode() + secret.encode())], grant, unauthorised),
        "Basic empty id": ([basic(b":" + secret.encode())], grant, unauthorised),
        "Basic empty secret": ([basic(provider_id.encode() + b":")], grant, unauthorised),
        "Basic not UTF-8": ([basic(b"\xff\xfe:\xfd")], grant, unauthorised),
        "Basic bad percent escape": ([basic(provider_id.encode() + b":%FF%FE")], grant, unauthorised),
        "Basic NUL": ([basic(provider_id.encode() + b":\x00")], grant, unauthorised),
        "Basic scheme only": ([("Authorization", b"Basic")], grant, unauthorised),
        "Basic huge": ([basic(b"a" * 8000 + b":" + b"b" * 8000)], grant, unauthorised),
        "Basic wrong secret": ([basic(f"{provider_id}:dbs_wrong".encode())], grant, unauthorised),
        "Basic and form": ([basic(f"{provider_id}:{secret}".encode())], good, invalid),
        "two Basic headers": ([basic(f"{provider_id}:{secret}".encode())] * 2, grant, invalid),
        "form non-ascii id": ([], grant + "&client_id=é&client_secret=x".encode(), unauthorised),
        "form latin-1 bytes": ([], grant + b"&client_id=\xe9&client_secret=\xff", unauthorised),
        "form bad escapes": ([], grant + b"&client_id=%FF%FE&client_secret=%C3", unauthorised),
        "form NUL": ([], grant + f"&client_id={provider_id}&client_secret=%00".encode(), unauthorised),
        "form empty id": ([], grant + b"&client_id=&client_secret=x", unauthorised),
        "form empty secret": ([], grant + f"&client_id={provider_id}&client_secret=".encode(), unauthorised),
        "form no secret": ([], grant + f"&client_id={provider_id}".encode(), unauthorised),
        "form no credentials": ([], grant, unauthorised),
        "form wrong secret": (
            [],
            grant + f"&client_id={provider_id}&client_secret=dbs_wrong".encode(),
            unauthorised,
        ),
        "form huge secret": (
            [],
            grant + f"&client_id={provider_id}&client_secret=".encode() + b"x" * 3000,
            unauthorised,
        ),
        "form repeated id": ([], good + b"&client_id=other", unauthorised),
        "a Bearer token instead": ([("Authorization", b"Bearer dbt_x.y")], grant, unauthorised),
    }
    cases_with_form = {
        name: ([FORM, *headers], body, *answer) for name, (headers, body, answer) in cases.items()
    }
    # A body of another shape is not credentials at all: the catalogue's answer for a wrong request.
    multipart = b'--B\r\nContent-Disposition: form-data; name="client_id"\r\n\r\n..\r\n--B--\r\n'
    cases_with_form["JSON body"] = (
        [("Content-Type", b"application/json")],
        json.dumps(
            {"grant_type": "client_credentials", "client_id": provider_id, "client_secret": secret}
        ).encode(),
        422,
        "validation_failed",
    )
    cases_with_form["multipart, a charset that cannot decode"] = (
        [("Content-Type", b"multipart/form-data; boundary=B; charset=punycode")],
        multipart,
        400,
        "invalid_request",
    )
    cases_with_form["multipart, no boundary"] = (
        [("Content-Type", b"multipart/form-data")],
        multipart,
        400,
        "invalid_request",
    )
    return cases_with_form


def test_malformed_client_credentials_are_refused_by_the_token_endpoint(
    broker: BrokerServer, bounded_memory: None
) -> None:
    endpoints_ = broker.endpoints()
    for name, (headers, body, status, code) in token_cases(
        endpoints_.provider_id, endpoints_.client_secret
    ).items():
        answer = send(broker.url, "POST", "/api/v1/token", [*JSON, *headers], body)
        assert (answer.status, answer.code) == expected(headers, status, code), (name, answer.text)
    # both ways of sending good credentials work
    good = basic(f"{endpoints_.provider_id}:{endpoints_.client_secret}".encode())
    assert (
        send(broker.url, "POST", "/api/v1/token", [FORM, good], b"grant_type=client_credentials").status
        == 200
    )


# ---------------------------------------------------------------- the citizen's cookies


def garbled(prefix: str) -> dict[str, bytes]:
    """Cookie values that are no token of kind ``prefix`` (dbp_, dba_)."""
    body = _b64(secrets.token_bytes(32))
    return {
        "empty": b"",
        "non-ascii": (prefix + "é" * 43).encode(),
        "latin-1 bytes": prefix.encode() + b"\xe9" * 43,
        "too short": prefix.encode() + body[:-1],
        "too long": prefix.encode() + body + b"A",
        "another kind": (b"dbq_" if prefix != "dbq_" else b"dbp_") + body,
        "no prefix": body,
        "unknown token": prefix.encode() + body,
        "quoted octal escapes": b'"' + prefix.encode() + b"\\000\\377" + b'"',
        "huge": prefix.encode() + b"A" * 6000,
        "base64 padding": prefix.encode() + body[:-1] + b"=",
        "control bytes": prefix.encode() + b"\x01" * 43,
    }


A_FORM = b"code=123456&consent_applicant=yes"  # what the page's form sends: only the credentials are wrong


def cookie(**values: bytes) -> tuple[str, bytes]:
    return ("Cookie", b"; ".join(name.encode() + b"=" + value for name, value in values.items()))


def test_garbled_page_tokens_are_401_on_every_computer_page(
    broker: BrokerServer, citizen: Citizen, bounded_memory: None
) -> None:
    routes = broker_routes(broker, citizen, "/c/", set())
    for name, value in garbled("dbp_").items():
        for method, path in routes:
            headers = [*JSON, FORM, cookie(dbp=value)]
            answer = send(broker.url, method, path, headers, A_FORM)
            assert (answer.status, answer.code) == expected(headers, 401, "token_invalid"), (
                name,
                method,
                path,
            )
    # the invitation link itself: a token in the query string
    for query in [
        "",
        "é",
        "%C3%A9" * 10,
        "%00" * 10,
        "%FF",
        "dbp_" + "A" * 43,
        "dbq_" + _b64(secrets.token_bytes(32)).decode(),
    ]:
        answer = send(broker.url, "GET", f"/start?t={quote(query, safe='%')}", JSON)
        assert (answer.status, answer.code) == (401, "token_invalid"), (query, answer.text)
    # (the query parameter is declared at most 80 characters long: longer is the schema's refusal)
    assert send(broker.url, "GET", "/start?t=" + "A" * 81, JSON).code == "validation_failed"
    assert send(broker.url, "GET", "/c/info", [*JSON, cookie(dbp=citizen.page_token.encode())]).status != 401


def test_garbled_app_cookies_are_401_on_every_app_route(
    broker: BrokerServer, citizen: Citizen, bounded_memory: None
) -> None:
    public = {"/app/", "/app/manifest.webmanifest", "/app/sw.js", "/app/error/{code}", "/app/pair"}
    routes = broker_routes(broker, citizen, "/app/", public)
    key, app = citizen.session_key.encode(), citizen.app_token.encode()
    keys = {
        "key missing": None,
        "key empty": b"",
        "key not base64": b"!!!!" * 11,
        "key non-ascii": "é".encode() * 43,
        "key latin-1": b"\xe9" * 43,
        "key one byte short": _b64(secrets.token_bytes(31)),
        "key one byte long": _b64(secrets.token_bytes(33)),
        "key huge": b"A" * 6000,
        "key with padding junk": key + b"===",
    }
    for name, value in garbled("dba_").items():
        for method, path in routes:
            headers = [*JSON, FORM, cookie(dba=value, dbk=key)]
            answer = send(broker.url, method, path, headers, A_FORM)
            assert (answer.status, answer.code) == expected(headers, 401, "token_invalid"), (
                name,
                method,
                path,
            )
    # the key opens the phone's sealed data: every route but the pairing screen (app token only) needs it
    for name, session_key in keys.items():
        cookies = cookie(dba=app) if session_key is None else cookie(dba=app, dbk=session_key)
        for method, path in [route for route in routes if route[1] != "/app/pairing"]:
            answer = send(broker.url, method, path, [*JSON, FORM, cookies], A_FORM)
            assert (answer.status, answer.code) == expected([cookies], 401, "token_invalid"), (
                name,
                method,
                path,
            )


def test_garbled_and_forged_sealed_cookies_are_refused(
    broker: BrokerServer, citizen: Citizen, bounded_memory: None
) -> None:
    """The DigiD-token cookie and the DigiD login cookie: garbled, tampered, sealed under another key or for
    another name, and well sealed (the phone holds the key) but of the wrong shape."""
    credentials = cookie(dba=citizen.app_token.encode(), dbk=citizen.session_key.encode())[1]
    good_auth = {"bsn": "000000000", "token": "x", "exp": time.time() + 600}
    real = citizen.sealed("dbd_applicant", good_auth)
    values = {
        "garbled": b"!!!!",
        "non-ascii": "é".encode() * 40,
        "latin-1": b"\xe9" * 40,
        "too short to be sealed": _b64(b"\x01" + b"\x00" * 20),
        "wrong format byte": _b64(b"\x02" + base64.urlsafe_b64decode(real + b"=" * (-len(real) % 4))[1:]),
        "tampered": real[:-2] + (b"AA" if not real.endswith(b"AA") else b"BB"),
        "another key": citizen.sealed("dbd_applicant", good_auth, key=secrets.token_bytes(32)),
        "another name": citizen.sealed("dbd_partner", good_auth),
        "huge": b"A" * 6000,
        "a list": citizen.sealed("dbd_applicant", [1, 2]),
        "expiry not a number": citizen.sealed("dbd_applicant", {**good_auth, "exp": "soon"}),
        "expired": citizen.sealed("dbd_applicant", {**good_auth, "exp": 1}),
        "no token": citizen.sealed("dbd_applicant", {"bsn": "0", "exp": time.time() + 600}),
        "token not text": citizen.sealed("dbd_applicant", {**good_auth, "token": {"x": 1}}),
        "not JSON": _b64(bytes(seal(citizen.key(), citizen.session_id, "dbd_applicant", b"\xff{"))),
    }
    uses_digid = [("POST", "/app/fetch-all"), ("POST", f"/app/sources/{citizen.sources[0]}/fetch")]
    uses_digid.append(("POST", f"/app/sources/{citizen.sources[0]}/upload"))
    for name, value in values.items():
        for method, path in uses_digid:
            answer = send(
                broker.url, method, path, [*JSON, ("Cookie", credentials + b"; dbd_applicant=" + value)]
            )
            assert (answer.status, answer.code) == (401, "digid_token_invalid"), (
                name,
                method,
                path,
                answer.text,
            )
    login = {
        "role": "applicant",
        "state": "s",
        "nonce": "n",
        "code_verifier": "v",
        "redirect_uri": "http://x/",
        "minimum": "midden",
    }
    logins = {
        **{
            name: value
            for name, value in values.items()
            if name not in ("expiry not a number", "expired", "no token", "token not text")
        },
        "another name": citizen.sealed("dba", login),
        "no role": citizen.sealed("dbl", {k: v for k, v in login.items() if k != "role"}),
        "unknown role": citizen.sealed("dbl", {**login, "role": "admin"}),
        "no state": citizen.sealed("dbl", {k: v for k, v in login.items() if k != "state"}),
        "state not text": citizen.sealed("dbl", {**login, "state": ["s"]}),
        "well formed, another state": citizen.sealed("dbl", {**login, "state": "another"}),
    }
    for name, value in logins.items():
        headers = [*JSON, ("Cookie", credentials + b"; dbl=" + value)]
        answer = send(broker.url, "GET", "/app/digid/callback?state=s&code=c", headers)
        assert (answer.status, answer.code) == (400, "digid_state_invalid"), (name, answer.text)
    # a good login cookie, and a DigiD answer (the query) that is not for it
    headers = [*JSON, ("Cookie", credentials + b"; dbl=" + citizen.sealed("dbl", login))]
    for query in [
        "state=%C3%A9&code=c",
        "state=%FF&code=c",
        "state=" + "s" * 5000,
        "code=c",
        "state=&code=c",
    ]:
        answer = send(broker.url, "GET", "/app/digid/callback?" + query, headers)
        assert (answer.status, answer.code) == (400, "digid_state_invalid"), (query[:40], answer.text)


def test_a_login_cookie_cannot_lower_the_digid_level_the_broker_requires(
    broker: BrokerServer, sandbox: SandboxServer, citizen: Citizen
) -> None:
    """The phone holds the key that seals its login cookie, so it could write any level into it: the level
    comes from the broker's rule. A login without the SMS check stays refused."""
    callback = f"{broker.url}/app/digid/callback"
    account = next(a for a in sandbox.idp.accounts.all() if not a.sms_enabled)
    with DigidBrowser(sandbox.base_url, redirect_uri=callback) as idp:
        attempt, end = idp.login(account.username, account.password)
    assert isinstance(end, Callback)
    forged = {
        "role": "applicant",
        "state": attempt.state,
        "nonce": attempt.nonce,
        "code_verifier": attempt.verifier,
        "redirect_uri": attempt.redirect_uri,
        "minimum": "basis",
    }
    credentials = cookie(dba=citizen.app_token.encode(), dbk=citizen.session_key.encode())[1]
    headers = [*JSON, ("Cookie", credentials + b"; dbl=" + citizen.sealed("dbl", forged))]
    answer = send(broker.url, "GET", "/app/digid/callback?" + urlsplit(end.url).query, headers)
    assert (answer.status, answer.code) == (403, "digid_loa_too_low"), answer.text


# ---------------------------------------------------------------- an unexpected exception inside a route


def marker() -> str:
    return "M" + secrets.token_hex(10) + "X"  # 22 characters: fits a session id


def test_an_unexpected_exception_is_the_catalogues_500_and_leaves_no_trace_in_the_logs(
    broker: BrokerServer,
    bearer: str,
    citizen: Citizen,
    monkeypatch: pytest.MonkeyPatch,
    capfd: pytest.CaptureFixture[str],
) -> None:
    planted = marker()

    async def fails(session_id: str, *args: object) -> None:
        request_data = f"{session_id} {planted}"  # noqa: F841 - a local a traceback would show
        raise RuntimeError(f"no such session {session_id}, marker {planted}")

    monkeypatch.setattr(broker.broker.sessions, "provider_session", fails)
    monkeypatch.setattr(broker.broker.sessions, "page_session", fails)
    captured = CapturedLogs()
    server_loggers = [logging.getLogger(name) for name in ("uvicorn", "uvicorn.error", "uvicorn.asgi")]
    for logger in server_loggers:
        logger.addHandler(captured)
    try:
        with captured:
            api = send(
                broker.url,
                "GET",
                f"/api/v1/sessions/ses_{planted}?m={planted}",
                [*JSON, ("Authorization", b"Bearer " + bearer.encode()), ("X-Trace", planted.encode())],
            )
            page = send(
                broker.url,
                "GET",
                f"/c/info?m={planted}",
                [cookie(dbp=citizen.page_token.encode()), ("X-Trace", planted.encode())],
            )
            time.sleep(0.2)  # let the server's log lines land
    finally:
        for logger in server_loggers:
            logger.removeHandler(captured)
    assert (api.status, api.code) == (500, "internal_error")
    assert page.status == 500
    assert page.headers.get("content-type", "").startswith("text/html")
    assert "frame-ancestors" in page.headers.get("content-security-policy", "")  # still inside the headers
    assert planted not in api.text  # (the HTML page links to itself in the other language, query and all)
    out, err = capfd.readouterr()
    logs = captured.text() + out + err
    assert planted not in logs
    assert "Traceback" not in logs
    assert "Exception in ASGI application" not in logs
    assert "type=RuntimeError at=databrug.web.provider_api:" in logs, logs
    assert "route=GET /api/v1/sessions/{session_id}" in logs, logs
    assert "route=GET /c/info" in logs, logs


# ---------------------------------------------------------------- the demo provider: back office and webhooks

WEBHOOK_SECRET = "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode()


@dataclass(frozen=True)
class RunningApp:
    url: str
    app: Any


@pytest.fixture(scope="module")
def provider(tmp_path_factory: pytest.TempPathFactory) -> Iterator[RunningApp]:
    """The demo provider app on a real server, linked to a broker it never needs to reach here."""
    directory = tmp_path_factory.mktemp("provider")
    link = offline_broker_link(WEBHOOK_SECRET)
    sock = bind_socket()
    port = sock.getsockname()[1]
    settings = ProviderSettings(
        port=port, database_url=f"sqlite:///{directory / 'p.sqlite3'}", seed_demo_caseworker=True
    )
    app = create_provider_app(build_services(settings, link=link))
    server = uvicorn.Server(server_config(app, "127.0.0.1", port))
    thread = threading.Thread(target=server.run, kwargs={"sockets": [sock]}, daemon=True)
    thread.start()
    deadline = time.monotonic() + 15
    while not server.started:
        if not thread.is_alive() or time.monotonic() > deadline:
            raise RuntimeError("the provider app did not start")
        time.sleep(0.01)
    yield RunningApp(f"http://127.0.0.1:{port}", app)
    server.should_exit = True
    thread.join(timeout=15)
    sock.close()


def provider_routes(provider: RunningApp, prefix: str, public: set[str]) -> list[tuple[str, str]]:
    values = {"case_id": "case_1", "index": "0"}
    found = [
        (e.method, e.path(values))
        for e in endpoints(provider.app, "app.css")
        if e.template.startswith(prefix) and e.template not in public
    ]
    assert found, prefix
    return found


def test_garbled_back_office_sessions_lead_to_the_login_and_a_garbled_login_is_refused(
    provider: RunningApp, bounded_memory: None
) -> None:
    session_values = {
        **garbled(""),
        "valid shape": _b64(secrets.token_bytes(32)),
        "NUL escaped": b'"\\000"',
    }
    routes = provider_routes(provider, "/backoffice", {"/backoffice/login"})
    for name, value in session_values.items():
        for method, path in routes:
            headers = [FORM, cookie(gv_session=value)]
            answer = send(provider.url, method, path, headers, b"csrf=x")
            if expected(headers, 303, "") == (400, ""):
                assert answer.status == 400, (name, method, path)  # refused by the HTTP parser
            else:
                assert (answer.status, answer.headers["location"]) == (303, "/backoffice/login"), (name, path)
    # the login form: a CSRF cookie and field, then credentials of every malformed kind
    csrf = "c" * 32
    logins = {
        "non-ascii": "username=é&password=é".encode(),
        "latin-1 bytes": b"username=\xe9&password=\xff",
        "bad escapes": b"username=%FF%FE&password=%C3",
        "NUL": b"username=%00&password=%00",
        "empty": b"username=&password=",
        "missing": b"",
        "huge": b"username=" + b"u" * 3000 + b"&password=" + b"p" * 3000,
        "repeated": b"username=a&username=b&password=c",
    }
    for name, body in logins.items():
        answer = send(
            provider.url,
            "POST",
            "/backoffice/login",
            [FORM, cookie(gv_csrf=csrf.encode())],
            body + f"&csrf={csrf}".encode(),
        )
        assert answer.status == 401, (name, answer.status)
    for name, csrf_cookie in {
        "missing": None,
        "garbled": b"\xe9\xe9",
        "other": b"d" * 32,
        "empty": b"",
    }.items():
        headers = [FORM] if csrf_cookie is None else [FORM, cookie(gv_csrf=csrf_cookie)]
        answer = send(
            provider.url, "POST", "/backoffice/login", headers, f"username=a&password=b&csrf={csrf}".encode()
        )
        assert answer.status == 403, (name, answer.status)
    undecodable = b'--B\r\nContent-Disposition: form-data; name="username"\r\n\r\n..\r\n--B--\r\n'
    answer = send(
        provider.url,
        "POST",
        "/backoffice/login",
        [
            ("Content-Type", b"multipart/form-data; boundary=B; charset=punycode"),
            cookie(gv_csrf=csrf.encode()),
        ],
        undecodable,
    )
    assert answer.status == 400, answer.status  # a charset that cannot decode: not a form


def webhook_headers(body: bytes, msg_id: str = "msg_1", ts: str | None = None) -> dict[str, bytes]:
    import hashlib
    import hmac

    stamp = ts or str(int(time.time()))
    key = base64.b64decode(WEBHOOK_SECRET.removeprefix("whsec_"))
    mac = base64.b64encode(hmac.new(key, f"{msg_id}.{stamp}.".encode() + body, hashlib.sha256).digest())
    return {
        "webhook-id": msg_id.encode(),
        "webhook-timestamp": stamp.encode(),
        "webhook-signature": b"v1," + mac,
    }


EVENT = json.dumps(
    {
        "type": "session.paired",
        "timestamp": "2026-01-01T00:00:00Z",
        "data": {"session_id": "ses_x", "state": "paired"},
    }
).encode()


def test_garbled_webhook_signatures_and_bodies_are_400_with_the_sdks_code(
    provider: RunningApp, bounded_memory: None
) -> None:
    good = webhook_headers(EVENT, msg_id="msg_" + secrets.token_hex(8))
    garbles: dict[str, tuple[dict[str, bytes | None], str]] = {
        "id non-ascii": ({"webhook-id": "msg_é".encode()}, "webhook_header_invalid"),
        "id latin-1": ({"webhook-id": b"msg_\xe9"}, "webhook_header_invalid"),
        "id huge": ({"webhook-id": b"m" * 6000}, "webhook_header_invalid"),
        "id missing": ({"webhook-id": None}, "webhook_header_missing"),
        "timestamp not a number": ({"webhook-timestamp": b"soon"}, "webhook_timestamp_invalid"),
        "timestamp non-ascii digits": (
            {"webhook-timestamp": "١٧٦٤٣٣١٢٠٠".encode()},
            "webhook_timestamp_invalid",
        ),
        "timestamp huge": ({"webhook-timestamp": b"9" * 5000}, "webhook_header_invalid"),
        "timestamp old": ({"webhook-timestamp": b"1000000000"}, "webhook_timestamp_too_old"),
        "signature garbled": ({"webhook-signature": b"v1,!!!!"}, "webhook_signature_invalid"),
        "signature latin-1": ({"webhook-signature": b"v1,\xe9\xe9"}, "webhook_signature_invalid"),
        "signature wrong version": (
            {"webhook-signature": b"v2," + good["webhook-signature"][3:]},
            "webhook_signature_invalid",
        ),
        "signature empty": ({"webhook-signature": b""}, "webhook_signature_invalid"),
        "signature missing": ({"webhook-signature": None}, "webhook_header_missing"),
        "many signatures": ({"webhook-signature": b"v1,AAAA " * 1500}, "webhook_header_invalid"),
    }
    for name, (changes, code) in garbles.items():
        headers = {**good, **changes}
        answer = send(
            provider.url,
            "POST",
            "/webhooks/databrug",
            [(k, v) for k, v in headers.items() if v is not None],
            EVENT,
        )
        assert (answer.status, answer.text) == (400, code), name
    bodies = {
        "nested 30,000 deep": b'{"type": "x", "timestamp": "2026-01-01T00:00:00Z", "data": '
        + b"[" * 30_000
        + b"]" * 30_000
        + b"}",
        "not UTF-8": b'{"type": "\xff\xfe", "timestamp": "2026-01-01T00:00:00Z"}',
        "not an object": b"[]",
        "empty": b"",
    }
    for name, body in bodies.items():
        signed = webhook_headers(body, msg_id="msg_" + secrets.token_hex(8))
        answer = send(provider.url, "POST", "/webhooks/databrug", list(signed.items()), body)
        assert (answer.status, answer.text) == (400, "webhook_body_invalid"), name
    deep = b"[" * 100_000 + b"]" * 100_000  # past the receiver's size cap: refused before it is verified
    answer = send(provider.url, "POST", "/webhooks/databrug", list(webhook_headers(deep).items()), deep)
    assert answer.status == 413
    # a well signed event is accepted, so the refusals above are about the garbling
    assert send(provider.url, "POST", "/webhooks/databrug", list(good.items()), EVENT).status == 204
