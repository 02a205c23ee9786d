"""Rate limits: pairing attempts per client address (short codes tried by scanning bots) and per pairing,
token requests per client id and per address (each wrong secret costs a scrypt), session creation per
provider. Past a limit: 429 rate_limited with Retry-After, on the page and in the API; others are not
affected. The client address is the TCP peer's unless the peer is a configured trusted proxy (then the
nearest untrusted address of X-Forwarded-For): a balancer's many citizens each have their own budget, and a
client cannot buy a fresh one by writing the header itself."""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import pytest
from starlette.types import ASGIApp
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.bootstrap import build_broker
from databrug.broker import Broker
from databrug.broker import providers as broker_providers
from databrug.cli import edge_limits
from databrug.config import Settings
from databrug.provisioning import provision_robot, register
from databrug.registrations.credentials import verify_secret
from databrug.robot.page import Page
from databrug.robot.setup import load_endpoints
from databrug.sdk import generate_provider_keys
from databrug.web.app import create_app
from databrug.web.server import server_config
from databrug_sandbox.server import SandboxServer

SESSION_LIMIT = 5
PAIRING_LIMIT = 30


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    """A real server that trusts loopback as its proxy; small limits so the tests need not send hundreds."""
    with BrokerServer(
        tmp_path_factory.mktemp("rates"),
        sandbox.base_url,
        sessions_per_minute=SESSION_LIMIT,
        pairing_attempts_per_minute=PAIRING_LIMIT,
        trusted_proxies="127.0.0.1",
    ) as running:
        yield running


def test_the_limits_are_those_of_the_design() -> None:
    defaults = Settings()
    assert defaults.pairing_attempts_per_minute == 300  # a NAT full of citizens shares one address
    assert defaults.pairing_attempts_per_token_per_minute == 10
    assert defaults.token_requests_per_minute == 600
    assert defaults.token_requests_per_address_per_minute == 600
    assert defaults.sessions_per_minute == 600
    assert (
        defaults.trusted_proxies == ""
    )  # no proxy trusted unless configured: uvicorn's own default is loopback
    assert edge_limits(defaults).trusted_proxies == ()


def test_trusted_proxies_are_addresses_or_networks() -> None:
    settings = Settings(trusted_proxies=" 10.0.0.0/8, 192.168.1.7 ,::1,2001:db8::/32")
    assert settings.trusted_proxy_networks() == ("10.0.0.0/8", "192.168.1.7", "::1", "2001:db8::/32")
    assert Settings(trusted_proxies="10.1.2.3/8").trusted_proxy_networks() == ("10.0.0.0/8",)
    for wrong in ("*", "balancer.internal", "10.0.0.0/33"):
        with pytest.raises(ValueError, match="trusted_proxies"):
            Settings(trusted_proxies=wrong)


def pair(client: httpx.Client, address: str, token: str) -> httpx.Response:
    # The server trusts X-Forwarded-For from loopback (a proxy in front): each test address is a client.
    return client.post("/app/pair", data={"t": token}, headers={"X-Forwarded-For": address})


def test_pairing_attempts_are_limited_per_client_address(broker: BrokerServer) -> None:
    limit = broker.settings.pairing_attempts_per_minute
    with httpx.Client(base_url=broker.url) as guesser:
        answers = [pair(guesser, "198.51.100.7", f"ABC-{n:03d}") for n in range(limit)]
        assert {a.status_code for a in answers} == {404}  # wrong codes, but still answered
        blocked = pair(guesser, "198.51.100.7", "ABC-999")
        assert blocked.status_code == 429
        assert blocked.headers["retry-after"] == "60"
        page = Page.read(str(blocked.url), blocked.status_code, blocked.text)
        assert page.attrs["error"]["data-code"] == "rate_limited"
        as_json = guesser.post(
            "/app/pair",
            data={"t": "ABC-998"},
            headers={"X-Forwarded-For": "198.51.100.7", "Accept": "application/json"},
        )
        assert as_json.status_code == 429
        assert as_json.json()["error"]["code"] == "rate_limited"
        assert as_json.json()["error"]["retry_after"] == 60
        # Another address is not held up by this one.
        assert pair(guesser, "198.51.100.8", "ABC-000").status_code == 404


def create(client: httpx.Client, token: str) -> httpx.Response:
    return client.post(
        "/api/v1/sessions", json={"reference": "rate"}, headers={"Authorization": f"Bearer {token}"}
    )


def test_session_creation_is_limited_per_provider(broker: BrokerServer) -> None:
    keys = generate_provider_keys()
    _, secret, _ = register(
        broker.broker.registry,
        "second-provider",
        "Tweede aanbieder",
        return_url="http://127.0.0.1/",
        public_jwks=keys.public_jwks,
    )
    first = access_token(broker.endpoints())
    with httpx.Client(base_url=broker.url) as api:
        second = api.post(
            "/api/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": "second-provider",
                "client_secret": secret,
            },
        ).json()["access_token"]
        assert [create(api, first).status_code for _ in range(SESSION_LIMIT)] == [201] * SESSION_LIMIT
        refused = create(api, first)
        assert refused.status_code == 429
        assert refused.json()["error"]["code"] == "rate_limited"
        assert create(api, second).status_code == 201  # the limit is per provider


# -- straight at the ASGI app, wrapped as `databrug serve` wraps it (uvicorn's proxy-header middleware)

BALANCER = "10.0.0.7"
"""The balancer's address: inside the trusted network below."""


@dataclass
class Edge:
    """The broker's app as uvicorn serves it, for requests from a chosen TCP peer."""

    broker: Broker
    app: ASGIApp
    provider_id: str
    client_secret: str

    def client(self, peer: str) -> httpx.AsyncClient:
        transport = httpx.ASGITransport(app=self.app, client=(peer, 40000))
        return httpx.AsyncClient(transport=transport, base_url=self.broker.settings.broker_url)

    async def pairing_tokens(self, count: int) -> list[str]:
        """Sessions whose computer page shows a QR code: the pairing tokens they carry."""
        sources = self.broker.provider(self.provider_id).sources()

        async def one(n: int) -> str:
            _, page = await self.broker.sessions.create_session(self.provider_id, f"nat-{n}", sources)
            await self.broker.sessions.open_page(page)
            issued = await self.broker.sessions.pairing.issue(page)
            return issued.token.reveal()

        return list(await asyncio.gather(*(one(n) for n in range(count))))


@pytest.fixture
async def edge(tmp_path: Path, request: pytest.FixtureRequest) -> AsyncIterator[Edge]:
    overrides: dict[str, Any] = getattr(request, "param", {})
    settings = Settings(
        providers_file=tmp_path / "providers.json", broker_secret="rate-limit-tests", **overrides
    )
    provision_robot(settings, tmp_path / "robot.json")
    endpoints = load_endpoints(tmp_path / "robot.json")
    broker = build_broker(settings)
    config = server_config(create_app(broker, background=False), "127.0.0.1", 0, limits=edge_limits(settings))
    config.load()
    yield Edge(broker, config.loaded_app, endpoints.provider_id, endpoints.client_secret)
    await broker.close()


def forwarded(address: str) -> dict[str, str]:
    return {"X-Forwarded-For": address, "Accept": "application/json"}


@pytest.mark.parametrize("edge", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_a_thousand_citizens_behind_one_balancer_pair_at_once(edge: Edge) -> None:
    tokens = await edge.pairing_tokens(1000)
    async with edge.client(BALANCER) as balancer:
        answers = await asyncio.gather(
            *(
                balancer.post(
                    "/app/pair", data={"t": token}, headers=forwarded(f"100.64.{n // 250}.{n % 250}")
                )
                for n, token in enumerate(tokens)
            )
        )
    assert [a.status_code for a in answers] == [303] * 1000


async def test_behind_an_untrusted_balancer_its_citizens_share_one_budget(edge: Edge) -> None:
    """The mistake the recipe now avoids: without trusted proxies every citizen is the balancer's address."""
    limit = edge.broker.settings.pairing_attempts_per_minute
    tokens = await edge.pairing_tokens(limit + 1)
    async with edge.client(BALANCER) as balancer:
        answers = [
            await balancer.post("/app/pair", data={"t": token}, headers=forwarded(f"100.64.0.{n % 250}"))
            for n, token in enumerate(tokens)
        ]
    assert [a.status_code for a in answers] == [303] * limit + [429]


@pytest.mark.parametrize(
    "edge", [{"pairing_attempts_per_minute": 5, "trusted_proxies": "10.0.0.0/8"}], indirect=True
)
async def test_a_client_cannot_choose_its_own_address(edge: Edge) -> None:
    # Straight from an untrusted peer: its X-Forwarded-For is ignored, whatever it says.
    async with edge.client("203.0.113.9") as direct:
        answers = [
            (
                await direct.post("/app/pair", data={"t": "ABC-000"}, headers=forwarded(f"198.51.100.{n}"))
            ).status_code
            for n in range(6)
        ]
    assert answers == [404] * 5 + [429]
    # Through the trusted balancer, with a made-up address written before the one the balancer added: the
    # nearest untrusted address (the real client) counts, not the first.
    async with edge.client(BALANCER) as balancer:
        answers = [
            (
                await balancer.post(
                    "/app/pair", data={"t": "ABC-000"}, headers=forwarded(f"198.51.100.{n}, 192.0.2.50")
                )
            ).status_code
            for n in range(6)
        ]
        assert answers == [404] * 5 + [429]
        # another citizen behind the same balancer still has their budget
        other = await balancer.post("/app/pair", data={"t": "ABC-000"}, headers=forwarded("192.0.2.51"))
        assert other.status_code == 404


@pytest.mark.parametrize("edge", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_one_pairing_hammered_from_many_addresses_is_limited(edge: Edge) -> None:
    limit = edge.broker.settings.pairing_attempts_per_token_per_minute
    (token,) = await edge.pairing_tokens(1)
    async with edge.client(BALANCER) as balancer:
        answers = [
            await balancer.post("/app/pair", data={"t": token}, headers=forwarded(f"198.51.100.{n}"))
            for n in range(limit + 1)
        ]
        codes = [(a.status_code, a.json()["error"]["code"] if a.status_code != 303 else "") for a in answers]
        assert codes == [(303, "")] + [(409, "pairing_token_used")] * (limit - 1) + [(429, "rate_limited")]
        (fresh,) = await edge.pairing_tokens(1)  # another pairing is not held up by this one
        answer = await balancer.post("/app/pair", data={"t": fresh}, headers=forwarded("198.51.100.200"))
        assert answer.status_code == 303


def token_request(client_id: str, secret: str) -> dict[str, str]:
    return {"grant_type": "client_credentials", "client_id": client_id, "client_secret": secret}


@pytest.fixture
def scrypts(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every secret check that costs a scrypt, by client."""
    checked: list[str] = []

    def counting(credentials: Any, secret: str) -> bool:
        checked.append(secret)
        return verify_secret(credentials, secret)

    monkeypatch.setattr(broker_providers, "verify_secret", counting)
    return checked


@pytest.mark.parametrize(
    "edge", [{"token_requests_per_minute": 3, "trusted_proxies": "10.0.0.0/8"}], indirect=True
)
async def test_token_requests_are_limited_per_client_before_the_scrypt(
    edge: Edge, scrypts: list[str]
) -> None:
    async with edge.client(BALANCER) as balancer:
        answers = [
            await balancer.post(
                "/api/v1/token",
                data=token_request(edge.provider_id, f"wrong-{n}"),
                headers=forwarded(f"198.51.100.{n}"),
            )
            for n in range(5)
        ]
        assert [a.status_code for a in answers] == [401, 401, 401, 429, 429]
        assert answers[3].json()["error"]["code"] == "rate_limited"
        assert answers[3].headers["retry-after"] == "60"
        assert scrypts == ["wrong-0", "wrong-1", "wrong-2"]  # refused ones cost no scrypt
        # another client id is not held up by this one
        other = await balancer.post(
            "/api/v1/token", data=token_request("someone-else", "x"), headers=forwarded("198.51.100.99")
        )
        assert other.status_code == 401


@pytest.mark.parametrize("edge", [{"token_requests_per_address_per_minute": 4}], indirect=True)
async def test_token_requests_are_limited_per_address(edge: Edge, scrypts: list[str]) -> None:
    async with edge.client("203.0.113.20") as one_address:
        answers = [
            await one_address.post(
                "/api/v1/token",
                data=token_request(f"client-{n}", "x"),
                headers={"Accept": "application/json"},
            )
            for n in range(5)
        ]
        assert [a.status_code for a in answers] == [401] * 4 + [429]
        refused = await one_address.post(
            "/api/v1/token", data=token_request(edge.provider_id, edge.client_secret)
        )
        assert refused.status_code == 429
        assert scrypts == []
    async with edge.client("203.0.113.21") as another:
        answer = await another.post("/api/v1/token", data=token_request(edge.provider_id, edge.client_secret))
        assert answer.status_code == 200


async def test_only_a_trusted_proxy_says_the_browser_came_over_https(edge: Edge) -> None:
    """X-Forwarded-Proto too is believed only from a trusted proxy (here: none), whatever the peer."""
    for peer in ("127.0.0.1", BALANCER):
        async with edge.client(peer) as client:
            answer = await client.get("/", headers={"X-Forwarded-Proto": "https"})
        assert "strict-transport-security" not in answer.headers, peer


@pytest.mark.parametrize("edge", [{"trusted_proxies": "10.0.0.0/8"}], indirect=True)
async def test_a_trusted_proxy_says_the_browser_came_over_https(edge: Edge) -> None:
    async with edge.client(BALANCER) as balancer:
        answer = await balancer.get("/", headers={"X-Forwarded-Proto": "https"})
    assert "strict-transport-security" in answer.headers


@pytest.mark.parametrize("edge", [{"token_requests_per_minute": 3}], indirect=True)
async def test_a_guesser_does_not_hold_up_a_provider_that_got_a_token_before(
    edge: Edge, scrypts: list[str]
) -> None:
    """The limits run only before a scrypt: the provider's own secret, verified once by this process, is
    answered from memory, whatever someone guessing at its client id does."""
    async with edge.client("203.0.113.30") as provider:
        first = await provider.post("/api/v1/token", data=token_request(edge.provider_id, edge.client_secret))
        assert first.status_code == 200
    async with edge.client("203.0.113.31") as guesser:
        guesses = [
            await guesser.post("/api/v1/token", data=token_request(edge.provider_id, f"guess-{n}"))
            for n in range(4)
        ]
        assert [g.status_code for g in guesses] == [401, 401, 429, 429]
    async with edge.client("203.0.113.30") as provider:
        again = await provider.post("/api/v1/token", data=token_request(edge.provider_id, edge.client_secret))
        assert again.status_code == 200
    assert scrypts == [edge.client_secret, "guess-0", "guess-1"]
