"""The authorisation matrix: who may call what. Provider A vs provider B on every provider endpoint; citizen
tokens on the provider API; a provider token on the citizen's pages; expired, tampered and foreign access
tokens; a reused pairing token; the app token of a session that has ended; a cross-site post to every
state-changing citizen route."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from fastapi.routing import APIRoute
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.provisioning import register
from databrug.registrations.access_tokens import TOKEN_PREFIX, _b64, _unb64, issue_access_token
from databrug.robot.page import Page
from databrug.sdk import generate_provider_keys
from databrug.web import computer, phone
from databrug_sandbox.server import SandboxServer

SESSION_ROUTES = [
    ("GET", "/api/v1/sessions/{id}"),
    ("GET", "/api/v1/sessions/{id}/events?after=0"),
    ("GET", "/api/v1/sessions/{id}/events"),  # the event stream
    ("POST", "/api/v1/sessions/{id}/cancel"),
    ("GET", "/api/v1/sessions/{id}/package"),
    ("POST", "/api/v1/sessions/{id}/package/ack"),
]
CITIZEN_PAGES = ["/c/info", "/c/qr", "/c/progress", "/c/status.json", "/app/sources", "/app/review"]


@dataclass
class Provider:
    id: str
    secret: str
    token: str


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("authz"), sandbox.base_url) as running:
        yield running


@pytest.fixture(scope="module")
def providers(broker: BrokerServer) -> tuple[Provider, Provider]:
    endpoints = broker.endpoints()
    a = Provider(endpoints.provider_id, endpoints.client_secret, access_token(endpoints))
    _, secret, _ = register(
        broker.broker.registry,
        "provider-b",
        "Aanbieder B",
        return_url="http://127.0.0.1/",
        public_jwks=generate_provider_keys().public_jwks,
    )
    token = httpx.post(
        f"{broker.url}/api/v1/token",
        data={"grant_type": "client_credentials", "client_id": "provider-b", "client_secret": secret},
    ).json()["access_token"]
    return a, Provider("provider-b", secret, token)


def bearer(token: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {token}", "Accept": "application/json"}


def call(client: httpx.Client, method: str, path: str, headers: dict[str, str]) -> tuple[int, str]:
    with client.stream(method, path, headers=headers, timeout=10) as response:
        if response.headers.get("content-type", "").startswith("text/event-stream"):
            return response.status_code, "stream"
        body = json.loads(response.read() or b"{}")
    code = body.get("error", {}).get("code", "") if isinstance(body, dict) else ""
    return response.status_code, code


@dataclass
class Citizen:
    session_id: str
    page_token: str
    client: httpx.Client  # holds the page cookie and the app cookies (phone-only journey)

    @property
    def app_token(self) -> str:
        return str(self.client.cookies.get("dba", path="/app"))


def new_citizen(broker: BrokerServer, provider: Provider) -> Citizen:
    with httpx.Client(base_url=broker.url) as api:
        created = api.post("/api/v1/sessions", json={"reference": "authz"}, headers=bearer(provider.token))
    assert created.status_code == 201
    body = created.json()
    page_token = parse_qs(urlsplit(body["citizen_url"]).query)["t"][0]
    client = httpx.Client(base_url=broker.url)
    assert client.get("/start", params={"t": page_token}).status_code == 303
    assert client.post("/c/phone-start").status_code == 303
    return Citizen(body["id"], page_token, client)


def test_provider_b_cannot_touch_provider_a_sessions(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    a, b = providers
    citizen = new_citizen(broker, a)
    with httpx.Client(base_url=broker.url) as api:
        for method, template in SESSION_ROUTES:
            path = template.format(id=citizen.session_id)
            assert call(api, method, path, bearer(b.token)) == (404, "session_not_found"), (method, template)
        # A itself is answered on the same routes (its session exists and is still open).
        assert call(api, "GET", f"/api/v1/sessions/{citizen.session_id}", bearer(a.token))[0] == 200
        assert call(api, "GET", f"/api/v1/sessions/{citizen.session_id}/package", bearer(a.token)) == (
            409,
            "package_not_ready",
        )
        # B's secret does not get a token for A.
        wrong = api.post(
            "/api/v1/token",
            data={"grant_type": "client_credentials", "client_id": a.id, "client_secret": b.secret},
        )
        assert wrong.status_code == 401
    citizen.client.close()


def test_citizen_tokens_do_not_open_the_provider_api(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    citizen = new_citizen(broker, providers[0])
    with httpx.Client(base_url=broker.url) as api:
        for token in (citizen.page_token, citizen.app_token):
            for method, template in [*SESSION_ROUTES, ("POST", "/api/v1/sessions")]:
                path = template.format(id=citizen.session_id)
                assert call(api, method, path, bearer(token)) == (401, "unauthorised"), (method, template)
    # Nor do the citizen's cookies themselves.
    for method, template in SESSION_ROUTES:
        path = template.format(id=citizen.session_id)
        status, code = call(citizen.client, method, path, {"Accept": "application/json"})
        assert (status, code) == (401, "unauthorised"), (method, template)
    citizen.client.close()


def test_a_provider_token_does_not_open_the_citizen_pages(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    a, _ = providers
    new_citizen(broker, a).client.close()  # a live session exists; the provider token opens none of its pages
    with httpx.Client(base_url=broker.url) as outsider:
        for path in CITIZEN_PAGES:
            answer = outsider.get(path, headers=bearer(a.token))
            assert answer.status_code == 401, path
            assert answer.json()["error"]["code"] == "token_invalid", path
        outsider.cookies.set("dbp", a.token, path="/")
        outsider.cookies.set("dba", a.token, path="/app")
        for path in CITIZEN_PAGES:
            assert outsider.get(path).status_code == 401, path


def forged(token: str, provider_id: str) -> str:
    """The same signature over a payload naming another provider."""
    payload, signature = token.removeprefix(TOKEN_PREFIX).split(".")
    claims = json.loads(_unb64(payload))
    claims["p"] = provider_id
    return f"{TOKEN_PREFIX}{_b64(json.dumps(claims, separators=(',', ':')).encode())}.{signature}"


def test_expired_tampered_and_foreign_access_tokens_are_refused(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    a, b = providers
    citizen = new_citizen(broker, a)
    secret = broker.broker.secret
    flipped = a.token[:-3] + ("AAA" if not a.token.endswith("AAA") else "BBB")
    refused = {
        "expired": issue_access_token(secret, a.id, ttl=-1),
        "valid for ten years, signed with the broker secret": issue_access_token(
            secret, a.id, ttl=10 * 365 * 86400
        ),
        "another broker's": issue_access_token(b"another-broker-secret", a.id),
        "signature changed": flipped,
        "payload changed": forged(b.token, a.id),
        "unknown provider": issue_access_token(secret, "no-such-provider"),
        "not a token": "dbt_x",
    }
    with httpx.Client(base_url=broker.url) as api:
        assert call(api, "GET", f"/api/v1/sessions/{citizen.session_id}", bearer(a.token))[0] == 200
        for name, token in refused.items():
            answer = call(api, "GET", f"/api/v1/sessions/{citizen.session_id}", bearer(token))
            assert answer == (401, "unauthorised"), name
    citizen.client.close()


def test_a_pairing_token_works_once(broker: BrokerServer, providers: tuple[Provider, Provider]) -> None:
    a, _ = providers
    with httpx.Client(base_url=broker.url) as api:
        created = api.post("/api/v1/sessions", json={"reference": "qr"}, headers=bearer(a.token)).json()
    computer = httpx.Client(base_url=broker.url)
    computer.get("/start", params=parse_qs(urlsplit(created["citizen_url"]).query))
    qr = Page.read(broker.url, 200, computer.get("/c/qr").text)
    token = qr.text("pairing-token")
    with httpx.Client(base_url=broker.url) as phone, httpx.Client(base_url=broker.url) as second:
        assert phone.post("/app/pair", data={"t": token}).status_code == 303
        again = second.post("/app/pair", data={"t": token}, headers={"Accept": "application/json"})
        assert (again.status_code, again.json()["error"]["code"]) == (409, "pairing_token_used")
        assert "dba" not in second.cookies
    computer.close()


@pytest.mark.parametrize("ending", ["cancelled by the provider", "declined by the citizen"])
def test_the_app_token_of_an_ended_session_opens_nothing(
    broker: BrokerServer, providers: tuple[Provider, Provider], ending: str
) -> None:
    a, _ = providers
    citizen = new_citizen(broker, a)
    assert citizen.client.get("/app/sources").status_code == 200
    if ending == "cancelled by the provider":
        with httpx.Client(base_url=broker.url) as api:
            assert (
                call(api, "POST", f"/api/v1/sessions/{citizen.session_id}/cancel", bearer(a.token))[0] == 200
            )
    else:
        assert citizen.client.post("/app/decline").status_code == 200
    for method, path in [("GET", "/app/sources"), ("POST", "/app/fetch-all"), ("GET", "/app/review")]:
        answer = citizen.client.request(method, path, headers={"Accept": "application/json"})
        assert answer.status_code in (401, 410), (method, path)
        assert answer.json()["error"]["code"] in ("session_cancelled", "token_invalid"), (method, path)
    citizen.client.close()


# -- cross-site requests: every state-changing citizen route refuses a post from another site's page

HOSTILE_SENDERS = {
    "Origin of another site": {"Origin": "https://evil.example"},
    "Origin of a same-site page on another port": {"Origin": "http://127.0.0.1:1"},
    "Origin null (a page asking for no-referrer, a sandboxed frame), no fetch metadata": {"Origin": "null"},
    "Origin null and Sec-Fetch-Site cross-site": {"Origin": "null", "Sec-Fetch-Site": "cross-site"},
    "Sec-Fetch-Site cross-site": {"Sec-Fetch-Site": "cross-site"},
    "Sec-Fetch-Site same-site": {"Sec-Fetch-Site": "same-site"},
    "Sec-Fetch-Site same-origin but Origin of another site": {
        "Sec-Fetch-Site": "same-origin",
        "Origin": "https://evil.example",
    },
}


def state_changing_routes() -> list[tuple[str, str]]:
    """Every route of the computer pages and the app that changes state (any method but GET/HEAD), with
    its path parameters filled in: a route added later is in the matrix without anyone listing it."""
    found = []
    for route in [*computer.router.routes, *phone.router.routes]:
        assert isinstance(route, APIRoute)
        for method in sorted(set(route.methods or ()) - {"GET", "HEAD"}):
            found.append((method, route.path.format(name="brp")))
    return found


def test_the_matrix_has_every_state_changing_citizen_route() -> None:
    routes = state_changing_routes()
    for expected in [
        ("POST", "/c/phone-start"),
        ("POST", "/c/confirm"),
        ("POST", "/app/pair"),
        ("POST", "/app/sources/brp/fetch"),
        ("POST", "/app/fetch-all"),
        ("POST", "/app/sources/brp/skip"),
        ("POST", "/app/sources/brp/upload"),
        ("POST", "/app/next"),
        ("POST", "/app/consent"),
        ("POST", "/app/decline"),
    ]:
        assert expected in routes


def status_of(broker: BrokerServer, provider: Provider, session_id: str) -> dict[str, object]:
    with httpx.Client(base_url=broker.url) as api:
        answer = api.get(f"/api/v1/sessions/{session_id}", headers=bearer(provider.token))
    assert answer.status_code == 200
    body: dict[str, object] = answer.json()
    return body


def test_a_cross_site_post_is_refused_and_changes_nothing(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    a, _ = providers
    citizen = new_citizen(broker, a)  # paired on the phone: its cookies open every route
    before = status_of(broker, a, citizen.session_id)
    form = {"t": "dbq_x", "code": "000000", "consent_applicant": "yes"}
    for method, path in state_changing_routes():
        for sender, headers in HOSTILE_SENDERS.items():
            as_json = citizen.client.request(
                method, path, data=form, headers={**headers, "Accept": "application/json"}
            )
            assert as_json.status_code == 403, (method, path, sender)
            assert as_json.json()["error"]["code"] == "cross_site_request", (method, path, sender)
            as_page = citizen.client.request(method, path, data=form, headers=headers)
            assert as_page.status_code == 403, (method, path, sender)
            page = Page.read(str(as_page.url), as_page.status_code, as_page.text)
            assert page.attrs["error"]["data-code"] == "cross_site_request", (method, path, sender)
    assert status_of(broker, a, citizen.session_id) == before  # not declined, not touched, nothing fetched
    # From the broker's own pages the same cookies work: a same-origin decline ends the session. Chromium
    # sends Origin null from a page under Referrer-Policy: no-referrer, with Sec-Fetch-Site: same-origin.
    own = {"Origin": "null", "Sec-Fetch-Site": "same-origin"}
    assert citizen.client.post("/app/decline", headers=own).status_code == 200
    assert status_of(broker, a, citizen.session_id)["state"] == "cancelled"
    citizen.client.close()


def test_pairing_and_confirming_refuse_a_cross_site_post(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    a, _ = providers
    with httpx.Client(base_url=broker.url) as api:
        created = api.post("/api/v1/sessions", json={"reference": "csrf"}, headers=bearer(a.token)).json()
    own = {"Origin": broker.url, "Sec-Fetch-Site": "same-origin"}
    with httpx.Client(base_url=broker.url) as computer, httpx.Client(base_url=broker.url) as phone:
        computer.get("/start", params=parse_qs(urlsplit(created["citizen_url"]).query))
        token = Page.read(broker.url, 200, computer.get("/c/qr").text).text("pairing-token")
        refused = phone.post("/app/pair", data={"t": token}, headers={"Origin": "https://evil.example"})
        assert refused.status_code == 403
        assert "dba" not in phone.cookies
        paired = phone.post("/app/pair", data={"t": token}, headers=own)  # the token was not used up
        assert paired.status_code == 303
        code = str(phone.cookies.get("dbc", path="/app"))
        refused = computer.post("/c/confirm", data={"code": code}, headers={"Sec-Fetch-Site": "cross-site"})
        assert refused.status_code == 403
        assert status_of(broker, a, created["id"])["state"] == "opened"
        assert computer.post("/c/confirm", data={"code": code}, headers=own).status_code == 303
        assert status_of(broker, a, created["id"])["state"] == "paired"


def test_the_provider_api_and_the_pages_reads_are_not_origin_checked(
    broker: BrokerServer, providers: tuple[Provider, Provider]
) -> None:
    """Bearer tokens, no cookies a browser adds by itself: a provider's web front end may call the API
    from its own origin. And a GET is never refused: the invitation link is opened from a mail client."""
    a, _ = providers
    evil = {"Origin": "https://evil.example", "Sec-Fetch-Site": "cross-site"}
    with httpx.Client(base_url=broker.url) as api:
        created = api.post(
            "/api/v1/sessions", json={"reference": "cors"}, headers={**bearer(a.token), **evil}
        )
        assert created.status_code == 201
        page_token = parse_qs(urlsplit(created.json()["citizen_url"]).query)["t"][0]
        assert api.get("/start", params={"t": page_token}, headers=evil).status_code == 303
