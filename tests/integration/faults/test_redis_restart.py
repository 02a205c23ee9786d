"""Redis restarted mid-journey. While it is down every call answers store_unavailable (503, and the page says
so); after a restart without persistence the session is gone and every call answers its own code; with an
append-only file the session survives and the journey completes. Nothing personal leaks on the way."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import httpx
import pytest
from tests.support.broker_server import BrokerServer
from tests.support.leaks import CapturedLogs, find, personal_values
from tests.support.restartable_redis import RestartableRedis
from tests.support.stepwise_citizen import PhoneCitizen

from databrug.robot.journey import Persona, run_journey
from databrug.robot.page import Page
from databrug.sdk import AsyncDatabrugClient
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
SECRETS = personal_values([CATALOGUE[PERSONA]])


@pytest.fixture(params=["no-persistence", "append-only"])
def setup(
    request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path: Path
) -> Iterator[tuple[BrokerServer, RestartableRedis, CapturedLogs]]:
    with RestartableRedis(tmp_path, append_only=request.param == "append-only") as redis:
        overrides = {"session_store": "redis", "redis_url": redis.url, "redis_prefix": "restart"}
        with CapturedLogs() as logs, BrokerServer(tmp_path, sandbox.base_url, **overrides) as broker:
            yield broker, redis, logs


def code_of(page: Page) -> str:
    return page.attrs.get("error", {}).get("data-code", f"no error page (HTTP {page.status})")


def provider_status(broker: BrokerServer, session_id: str) -> httpx.Response:
    endpoints = broker.endpoints()
    with httpx.Client(base_url=broker.url, timeout=10) as client:
        token = client.post(
            "/api/v1/token",
            data={
                "grant_type": "client_credentials",
                "client_id": endpoints.provider_id,
                "client_secret": endpoints.client_secret,
            },
        ).json()["access_token"]
        return client.get(f"/api/v1/sessions/{session_id}", headers={"Authorization": f"Bearer {token}"})


async def test_a_redis_restart_mid_journey(
    setup: tuple[BrokerServer, RestartableRedis, CapturedLogs], personas: dict[str, Persona]
) -> None:
    broker, redis, logs = setup
    endpoints = broker.endpoints()
    persona = personas[PERSONA]
    provider = AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    )
    citizen = PhoneCitizen(endpoints)
    bodies: list[str] = []
    try:
        created = await provider.create_session(reference="redis-restart")
        await citizen.open(created.citizen_url)
        await citizen.login(persona.applicant)
        await citizen.fetch_all()
        assert {line.status for line in citizen.sources().values()} == {"done"}

        # Down: a clear, retryable code everywhere, on the phone's page and in the provider API.
        redis.stop(graceful=redis.append_only)
        page = await citizen.get("/app/sources")
        assert (page.status, code_of(page)) == (503, "store_unavailable")
        down = provider_status(broker, created.id)
        assert (down.status_code, down.json()["error"]["code"]) == (503, "store_unavailable")
        bodies.extend([page.html, down.text])

        redis.start()
        progress = await citizen.get("/c/progress")  # the computer page (this phone opened the link)
        page = await citizen.get("/app/sources")
        status = provider_status(broker, created.id)
        bodies.extend([progress.html, page.html, status.text])
        if redis.append_only:
            # The session survived: the journey goes on where it was.
            assert progress.status == 200
            assert page.status == 200
            assert {line.status for line in citizen.sources().values()} == {"done"}
            await citizen.press("/app/next")
            assert "/app/done" in (await citizen.consent()).url
            assert (await provider.fetch_package(created.id)).package_id
            await provider.acknowledge(created.id)
        else:
            # The session is gone: the phone is told so (and to close the page), the provider too.
            assert (page.status, code_of(page)) == (401, "token_invalid")
            assert (progress.status, code_of(progress)) == (401, "token_invalid")
            assert "next-action" not in page.attrs  # nothing to retry: the session does not exist
            fetch = await citizen.browser.http.post(f"{citizen.base}/app/fetch-all")
            assert fetch.status_code == 401
            assert (status.status_code, status.json()["error"]["code"]) == (404, "session_not_found")
            bodies.append(fetch.text)
    finally:
        await citizen.close()
        await provider.aclose()

    # The broker is healthy again: a new journey completes on the restarted Redis.
    again = await run_journey(persona, endpoints, "parallel")
    assert again.ok, again.error
    bodies.extend(citizen.browser.error_bodies + again.error_bodies)
    assert find(SECRETS, "\n".join(bodies)) == []
    assert find(SECRETS, logs.text()) == []
    assert "store_unavailable" in "\n".join(bodies)  # the bodies checked are the real error answers
