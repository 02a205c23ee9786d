"""Rate limits: pairing attempts per client address (guessing QR tokens or short codes), session creation
per provider. Past the limit: 429 rate_limited, on the page and in the API; others are not affected."""

from __future__ import annotations

from collections.abc import Iterator

import httpx
import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.config import Settings
from databrug.provisioning import register
from databrug.robot.page import Page
from databrug.sdk import generate_provider_keys
from databrug_sandbox.server import SandboxServer

SESSION_LIMIT = 5


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    """The default pairing limit; a small session limit so the test need not create hundreds."""
    with BrokerServer(
        tmp_path_factory.mktemp("rates"), sandbox.base_url, sessions_per_minute=SESSION_LIMIT
    ) as running:
        yield running


def test_the_limits_are_those_of_the_design() -> None:
    defaults = Settings()
    assert defaults.pairing_attempts_per_minute == 30
    assert defaults.sessions_per_minute == 600


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
