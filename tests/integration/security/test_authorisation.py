"""The authorisation matrix: who may call what. Provider A vs provider B on every provider endpoint; citizen
tokens on the provider API; a provider token on the citizen's pages; expired, tampered and foreign access
tokens; a reused pairing token; the app token of a session that has ended."""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import dataclass
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.provisioning import register
from databrug.registrations.access_tokens import TOKEN_PREFIX, _b64, _unb64, issue_access_token
from databrug.robot.page import Page
from databrug.sdk import generate_provider_keys
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
