"""Nothing kept, proven: after journeys that complete, are declined, cancelled, expire or fail, the store
(memory, and a Redis dump) holds no personal value in readable form, logs and error pages hold none, and the
collected data is gone. Includes tests of the tests: a planted leak must be found."""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Iterator
from pathlib import Path

import pytest
from tests.support.broker_processes import broker_process, free_port
from tests.support.broker_server import BrokerServer
from tests.support.leaks import CapturedLogs, dump_memory_store, dump_redis, find, personal_values
from tests.support.redis_server import RedisServer

from databrug.config import Settings
from databrug.provisioning import provision_robot
from databrug.robot.journey import JourneyResult, Persona, run_journey
from databrug.robot.setup import load_endpoints
from databrug.sdk import AsyncDatabrugClient
from databrug.sessions.redis import RedisSessionStore
from databrug.sessions.sealing import SealedBytes
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.server import SandboxServer

CHOSEN = ["single-renter-low-wage", "couple-both-employed", "homeowner-equity-over-limit", "ww-benefit"]
SECRETS = personal_values(CATALOGUE[key] for key in CHOSEN)


@pytest.fixture(params=["memory", "redis"])
def setup(
    request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path: Path
) -> Iterator[tuple[BrokerServer, str | None]]:
    overrides: dict[str, object] = {"idle_timeout_seconds": 3}
    redis_url = None
    if request.param == "redis":
        server: RedisServer = request.getfixturevalue("redis_server")
        redis_url = server.url
        overrides.update(session_store="redis", redis_url=redis_url, redis_prefix=f"leak{id(tmp_path)}")
    with CapturedLogs() as logs, BrokerServer(tmp_path, sandbox.base_url, **overrides) as broker:
        broker.logs = logs  # type: ignore[attr-defined]
        yield broker, redis_url


def store_dump(broker: BrokerServer, redis_url: str | None) -> bytes:
    if redis_url is None:
        return dump_memory_store(broker.broker.sessions.store)
    return asyncio.run(dump_redis(redis_url, broker.settings.redis_prefix))


def run_all_endings(
    broker: BrokerServer, personas: dict[str, Persona], sandbox: SandboxServer
) -> list[JourneyResult]:
    endpoints = broker.endpoints()

    async def then_cancel(journey: Awaitable[JourneyResult]) -> JourneyResult:
        result = await journey
        async with AsyncDatabrugClient(
            endpoints.broker_url, endpoints.provider_id, endpoints.client_secret
        ) as p:
            await p.cancel(str(result.session_id))
        return result

    async def journeys() -> list[JourneyResult]:
        return list(
            await asyncio.gather(
                run_journey(personas[CHOSEN[0]], endpoints),  # completes, acknowledged
                run_journey(personas[CHOSEN[1]], endpoints, until="declined"),
                then_cancel(run_journey(personas[CHOSEN[2]], endpoints, until="collected")),
                then_cancel(run_journey(personas[CHOSEN[3]], endpoints, pickup=False)),  # after delivery
            )
        )

    results = asyncio.run(journeys())
    assert all(r.ok for r in results), [r.error for r in results]
    # A journey that fails: UWV in maintenance, and the citizen walks away (the session then expires).
    sandbox.faults.set("uwv", FaultSettings(maintenance=True, retry_after_seconds=600))
    try:
        failing = asyncio.run(run_journey(personas[CHOSEN[0]], endpoints, until="collected"))
    finally:
        sandbox.faults.clear("uwv")
    assert not failing.ok
    results.append(failing)
    asyncio.run(asyncio.sleep(4.0))  # past the idle timeout: the sweep expires the abandoned session
    return results


def test_nothing_personal_is_kept_or_logged(
    setup: tuple[BrokerServer, str | None], personas: dict[str, Persona], sandbox: SandboxServer
) -> None:
    broker, redis_url = setup
    results = run_all_endings(broker, personas, sandbox)

    async def check_ended() -> None:
        # A Redis client belongs to one event loop: inspect through a client of this test's own loop.
        store = (
            RedisSessionStore.from_url(redis_url, prefix=f"{broker.settings.redis_prefix}:")
            if redis_url
            else broker.broker.sessions.store
        )
        for result in results:
            assert result.session_id is not None
            record = await store.get(result.session_id)
            assert record is None or record.state.value in {"acknowledged", "cancelled", "expired"}
            # only the citizen's receipts outlive a collected package (counts, times, digests; the scan of
            # the store dump below checks they hold no personal value); nothing at all outlives the rest
            kept = ["receipt", "receipt/deletion"] if record and record.state.value == "acknowledged" else []
            assert await store.blob_names(result.session_id) == kept
        if redis_url:
            await store.close()

    asyncio.run(check_ended())
    assert find(SECRETS, store_dump(broker, redis_url)) == []
    assert find(SECRETS, broker.logs.text()) == []  # type: ignore[attr-defined]
    for result in results:
        assert find(SECRETS, "\n".join(result.error_bodies)) == []


def test_the_scan_finds_a_planted_leak(
    setup: tuple[BrokerServer, str | None], personas: dict[str, Persona]
) -> None:
    broker, redis_url = setup
    persona = personas[CHOSEN[0]]
    bsn = next(p["bsn"] for p in persona.facts["people"] if p["role"] == "applicant")
    store = broker.broker.sessions.store
    original = broker.broker.collect

    async def leaky_collect(app, key, role, source, token, citizen_bsn):  # type: ignore[no-untyped-def]
        logging.getLogger("databrug.broker").debug("collecting for %s", citizen_bsn)  # the planted leak
        await store.put_blob(app.session_id, "planted", SealedBytes(citizen_bsn.encode()))
        return await original(app, key, role, source, token, citizen_bsn)

    broker.broker.collect = leaky_collect  # type: ignore[method-assign]
    result = asyncio.run(run_journey(persona, broker.endpoints(), until="collected"))
    assert result.ok, result.error
    assert bsn in find(SECRETS, broker.logs.text())  # type: ignore[attr-defined]
    assert bsn in find(SECRETS, store_dump(broker, redis_url))


def test_the_broker_process_writes_no_files(
    sandbox: SandboxServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    """A real ``databrug serve`` in an empty working and temp directory: after journeys, both are still empty,
    and what it printed carries no personal value."""
    workdir, tempdir, config = tmp_path / "work", tmp_path / "tmp", tmp_path / "config"
    for folder in (workdir, tempdir, config):
        folder.mkdir()
    port = free_port()
    settings = Settings(
        broker_port=port, sandbox_url=sandbox.base_url, providers_file=config / "providers.json"
    )
    provision_robot(settings, config / "robot.json")
    env = {
        "DATABRUG_SANDBOX_URL": sandbox.base_url,
        "DATABRUG_PROVIDERS_FILE": str(config / "providers.json"),
        "DATABRUG_BROKER_SECRET": "files-test",
        "TMPDIR": str(tempdir),
        "HOME": str(tempdir),
    }
    with broker_process(env, port, config / "broker.log", cwd=workdir):
        endpoints = load_endpoints(config / "robot.json")

        async def journeys() -> list[JourneyResult]:
            chosen = [personas[CHOSEN[0]], personas[CHOSEN[1]]]
            return list(await asyncio.gather(*(run_journey(p, endpoints) for p in chosen)))

        results = asyncio.run(journeys())
        assert all(r.ok for r in results), [r.error for r in results]
    assert sorted(p.name for p in workdir.rglob("*")) == []
    assert sorted(p.name for p in tempdir.rglob("*")) == []
    assert find(SECRETS, (config / "broker.log").read_text(encoding="utf-8", errors="replace")) == []
