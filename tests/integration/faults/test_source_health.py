"""Source health across two broker processes sharing one real Redis: a portal the sandbox takes down fails a
fetch through one broker, and the sources screen served by the other shows that source down before the
citizen taps it, with the upload offered at once; the provider API on either answers the same view."""

from __future__ import annotations

import asyncio
import dataclasses
import time
from collections.abc import Iterator

import httpx
import pytest
from tests.support.broker_processes import broker_process, free_port, shared_redis_env
from tests.support.redis_server import RedisServer
from tests.support.stepwise_citizen import PhoneCitizen

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Endpoints, Persona
from databrug.robot.page import Page
from databrug.robot.setup import load_endpoints
from databrug.sdk import AsyncDatabrugClient
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
MAINTENANCE = FaultSettings(maintenance=True, retry_after_seconds=600)  # beyond what a fetch waits for
PERSONAL = ("999", "Jansen", "de Vries", "Bakker")  # nothing like a BSN or a name in the health view


@dataclasses.dataclass(frozen=True)
class TwoBrokers:
    a: Endpoints
    b: Endpoints


@pytest.fixture(scope="module")
def brokers(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[TwoBrokers]:
    tmp = tmp_path_factory.mktemp("source-health")
    port_a, port_b = free_port(), free_port()
    env = shared_redis_env(
        redis_server.url,
        "source-health",
        tmp / "providers.json",
        sandbox.base_url,
    )
    settings = Settings(
        broker_port=port_a, sandbox_url=sandbox.base_url, providers_file=tmp / "providers.json"
    )
    provision_robot(settings, tmp / "robot.json")
    endpoints = load_endpoints(tmp / "robot.json")
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with broker_process(env, port_a, tmp / "a.log"), broker_process(env, port_b, tmp / "b.log"):
        yield TwoBrokers(
            a=dataclasses.replace(endpoints, broker_url=url_a, citizen_broker_url=None),
            b=dataclasses.replace(endpoints, broker_url=url_b, citizen_broker_url=None),
        )


@pytest.fixture(autouse=True)
def healthy_afterwards(sandbox: SandboxServer) -> Iterator[None]:
    yield
    sandbox.faults.clear()


async def at_sources(endpoints: Endpoints, persona: Persona) -> tuple[PhoneCitizen, AsyncDatabrugClient]:
    """A session created on this broker, opened and logged in on a phone that talks to the same broker."""
    provider = AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    )
    created = await provider.create_session(reference="health-test")
    citizen = PhoneCitizen(endpoints)
    await citizen.open(created.citizen_url)
    page = await citizen.login(persona.applicant)
    assert "/app/sources" in page.url, page.url
    return citizen, provider


def api_health(endpoints: Endpoints) -> dict[str, dict[str, object]]:
    token = httpx.post(
        f"{endpoints.broker_url}/api/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": endpoints.provider_id,
            "client_secret": endpoints.client_secret,
        },
    ).json()["access_token"]
    answer = httpx.get(
        f"{endpoints.broker_url}/api/v1/sources/health", headers={"Authorization": f"Bearer {token}"}
    )
    assert answer.status_code == 200, answer.text
    for personal in PERSONAL:
        assert personal not in answer.text
    return {item["source"]: item for item in answer.json()["sources"]}


async def screen_until(citizen: PhoneCitizen, source: str, health: str | None, timeout: float = 8.0) -> Page:
    """The sources page, reloaded until ``source`` shows ``health`` (``None``: no notice); the view is cached
    for a couple of seconds per process."""
    deadline = time.monotonic() + timeout
    while True:
        page = await citizen.get("/app/sources")
        shown = page.attrs.get(f"health-{source}", {}).get("data-health")
        if shown == health or time.monotonic() > deadline:
            return page
        await asyncio.sleep(0.5)


def offers_upload_at_once(page: Page, source: str) -> bool:
    offer = page.attrs.get(f"upload-offer-{source}", {})
    return "open" in offer and page.form_to(f"/app/sources/{source}/upload") is not None


def test_a_provider_needs_a_token_for_source_health(brokers: TwoBrokers) -> None:
    assert httpx.get(f"{brokers.a.broker_url}/api/v1/sources/health").status_code == 401


@pytest.mark.parametrize(("failing", "seeing", "source"), [("a", "b", "uwv"), ("b", "a", "belastingdienst")])
async def test_a_source_down_through_one_broker_is_shown_down_on_the_other(
    brokers: TwoBrokers,
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    failing: str,
    seeing: str,
    source: str,
) -> None:
    one: Endpoints = getattr(brokers, failing)
    other: Endpoints = getattr(brokers, seeing)
    first, first_provider = await at_sources(one, personas[PERSONA])
    second, second_provider = await at_sources(other, personas[PERSONA])
    try:
        before = await screen_until(second, source, None, timeout=0)
        assert f"health-{source}" not in before.attrs  # nothing known against it yet
        assert not offers_upload_at_once(before, source)

        sandbox.faults.set(source, MAINTENANCE)  # type: ignore[arg-type]
        failed = await first.fetch(source)
        assert first.sources()[source].code == "source_maintenance", failed.url

        # The other broker's citizen has not tapped anything: the screen says so before they do.
        page = await screen_until(second, source, "down")
        assert page.attrs[f"health-{source}"]["data-health"] == "down"
        assert second.sources()[source].status == "waiting"  # not tapped
        assert offers_upload_at_once(page, source)
        notice = page.text(f"health-{source}")
        assert "Storing" in notice
        assert "upload" in notice
        others = [s for s in second.sources() if s != source]
        assert all(f"health-{s}" not in page.attrs for s in others)

        # The provider API of either broker answers the same view.
        views = [api_health(endpoints) for endpoints in (one, other)]
        for view in views:
            assert view[source]["state"] == "down"
            assert view[source]["last_failure_code"] == "source_maintenance"
            assert int(str(view[source]["window"])) >= 1
        assert views[0][source] == views[1][source]

        # The portal is back: one success through the other broker ends "down" everywhere.
        sandbox.faults.clear(source)  # type: ignore[arg-type]
        fetched = await second.fetch(source)
        assert second.sources()[source].status == "done", fetched.url
        page = await screen_until(first, source, None)
        assert f"health-{source}" not in page.attrs
        deadline = time.monotonic() + 8
        while api_health(one)[source]["state"] != "healthy" and time.monotonic() < deadline:
            await asyncio.sleep(0.5)
        assert api_health(one)[source]["state"] == "healthy"
    finally:
        for citizen in (first, second):
            await citizen.close()
        for provider in (first_provider, second_provider):
            await provider.aclose()
