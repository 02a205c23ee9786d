"""A rolling restart behind nginx during robot journeys: each broker in turn gets SIGTERM, drains, exits 0
within DATABRUG_DRAIN_SECONDS and is started again, while journeys keep running through the balancer. None
fails, every package arrives, and the providers' event streams cut by a drain resume on the other broker with
Last-Event-ID: every event once, in order, none missed.
"""

from __future__ import annotations

import asyncio
import itertools
import time
from collections.abc import Iterator
from dataclasses import dataclass, field
from pathlib import Path

import pytest
from tests.support.scale_out import ScaleOut

from databrug.robot.journey import Endpoints, JourneyResult, Persona, run_journey
from databrug.robot.setup import load_endpoints, load_personas
from databrug.sdk import AsyncDatabrugClient

pytestmark = pytest.mark.slow

DRAIN_SECONDS = 10
WORKERS = 8
"""Journeys at once: with two cores shared by everything on the machine, more only makes each slower."""
MIN_JOURNEYS = 20
IDLE_WATCHERS = 4
"""Sessions nobody works on during the restarts, followed throughout: their streams are open on each broker
as it stops, and get their next (final) event only after both restarts: a cancel by the provider."""
DEADLINE_SECONDS = 420.0
RECONNECT_SECONDS = 0.5  # what the drained stream's ``retry:`` asks for


@pytest.fixture(scope="module")
def stack(tmp_path_factory: pytest.TempPathFactory) -> Iterator[ScaleOut]:
    env = {
        "DATABRUG_DRAIN_SECONDS": str(DRAIN_SECONDS),
        # every robot phone comes from one loopback address, every session from one provider (bench/load.py)
        "DATABRUG_PAIRING_ATTEMPTS_PER_MINUTE": "1000000",
        "DATABRUG_SESSIONS_PER_MINUTE": "1000000",
    }
    with ScaleOut(tmp_path_factory.mktemp("rolling"), brokers=2, broker_env=env) as running:
        yield running


@dataclass
class Watcher:
    """A provider following one session's events over SSE as an EventSource does: when the stream ends before
    a final state it waits ``retry`` and reconnects with Last-Event-ID."""

    session_id: str
    seen: list[int] = field(default_factory=list)
    streams: int = 0
    errors: list[str] = field(default_factory=list)
    final: bool = False

    async def follow(self, client: AsyncDatabrugClient, deadline: float) -> None:
        while not self.final and time.monotonic() < deadline:
            self.streams += 1
            try:
                async for event in client.follow_events(self.session_id, self.seen[-1] if self.seen else 0):
                    self.seen.append(event.id)
                    self.final = event.is_final
            except Exception as error:  # a reconnect refused: an EventSource would give up here
                self.errors.append(f"{type(error).__name__}: {str(error)[:120]}")
                return
            if not self.final:
                await asyncio.sleep(RECONNECT_SECONDS)


@dataclass
class Restarts:
    exits: list[tuple[int, int, float]] = field(default_factory=list)
    """(broker, exit status, seconds from SIGTERM to exit) per restart."""
    journeys_during: list[int] = field(default_factory=list)
    """Journeys in flight at each SIGTERM."""
    done: bool = False


async def _roll(stack: ScaleOut, restarts: Restarts, in_flight: list[int]) -> None:
    await asyncio.sleep(8.0)  # journeys well under way: pairing, logins, collecting
    for index in range(stack.brokers):
        restarts.journeys_during.append(in_flight[0])
        status, seconds = await asyncio.to_thread(stack.stop_broker, index)
        restarts.exits.append((index, status, seconds))
        await asyncio.to_thread(stack.start_broker, index)
        await asyncio.sleep(3.0)  # the restarted broker takes traffic again before the next one stops
    restarts.done = True


async def _run(
    stack: ScaleOut, personas: list[Persona], endpoints: Endpoints
) -> tuple[list[JourneyResult], list[Watcher], list[Watcher], Restarts]:
    deadline = time.monotonic() + DEADLINE_SECONDS
    results: list[JourneyResult] = []
    watchers: list[Watcher] = []
    following: list[asyncio.Task[None]] = []
    restarts = Restarts()
    in_flight = [0]
    next_persona = itertools.cycle(personas)
    client = AsyncDatabrugClient(
        endpoints.broker_url, endpoints.provider_id, endpoints.client_secret, endpoints.private_jwks
    )

    def watch(session_id: str) -> None:
        watcher = Watcher(session_id)
        watchers.append(watcher)
        following.append(asyncio.ensure_future(watcher.follow(client, deadline)))

    async def worker() -> None:
        while (not restarts.done or len(results) < MIN_JOURNEYS) and time.monotonic() < deadline:
            in_flight[0] += 1
            try:
                results.append(await run_journey(next(next_persona), endpoints, "parallel", on_created=watch))
            finally:
                in_flight[0] -= 1

    idle = [Watcher((await client.create_session(reference=f"idle-{n}")).id) for n in range(IDLE_WATCHERS)]
    idle_following = [asyncio.ensure_future(w.follow(client, deadline)) for w in idle]
    try:
        await asyncio.gather(_roll(stack, restarts, in_flight), *(worker() for _ in range(WORKERS)))
        await asyncio.wait_for(asyncio.gather(*following), timeout=60)
        for watcher in idle:
            await client.cancel(watcher.session_id)
        await asyncio.wait_for(asyncio.gather(*idle_following), timeout=30)
    finally:
        await client.aclose()
    return results, watchers, idle, restarts


def _timeline(stack: ScaleOut) -> str:
    """The balancer's answers of 5xx, for a failure's message (method, path and status only)."""
    lines = stack.access_log.read_text(encoding="utf-8").splitlines() if stack.access_log.exists() else []
    return "\n".join(line for line in lines if line.split()[4].startswith("5"))[-3000:]


def test_a_rolling_restart_during_journeys_fails_none(stack: ScaleOut) -> None:
    endpoints = load_endpoints(stack.robot_credentials)
    personas = [p for key, p in load_personas(stack.sandbox_url).items() if "no-sms" not in key]
    started = time.monotonic()
    results, watchers, idle, restarts = asyncio.run(_run(stack, personas, endpoints))
    took = time.monotonic() - started

    assert restarts.done, f"the restarts did not finish in {DEADLINE_SECONDS:.0f} s"
    failures = {f"{r.persona} ({r.session_id})": r.error for r in results if not r.ok}
    assert not failures, f"{failures}\n{_timeline(stack)}"
    assert len(results) >= MIN_JOURNEYS
    assert all(r.outcome == "delivered and acknowledged" for r in results), {r.outcome for r in results}
    assert all(r.events[-1] == "session.acknowledged" for r in results)
    assert min(restarts.journeys_during) >= WORKERS // 2, restarts.journeys_during  # journeys ran throughout
    # Each broker drained and exited 0 within the bound (and the lifespan's end): what it waits for is nginx's
    # connections, each answered once more with "Connection: close" or closed by nginx when idle for 3 s.
    assert [(index, status) for index, status, _ in restarts.exits] == [(0, 0), (1, 0)]
    assert all(seconds < DRAIN_SECONDS + 5 for _, _, seconds in restarts.exits), restarts.exits

    # Every watcher saw every event of its session once and in order, up to a final state ...
    assert {w.session_id for w in watchers} == {r.session_id for r in results}
    for watcher in watchers:
        assert not watcher.errors, (watcher.session_id, watcher.errors)
        assert watcher.final
        assert watcher.seen == list(range(1, len(watcher.seen) + 1)), watcher.seen
    # ... and the drains cut streams that then resumed on the other broker.
    resumed = [w for w in watchers if w.streams > 1]
    assert len(resumed) >= 2, [w.streams for w in watchers]
    # A stream open all along was cut at least once (wherever it was, that broker restarted), resumed each
    # time, and got the event that came after the restarts, after all the ones before, none twice.
    for watcher in idle:
        assert not watcher.errors, (watcher.session_id, watcher.errors)
        assert watcher.streams >= 2, watcher.streams
        assert watcher.final
        assert watcher.seen == list(range(1, len(watcher.seen) + 1)), watcher.seen
        assert len(watcher.seen) >= 2  # session.created before the restarts, session.cancelled after
    print(
        f"rolling restart: {len(results)} journeys in {took:.0f} s, exits {restarts.exits}, "
        f"in flight at SIGTERM {restarts.journeys_during}, {len(resumed)} journey streams resumed, "
        f"idle streams per watcher {[w.streams for w in idle]}"
    )


def test_the_drained_brokers_logged_no_traceback(stack: ScaleOut) -> None:
    for index in range(stack.brokers):
        log = Path(stack.broker_log(index)).read_text(encoding="utf-8", errors="replace")
        assert "Traceback" not in log
