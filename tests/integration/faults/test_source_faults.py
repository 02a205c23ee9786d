"""A source that is slow, failing, in maintenance or sends a broken document: the citizen sees that source's
own code, keeps what the other sources gave, retries that one source alone, and the journey completes."""

from __future__ import annotations

import time
from collections.abc import Iterator

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import attempts
from tests.support.stepwise_citizen import PhoneCitizen, start_at_sources

from databrug.records import SOURCE_NAMES
from databrug.robot.journey import Persona
from databrug.sdk import AsyncDatabrugClient, verify_consents
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
MAINTENANCE = FaultSettings(maintenance=True, retry_after_seconds=600)  # beyond what a fetch waits for
DOWN = FaultSettings(error_rate=1.0)


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("source-faults"), sandbox.base_url) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy_afterwards(sandbox: SandboxServer) -> Iterator[None]:
    yield
    sandbox.faults.clear()


async def finish(citizen: PhoneCitizen, provider: AsyncDatabrugClient, session_id: str) -> None:
    """Every source done: continue, consent, and the provider gets exactly one package."""
    assert {line.status for line in citizen.sources().values()} == {"done"}, citizen.sources()
    await citizen.press("/app/next")
    page = await citizen.consent()
    assert "/app/done" in page.url, (page.url, page.status)
    package = await provider.fetch_package(session_id)
    verify_consents(package)
    await provider.acknowledge(session_id)
    events = [e.type for e in await provider.events(session_id)]
    assert events.count("session.delivered") == 1
    assert events.count("session.acknowledged") == 1


@pytest.mark.parametrize(
    ("source", "fault", "code"),
    [
        *[(source, MAINTENANCE, "source_maintenance") for source in SOURCE_NAMES],
        ("uwv", DOWN, "source_unavailable"),
        ("belastingdienst", FaultSettings(malformed=True), "document_invalid"),
        ("mijnpensioenoverzicht", FaultSettings(truncated=True), "document_invalid"),
    ],
    ids=[
        *(f"{s}-maintenance" for s in SOURCE_NAMES),
        "uwv-down",
        "belastingdienst-malformed",
        "mpo-truncated",
    ],
)
async def test_a_failing_source_is_retried_alone(
    broker: BrokerServer,
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    source: str,
    fault: FaultSettings,
    code: str,
) -> None:
    citizen, provider, session_id = await start_at_sources(broker, personas[PERSONA], "fault-test")
    try:
        sandbox.faults.set(source, fault)  # type: ignore[arg-type]
        page = await citizen.fetch_all()
        assert page.status == 200
        lines = citizen.sources()
        assert lines[source].status == "failed"
        assert lines[source].code == code
        assert "sources-failed" in page.texts  # the page says something failed, with a way forward
        assert citizen.current.form_to(f"/app/sources/{source}/fetch") is not None
        others = [s for s in lines if s != source]
        assert others
        assert all(lines[s].status == "done" for s in others), lines
        before = attempts(broker.endpoints(), session_id)

        # The fault is over; the other portals go down now, so refetching them would fail the retry.
        sandbox.faults.clear(source)  # type: ignore[arg-type]
        for other in others:
            sandbox.faults.set(other, MAINTENANCE)  # type: ignore[arg-type]
        await citizen.fetch(source)
        sandbox.faults.clear()
        after = attempts(broker.endpoints(), session_id)
        assert after[source] == before[source] + 1
        assert {s: after[s] for s in others} == {s: before[s] for s in others}
        await finish(citizen, provider, session_id)
    finally:
        await citizen.close()
        await provider.aclose()


@pytest.mark.parametrize(
    ("source", "fault"),
    [
        ("uwv", FaultSettings(latency_ms=1500)),  # well under the fetch timeout (15 s per attempt)
        ("uwv", FaultSettings(slow_stream_bytes_per_second=20_000)),
    ],
    ids=["uwv-latency", "uwv-slow-stream"],
)
async def test_a_slow_source_completes_on_the_first_try(
    broker: BrokerServer,
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    source: str,
    fault: FaultSettings,
) -> None:
    citizen, provider, session_id = await start_at_sources(broker, personas[PERSONA], "fault-test")
    try:
        sandbox.faults.set(source, fault)  # type: ignore[arg-type]
        started = time.perf_counter()
        await citizen.fetch_all()
        elapsed = time.perf_counter() - started
        sandbox.faults.clear()
        if fault.latency_ms == 1500:
            assert elapsed >= 1.5  # the delay really happened
        assert attempts(broker.endpoints(), session_id)[source] == 1
        await finish(citizen, provider, session_id)
    finally:
        await citizen.close()
        await provider.aclose()
