"""A portal that trickles its answer fails that source within the fetch deadline with source_unavailable, and
one that answers far more than a document can be is refused at the byte cap while it streams, with the
broker's memory bounded. Either way nothing of that source is recorded as done, the other sources keep what
they gave, and the citizen retries that source alone: it succeeds once the portal is well again.

The broker here gets a short deadline (2 s per attempt, 4 s in all) so the test stays quick; the defaults
(15 s, 30 s) are the same code (tests/unit/sources/test_http_fetch.py). The cap is the default, 4 MiB."""

from __future__ import annotations

import os
import time
from collections.abc import Iterator
from pathlib import Path

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import attempts
from tests.support.stepwise_citizen import start_at_sources

from databrug.records import SOURCE_NAMES, SourceName
from databrug.robot.journey import Persona
from databrug.sdk import verify_consents
from databrug.sources.http import MAX_ANSWER_BYTES
from databrug_sandbox.faults import FaultSettings
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
ATTEMPT_SECONDS = 2.0
DEADLINE_SECONDS = 4.0
MARGIN_SECONDS = 3.0  # the other sources, the page, a loaded machine
TRICKLE = FaultSettings(slow_stream_bytes_per_second=150)  # the 16 KB PDF would take ~108 s
OVERSIZED = FaultSettings(oversized_bytes=100 * 1024 * 1024)  # chunked, 25 times the cap
MAINTENANCE = FaultSettings(maintenance=True, retry_after_seconds=600)
MAX_EXTRA_RSS = 64 * 1024 * 1024  # issue 13: no single request raises broker RSS by more than 64 MiB


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    overrides = {
        "source_attempt_timeout_seconds": ATTEMPT_SECONDS,
        "source_deadline_seconds": DEADLINE_SECONDS,
    }
    with BrokerServer(tmp_path_factory.mktemp("source-deadlines"), sandbox.base_url, **overrides) as running:
        yield running


@pytest.fixture(autouse=True)
def healthy_afterwards(sandbox: SandboxServer) -> Iterator[None]:
    yield
    sandbox.faults.clear()


def _status_kib(field: str) -> int:
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(f"{field}:"):
            return int(line.split()[1])
    raise RuntimeError(f"no {field} in /proc/self/status")


def reset_peak_rss() -> int:
    """Reset this process's VmHWM (the broker and the sandbox run in it) to its RSS; that RSS in bytes."""
    Path(f"/proc/{os.getpid()}/clear_refs").write_text("5")
    return _status_kib("VmRSS") * 1024


def peak_rss() -> int:
    return _status_kib("VmHWM") * 1024


@pytest.mark.parametrize(("fault", "within"), [(TRICKLE, DEADLINE_SECONDS), (OVERSIZED, ATTEMPT_SECONDS)])
async def test_a_portal_breaking_the_bounds_fails_its_source_alone(
    broker: BrokerServer,
    sandbox: SandboxServer,
    personas: dict[str, Persona],
    fault: FaultSettings,
    within: float,
) -> None:
    source: SourceName = "uwv"
    citizen, provider, session_id = await start_at_sources(broker, personas[PERSONA], "source-deadlines")
    try:
        sandbox.faults.set(source, fault)
        rss_before = reset_peak_rss()
        started = time.perf_counter()
        page = await citizen.fetch_all()
        took = time.perf_counter() - started
        extra_rss = peak_rss() - rss_before

        assert page.status == 200
        lines = citizen.sources()
        assert (lines[source].status, lines[source].code) == ("failed", "source_unavailable")
        assert citizen.current.form_to(f"/app/sources/{source}/fetch") is not None  # retry that one
        others = [s for s in SOURCE_NAMES if s != source]
        assert all(lines[s].status == "done" for s in others), lines
        assert took < within + MARGIN_SECONDS
        if fault is TRICKLE:
            assert took >= DEADLINE_SECONDS * 0.9  # the deadline ended it, not the portal finishing
        else:
            # Refused at the cap, long before the 100 MB were sent, and never more than the cap held.
            assert extra_rss < MAX_EXTRA_RSS, f"{extra_rss / 2**20:.0f} MiB (cap {MAX_ANSWER_BYTES} bytes)"
        before = attempts(broker.endpoints(), session_id)

        # The portal is well again; the others go down now, so refetching them would fail the retry.
        sandbox.faults.clear(source)
        for other in others:
            sandbox.faults.set(other, MAINTENANCE)
        await citizen.fetch(source)
        sandbox.faults.clear()
        assert citizen.sources()[source].status == "done"
        after = attempts(broker.endpoints(), session_id)
        assert after[source] == before[source] + 1
        assert {s: after[s] for s in others} == {s: before[s] for s in others}

        # Every source's data reaches the provider: the failure touched nothing of the others.
        await citizen.press("/app/next")
        assert "/app/done" in (await citizen.consent()).url
        package = await provider.fetch_package(session_id)
        verify_consents(package)
        assert {entry.source for entry in package.sources} == set(SOURCE_NAMES)
        await provider.acknowledge(session_id)
    finally:
        await citizen.close()
        await provider.aclose()


async def test_every_portal_oversized_at_once_stays_within_one_requests_memory(
    broker: BrokerServer, sandbox: SandboxServer, personas: dict[str, Persona]
) -> None:
    # Seven documents read at once by one fetch-all, each refused at the cap: the worst one request can cost.
    citizen, provider, _ = await start_at_sources(broker, personas[PERSONA], "source-deadlines")
    try:
        for source in SOURCE_NAMES:
            sandbox.faults.set(source, OVERSIZED)
        rss_before = reset_peak_rss()
        started = time.perf_counter()
        await citizen.fetch_all()
        took = time.perf_counter() - started
        extra_rss = peak_rss() - rss_before
        lines = citizen.sources()
        assert {(line.status, line.code) for line in lines.values()} == {("failed", "source_unavailable")}
        assert set(lines) == set(SOURCE_NAMES)
        assert took < ATTEMPT_SECONDS + MARGIN_SECONDS
        assert extra_rss < MAX_EXTRA_RSS, f"{extra_rss / 2**20:.0f} MiB (cap {MAX_ANSWER_BYTES} bytes)"
    finally:
        await citizen.close()
        await provider.aclose()
