"""A package that will never come, or is no longer there, is 410 on pick-up and on acknowledge: the
provider stops asking. 409 ``package_not_ready`` stays for a package that may still come."""

from __future__ import annotations

import time
from collections.abc import Iterator
from urllib.parse import parse_qs, urlsplit

import httpx
import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.robot.journey import Persona, run_journey
from databrug.sdk import DatabrugClient, DatabrugError
from databrug_sandbox.server import SandboxServer

PICKUP_WINDOW = 2


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(
        tmp_path_factory.mktemp("expiry"), sandbox.base_url, pickup_window_seconds=PICKUP_WINDOW
    ) as running:
        yield running


def answers(broker: BrokerServer, session_id: str) -> list[tuple[int, str]]:
    """The pick-up and the acknowledgement of a session's package, as (status, code)."""
    headers = {"Authorization": f"Bearer {access_token(broker.endpoints())}", "Accept": "application/json"}
    with httpx.Client(base_url=broker.url, headers=headers) as api:
        found = [
            api.get(f"/api/v1/sessions/{session_id}/package"),
            api.post(f"/api/v1/sessions/{session_id}/package/ack"),
        ]
    return [(a.status_code, a.json()["error"]["code"]) for a in found]


def wait_for_state(broker: BrokerServer, session_id: str, state: str, seconds: float) -> None:
    headers = {"Authorization": f"Bearer {access_token(broker.endpoints())}"}
    deadline = time.monotonic() + seconds
    while time.monotonic() < deadline:
        found = httpx.get(f"{broker.url}/api/v1/sessions/{session_id}", headers=headers).json()["state"]
        if found == state:
            return
        time.sleep(0.2)
    raise AssertionError(f"the session did not become {state} within {seconds} s")


async def test_a_package_past_its_pickup_window_is_410_package_expired(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    result = await run_journey(personas["single-renter-low-wage"], broker.endpoints(), pickup=False)
    assert result.ok, result.error
    session_id = str(result.session_id)
    wait_for_state(broker, session_id, "expired", PICKUP_WINDOW + 5)
    assert answers(broker, session_id) == [(410, "package_expired"), (410, "package_expired")]
    endpoints = broker.endpoints()
    client = DatabrugClient(endpoints.broker_url, endpoints.provider_id, endpoints.client_secret)
    with client, pytest.raises(DatabrugError) as gone:
        client.fetch_package_jwe(session_id)
    assert (gone.value.code, gone.value.status, gone.value.gone) == ("package_expired", 410, True)


def new_session(broker: BrokerServer) -> str:
    token = access_token(broker.endpoints())
    created = httpx.post(
        f"{broker.url}/api/v1/sessions",
        json={"reference": "expiry"},
        headers={"Authorization": f"Bearer {token}"},
    ).json()
    assert parse_qs(urlsplit(created["citizen_url"]).query)["t"]
    session_id: str = created["id"]
    return session_id


def test_a_session_that_ended_without_a_package_is_410_and_an_open_one_409(broker: BrokerServer) -> None:
    waiting = new_session(broker)
    assert answers(broker, waiting) == [(409, "package_not_ready"), (409, "package_not_ready")]
    endpoints = broker.endpoints()
    with DatabrugClient(endpoints.broker_url, endpoints.provider_id, endpoints.client_secret) as client:
        with pytest.raises(DatabrugError) as not_yet:
            client.fetch_package_jwe(waiting)
        assert (not_yet.value.status, not_yet.value.gone) == (409, False)
        client.cancel(waiting)
    assert answers(broker, waiting) == [(410, "session_cancelled"), (410, "session_cancelled")]
