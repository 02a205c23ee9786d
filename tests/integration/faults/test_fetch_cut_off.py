"""A broker process killed (SIGKILL) while it fetches a source: the source does not stay "fetching". The other
process's expiry sweep releases it within the fetch's lease (bound + 5 s) plus one sweep, as failed with
``source_interrupted``, and the citizen fetches that source again through the other process.

The portal is slowed (sandbox latency) so the fetch is surely in flight when the process dies; the bound is
4 s here so the test stays quick (the default, 75 s, is the same code)."""

from __future__ import annotations

import asyncio
import dataclasses
import signal
import subprocess
import time
from pathlib import Path

from tests.support.balancer import Balancer
from tests.support.broker_processes import broker_process, free_port, shared_redis_env
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import attempts, session_status
from tests.support.redis_server import RedisServer
from tests.support.stepwise_citizen import PhoneCitizen, start_at_sources

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import Endpoints, Persona
from databrug.robot.setup import load_endpoints
from databrug.sdk import AsyncDatabrugClient
from databrug.sessions.service import FETCH_LEASE_MARGIN_SECONDS
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
FETCH_BOUND_SECONDS = 4.0
SWEEP_SECONDS = 0.5
MARGIN_SECONDS = 3.0  # a loaded machine
SLOW = FaultSettings(latency_ms=20_000)  # far past the bound: only the crash or the bound can end the fetch


def uwv_progress(endpoints: Endpoints, session_id: str) -> dict[str, object]:
    """The source's progress as the provider API shows it, asked of the surviving process A."""
    progress: dict[str, object] = session_status(endpoints, session_id)["progress"]["applicant"]["uwv"]
    return progress


async def test_a_fetch_cut_off_by_a_crash_is_released_and_fetched_again(
    sandbox: SandboxServer, redis_server: RedisServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    port_a, port_b = free_port(), free_port()
    url_a, url_b = f"http://127.0.0.1:{port_a}", f"http://127.0.0.1:{port_b}"
    with Balancer([url_b, url_a]) as balancer:
        env = shared_redis_env(
            redis_server.url,
            "fetch-cut-off",
            tmp_path / "providers.json",
            sandbox.base_url,
            public_url=balancer.url,
            source_fetch_bound_seconds=str(FETCH_BOUND_SECONDS),
            expiry_sweep_seconds=str(SWEEP_SECONDS),
        )
        settings = Settings(
            public_url=balancer.url, sandbox_url=sandbox.base_url, providers_file=tmp_path / "providers.json"
        )
        provision_robot(settings, tmp_path / "robot.json")
        endpoints = dataclasses.replace(load_endpoints(tmp_path / "robot.json"), broker_url=url_a)
        with (
            broker_process(env, port_a, tmp_path / "a.log"),
            broker_process(env, port_b, tmp_path / "b.log") as process_b,
        ):
            provider = AsyncDatabrugClient(
                url_a, endpoints.provider_id, endpoints.client_secret, private_jwks=endpoints.private_jwks
            )
            citizen = PhoneCitizen(dataclasses.replace(endpoints, citizen_broker_url=balancer.url))
            try:
                await _crash_mid_fetch(sandbox, provider, citizen, endpoints, process_b, personas[PERSONA])
            finally:
                sandbox.faults.clear()
                await citizen.close()
                await provider.aclose()
    assert balancer.served[url_b] > 3  # the login and the fetch's start really ran on B
    assert balancer.served[url_a] > 0


async def _crash_mid_fetch(
    sandbox: SandboxServer,
    provider: AsyncDatabrugClient,
    citizen: PhoneCitizen,
    endpoints: Endpoints,
    process_b: subprocess.Popen[bytes],
    persona: Persona,
) -> None:
    created = await provider.create_session(reference="fetch-cut-off")
    await citizen.open(created.citizen_url)
    assert "/app/sources" in (await citizen.login(persona.applicant)).url
    sandbox.faults.set("uwv", SLOW)
    fetch = asyncio.create_task(citizen.fetch("uwv"))  # through the balancer: B fetches

    deadline = time.monotonic() + 10
    while uwv_progress(endpoints, created.id)["status"] != "fetching":
        assert time.monotonic() < deadline, "the fetch did not start"
        await asyncio.sleep(0.05)
    process_b.send_signal(signal.SIGKILL)  # mid-fetch: B never records its end
    process_b.wait(timeout=10)
    killed = time.monotonic()
    await asyncio.gather(fetch, return_exceptions=True)  # that request dies with B
    sandbox.faults.clear("uwv")

    bound = FETCH_BOUND_SECONDS + FETCH_LEASE_MARGIN_SECONDS + SWEEP_SECONDS + MARGIN_SECONDS
    while (progress := uwv_progress(endpoints, created.id))["status"] == "fetching":
        assert time.monotonic() - killed < bound, "the source stayed fetching past its lease"
        await asyncio.sleep(0.1)
    assert (progress["status"], progress["error_code"], progress["records"]) == (
        "failed",
        "source_interrupted",
        0,
    )
    assert process_b.returncode == -signal.SIGKILL

    # The citizen's page (now served by A) says so and offers that source's retry, which succeeds.
    await citizen.get("/app/sources")
    assert citizen.sources()["uwv"].status == "failed"
    assert citizen.sources()["uwv"].code == "source_interrupted"
    assert citizen.current.form_to("/app/sources/uwv/fetch") is not None
    before = attempts(endpoints, created.id)
    await citizen.fetch("uwv")
    assert citizen.sources()["uwv"].status == "done"
    assert attempts(endpoints, created.id)["uwv"] == before["uwv"] + 1


async def test_a_live_fetch_ends_itself_at_the_bound_before_its_lease(
    sandbox: SandboxServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    # The process that fetches records the end itself, within the bound: the lease is only for the dead.
    overrides = {"source_fetch_bound_seconds": FETCH_BOUND_SECONDS}
    with BrokerServer(tmp_path, sandbox.base_url, **overrides) as broker:
        citizen, provider, session_id = await start_at_sources(broker, personas[PERSONA], "fetch-bound")
        try:
            sandbox.faults.set("uwv", SLOW)
            started = time.monotonic()
            await citizen.fetch("uwv")
            took = time.monotonic() - started
            sandbox.faults.clear("uwv")
            assert (citizen.sources()["uwv"].status, citizen.sources()["uwv"].code) == (
                "failed",
                "source_unavailable",
            )
            assert FETCH_BOUND_SECONDS * 0.9 <= took < FETCH_BOUND_SECONDS + MARGIN_SECONDS
            progress = session_status(broker.endpoints(), session_id)["progress"]["applicant"]["uwv"]
            assert progress["fetching_until"] is None
            await citizen.fetch("uwv")
            assert citizen.sources()["uwv"].status == "done"
        finally:
            sandbox.faults.clear()
            await citizen.close()
            await provider.aclose()
