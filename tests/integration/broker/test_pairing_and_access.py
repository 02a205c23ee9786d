"""QR relay, single-use pairing, expiry codes and provider isolation, over real HTTP (memory store)."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.support.broker_server import BrokerServer

from databrug.provisioning import register
from databrug.robot.page import Page
from databrug.sdk import DatabrugClient, DatabrugError, generate_provider_keys
from databrug_sandbox.server import SandboxServer

PHONE = {"User-Agent": "Mozilla/5.0 (Linux; Android 14) Mobile"}


@pytest.fixture(scope="module")
def memory_broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("pairing"), sandbox.base_url) as running:
        yield running


def provider_client(broker: BrokerServer) -> DatabrugClient:
    endpoints = broker.endpoints()
    return DatabrugClient(endpoints.broker_url, endpoints.provider_id, endpoints.client_secret)


def open_qr(broker: BrokerServer) -> tuple[httpx.Client, str, str]:
    """A computer showing a QR code for a new session: (computer, session id, pairing token)."""
    with provider_client(broker) as provider:
        created = provider.create_session(reference="pairing-test")
    computer = httpx.Client(base_url=broker.url, follow_redirects=True)
    computer.get(urlsplit(created.citizen_url).path + "?" + urlsplit(created.citizen_url).query)
    page = Page.read(broker.url, 200, computer.get("/c/qr").text)
    return computer, created.id, page.text("pairing-token")


def scan(broker: BrokerServer, token: str) -> tuple[httpx.Client, httpx.Response]:
    phone = httpx.Client(base_url=broker.url, follow_redirects=True, headers=PHONE)
    return phone, phone.post("/app/pair", data={"t": token})


def code_of(response: httpx.Response) -> str:
    return (
        Page.read(str(response.url), response.status_code, response.text)
        .text("pairing-code")
        .replace(" ", "")
    )


def test_a_relayed_qr_cannot_take_over_the_session(memory_broker: BrokerServer) -> None:
    computer, _, token = open_qr(memory_broker)
    owner, first = scan(memory_broker, token)
    assert first.status_code == 200
    assert code_of(first)
    attacker, second = scan(memory_broker, token)
    assert second.status_code == 409
    assert "pairing_token_used" not in second.url.path  # the code is on the page, never in the URL
    assert attacker.get("/app/sources").status_code == 401  # no app token was handed out
    # The owner's phone cannot act until the computer confirms the code it shows.
    assert owner.get("/app/sources").status_code == 409
    confirmed = computer.post("/c/confirm", data={"code": code_of(first)})
    assert confirmed.status_code == 200
    assert "/c/progress" in str(confirmed.url)
    assert owner.get("/app/sources").status_code == 200


def test_a_scanning_attacker_without_the_code_gets_nothing(memory_broker: BrokerServer) -> None:
    computer, _, token = open_qr(memory_broker)
    attacker, scanned = scan(memory_broker, token)
    attacker_code = code_of(scanned)
    wrong = "000000" if attacker_code != "000000" else "111111"
    for _ in range(2):
        assert computer.post("/c/confirm", data={"code": wrong}).status_code == 400
    locked = computer.post("/c/confirm", data={"code": wrong})
    assert locked.status_code == 423
    assert attacker.get("/app/sources").status_code == 401


def test_a_pairing_token_works_once(memory_broker: BrokerServer) -> None:
    computer, _, token = open_qr(memory_broker)
    _, first = scan(memory_broker, token)
    assert computer.post("/c/confirm", data={"code": code_of(first)}).status_code == 200
    _, again = scan(memory_broker, token)
    assert again.status_code in (404, 409)


def test_a_refreshed_qr_invalidates_the_old_one(memory_broker: BrokerServer) -> None:
    computer, _, old = open_qr(memory_broker)
    Page.read(memory_broker.url, 200, computer.get("/c/qr").text)
    _, response = scan(memory_broker, old)
    assert response.status_code == 404


def test_provider_b_cannot_read_provider_a_sessions(memory_broker: BrokerServer) -> None:
    keys = generate_provider_keys()
    _, secret, _ = register(
        memory_broker.broker.registry,
        "other-provider",
        "Andere aanbieder",
        return_url="http://127.0.0.1/",
        public_jwks=keys.public_jwks,
    )
    with provider_client(memory_broker) as provider_a:
        session = provider_a.create_session(reference="a-only")
        assert provider_a.get_session(session.id).state == "created"
    with DatabrugClient(memory_broker.url, "other-provider", secret) as provider_b:
        for call in (
            lambda: provider_b.get_session(session.id),
            lambda: provider_b.fetch_package_jwe(session.id),
            lambda: provider_b.cancel(session.id),
            lambda: provider_b.events(session.id),
        ):
            with pytest.raises(DatabrugError) as refused:
                call()
            assert refused.value.code == "session_not_found"


def test_wrong_credentials_and_missing_tokens_are_refused(memory_broker: BrokerServer) -> None:
    with httpx.Client(base_url=memory_broker.url) as raw:
        assert raw.get("/api/v1/sessions/ses_aaaaaaaaaaaaaaaaaaaaaa").status_code == 401
        token = raw.post(
            "/api/v1/token",
            data={"grant_type": "client_credentials", "client_id": "robot-provider", "client_secret": "nope"},
        )
        assert token.status_code == 401
        assert token.json()["error"]["code"] == "unauthorised"


def test_expired_sessions_answer_with_their_own_code(
    sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> None:
    with BrokerServer(
        tmp_path_factory.mktemp("expiry"), sandbox.base_url, session_lifetime_seconds=1
    ) as broker:
        with provider_client(broker) as provider:
            created = provider.create_session(reference="expires")
            time.sleep(1.6)
            assert provider.get_session(created.id).state == "expired"
        query = parse_qs(urlsplit(created.citizen_url).query)
        with httpx.Client(base_url=broker.url) as citizen:
            page = citizen.get("/start", params={"t": query["t"][0]}, headers={"Accept": "application/json"})
        assert page.status_code == 410
        assert page.json()["error"]["code"] == "session_expired"
