"""Open-loop load: robot journeys started at a fixed arrival rate through the scaled-out set (2 brokers
behind nginx on one Redis, the sandbox behind the same nginx, all on loopback).

    python -m bench.open_loop --find-saturation              # step the rate up, find the highest good one
    python -m bench.open_loop --rate 70% --minutes 10        # 70% of the saturation rate found above
    python -m bench.open_loop --soak --rate 50% --minutes 30 # and the broker's RSS every 10 s
    python -m bench --quick --only load                      # 60 s at a low rate: checks the machinery

Open loop: journey *i* starts at its scheduled time (Poisson or uniform arrivals at ``rate`` per second)
as a task of its own, however long earlier journeys take. A journey that cannot start because ``max in
flight`` journeys are already running is a failure ("dropped at the door"), never a wait. Every run is
bounded in journeys, in arrival time and in drain time. The generator's own lag (how late each journey
started against its schedule, and the event loop's lag) is measured: a run whose generator fell behind its
schedule is reported as invalid, since it no longer measured the brokers alone.

Latency per route family comes from nginx's ``$request_time`` (first byte in to last byte out, queueing in a
broker included): provider API (``/api/*``), computer pages (``/start``, ``/c/*``), app (``/app/*`` on the
phone), collection (``/app/fetch-all``: waits for four portals, reported apart) and the sandbox (not the
product). Lost packages: every consented journey's session is read back (``acknowledged``) straight from a
broker, so the check is not in the balancer's figures; at the end no session may keep data in Redis.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import ipaddress
import json
import random
import signal
import statistics
import sys
import tempfile
import time
from collections.abc import Awaitable, Callable, Iterator, Sequence
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Literal
from urllib.parse import urlsplit

import redis.asyncio as aioredis
from tests.support.scale_out import ScaleOut

from bench import Figure, Mode, percentile
from bench.load import LOAD_LIMITS, _legend, _nice, _polyline
from bench.load import schedule as households
from databrug.robot.journey import Endpoints, JourneyResult, Persona, run_journey
from databrug.robot.setup import load_endpoints
from databrug.sdk import AsyncDatabrugClient
from databrug.sessions.service import RECEIPTS

ROOT = Path(__file__).resolve().parent.parent
OUT = ROOT / "docs" / "performance"
SATURATION = OUT / "open-loop-saturation"
RATE_RUN = OUT / "open-loop"
SOAK = OUT / "open-loop-soak"
TARGET_MS = 200.0
FAMILIES = ("provider API", "computer pages", "app", "collection", "sandbox")
TARGET_FAMILIES = ("provider API", "computer pages", "app")
Arrivals = Literal["poisson", "uniform"]

# Bounds on what one command line can ask for: a typo must not start a day of load.
MAX_RATE = 50.0
MAX_MINUTES = 120.0
MAX_JOURNEYS = 100_000
MAX_IN_FLIGHT = 2_000
SCHEDULE_LAG_LIMIT_S = 0.1
"""A run is valid when 95% of the journeys started at most this late against their schedule ..."""
SCHEDULE_LAG_MAX_S = 1.0
"""... and none later than this (a generator that falls behind lags more and more, a busy core only once)."""
RSS_EVERY_S = 10.0
WARM_UP_S = 300.0
RSS_GROWTH_TARGET = 5.0
WINDOW_S = 10.0
DEFAULT_RATES = (1.0, 2.0, 3.0, 4.0, 5.0, 6.0, 7.0, 8.0, 10.0, 12.0)

DROPPED = "dropped at the door (in-flight cap)"
NO_HOUSEHOLD = "dropped at the door (no free household)"
NOT_FINISHED = "not finished within the drain time"


# ---------------------------------------------------------------- the generator (no stack needed)


def require_loopback(url: str) -> None:
    """Refuse to send load anywhere but this machine."""
    host = urlsplit(url).hostname or ""
    if host == "localhost":
        return
    try:
        if ipaddress.ip_address(host).is_loopback:
            return
    except ValueError:
        pass
    raise ValueError(f"open-loop load goes to loopback addresses only, not {host or url!r}")


@dataclass(frozen=True)
class Bounds:
    rate: float
    """Journeys started per second."""
    seconds: float
    """How long journeys keep arriving."""
    max_journeys: int = MAX_JOURNEYS
    max_in_flight: int = 500
    drain_seconds: float = 120.0
    """After the last arrival, how long running journeys may take to finish before they count as failed."""

    def __post_init__(self) -> None:
        if not 0 < self.rate <= MAX_RATE:
            raise ValueError(f"rate must be above 0 and at most {MAX_RATE:g} journeys per second")
        if not 0 < self.seconds <= MAX_MINUTES * 60:
            raise ValueError(f"the arrival window must be above 0 and at most {MAX_MINUTES:g} minutes")
        if not 0 < self.max_journeys <= MAX_JOURNEYS:
            raise ValueError(f"max journeys must be 1 to {MAX_JOURNEYS}")
        if not 0 < self.max_in_flight <= MAX_IN_FLIGHT:
            raise ValueError(f"max in flight must be 1 to {MAX_IN_FLIGHT}")
        if not 0 <= self.drain_seconds <= 3600:
            raise ValueError("the drain time must be 0 to 3600 seconds")


def arrival_schedule(bounds: Bounds, arrivals: Arrivals = "poisson", seed: int = 18) -> list[float]:
    """Start offsets (seconds from the start), fixed before the run: it never depends on answers."""
    times: list[float] = []
    if arrivals == "uniform":
        while len(times) < bounds.max_journeys:
            at = len(times) / bounds.rate
            if at >= bounds.seconds:
                break
            times.append(at)
        return times
    draw = random.Random(seed)
    at = draw.expovariate(bounds.rate)
    while at < bounds.seconds and len(times) < bounds.max_journeys:
        times.append(at)
        at += draw.expovariate(bounds.rate)
    return times


@dataclass
class Arrival:
    index: int
    scheduled: float
    started: float | None = None
    """Seconds from the start; None: dropped at the door."""
    finished: float | None = None
    failure: str | None = None
    """None: the journey ended as expected."""
    result: JourneyResult | None = None


@dataclass
class Ledger:
    arrivals: list[Arrival] = field(default_factory=list)
    started_at: float = 0.0
    """Wall-clock time (time.time) of offset 0, to line the arrivals up with nginx's log."""
    arrival_window: float = 0.0
    """Seconds from offset 0 to the last start (or drop) the schedule asked for."""
    loop_lag: list[float] = field(default_factory=list)
    in_flight: list[tuple[float, int]] = field(default_factory=list)
    """(seconds from offset 0, journeys running), once a second."""
    most_in_flight: int = 0

    @property
    def lags(self) -> list[float]:
        return [a.started - a.scheduled for a in self.arrivals if a.started is not None]

    def failures(self) -> collections.Counter[str]:
        return collections.Counter(a.failure for a in self.arrivals if a.failure is not None)


Journey = Callable[[int], Awaitable[tuple[str | None, JourneyResult | None]]]
"""Runs journey ``index``; returns its failure code (None when it ended as expected) and its result."""
Admit = Callable[[int], bool]
"""Whether journey ``index`` can start now (e.g. a household is free); False drops it at the door."""


async def _probe(
    ledger: Ledger, origin: float, in_flight: Callable[[], int], stop: asyncio.Event, every: float = 0.05
) -> None:
    """The event loop's lag (how late a 50 ms sleep wakes), and journeys in flight once a second."""
    loop = asyncio.get_running_loop()
    ticks = 0
    while not stop.is_set():
        before = loop.time()
        await asyncio.sleep(every)
        ledger.loop_lag.append(max(0.0, loop.time() - before - every))
        ticks += 1
        if ticks % 20 == 0:
            ledger.in_flight.append((loop.time() - origin, in_flight()))


async def open_loop(
    schedule: Sequence[float], journey: Journey, bounds: Bounds, admit: Admit | None = None
) -> Ledger:
    """Start journey *i* at ``schedule[i]`` whatever the others do; drain; count what did not end well."""
    loop = asyncio.get_running_loop()
    ledger = Ledger(started_at=time.time())
    origin = loop.time()
    running: set[asyncio.Task[None]] = set()
    of_task: dict[asyncio.Task[None], Arrival] = {}
    stop = asyncio.Event()
    probe = asyncio.create_task(_probe(ledger, origin, lambda: len(running), stop))

    async def one(arrival: Arrival) -> None:
        try:
            arrival.failure, arrival.result = await journey(arrival.index)
        except Exception as error:  # one failed journey, never a crash of the run
            arrival.failure = type(error).__name__
        finally:
            arrival.finished = loop.time() - origin

    for index, offset in enumerate(schedule[: bounds.max_journeys]):
        if offset >= bounds.seconds:
            break
        delay = origin + offset - loop.time()
        if delay > 0:
            await asyncio.sleep(delay)
        arrival = Arrival(index, offset)
        ledger.arrivals.append(arrival)
        now = loop.time() - origin
        if len(running) >= bounds.max_in_flight:
            arrival.failure = DROPPED
        elif admit is not None and not admit(index):
            arrival.failure = NO_HOUSEHOLD
        else:
            arrival.started = now
            task = asyncio.create_task(one(arrival))
            running.add(task)
            of_task[task] = arrival
            task.add_done_callback(running.discard)
        ledger.most_in_flight = max(ledger.most_in_flight, len(running))
    ledger.arrival_window = min(bounds.seconds, loop.time() - origin)
    if running:
        _, pending = await asyncio.wait(set(running), timeout=bounds.drain_seconds)
        for task in pending:
            task.cancel()
        await asyncio.gather(*pending, return_exceptions=True)
        for task in pending:
            of_task[task].failure = NOT_FINISHED
    stop.set()
    await probe
    return ledger


class HouseholdPool:
    """Journeys take households round robin, skipping any whose people are in a running journey, so no two
    journeys race for one DigiD account's SMS code; nothing ever waits for a household."""

    def __init__(self, personas: Sequence[Persona]) -> None:
        self.personas = list(personas)
        self.next = 0
        self.busy: set[str] = set()
        self.taken: dict[int, Persona] = {}

    @staticmethod
    def _people(persona: Persona) -> set[str]:
        return {persona.applicant.username} | ({persona.partner.username} if persona.partner else set())

    def take(self, index: int) -> bool:
        for step in range(len(self.personas)):
            persona = self.personas[(self.next + step) % len(self.personas)]
            if not self._people(persona) & self.busy:
                self.next = (self.next + step + 1) % len(self.personas)
                self.busy |= self._people(persona)
                self.taken[index] = persona
                return True
        return False

    def give_back(self, index: int) -> None:
        self.busy -= self._people(self.taken.pop(index))


# ---------------------------------------------------------------- against the scaled-out set


@dataclass(frozen=True)
class Hit:
    at: float  # seconds since the run's offset 0, when the answer was complete
    family: str
    ms: float
    status: int
    upstream: str


def family_of(front: str, path: str) -> str | None:
    """The route family of a request at the balancer; None for probes and event streams."""
    if front == "idp":
        return "sandbox"
    if path in ("/health", "/ready", "/c/events") or (path.startswith("/api/") and path.endswith("/events")):
        return None
    if path.startswith("/api/"):
        return "provider API"
    if path == "/app/fetch-all" or (path.startswith("/app/sources/") and path.endswith("/fetch")):
        return "collection"
    if path.startswith("/app/") or path == "/app":
        return "app"
    return "computer pages"


def read_access_log(stack: ScaleOut, started: float) -> list[Hit]:
    fronts = {str(stack.lb_port): "lb", str(stack.idp_port): "idp"}
    hits = []
    for line in stack.access_log.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 7 or fields[1] not in fronts:
            continue
        family = family_of(fronts[fields[1]], fields[3])
        if family is None:
            continue
        at = float(fields[0]) - started
        if at >= 0:
            hits.append(Hit(at, family, float(fields[5]) * 1000, int(fields[4]), fields[6]))
    return hits


def _consented(result: JourneyResult) -> bool:
    return bool(result.session_id) and any(
        s["name"] == "review and consent" and s["ok"] for s in result.steps
    )


@dataclass
class Checks:
    consented: int = 0
    lost: int = 0


def stack_journey(
    endpoints: Endpoints, pool: HouseholdPool, checker: AsyncDatabrugClient, checks: Checks
) -> Journey:
    async def journey(index: int) -> tuple[str | None, JourneyResult | None]:
        try:
            result = await run_journey(pool.taken[index], endpoints, "parallel")
        finally:
            pool.give_back(index)
        if _consented(result):
            checks.consented += 1
            assert result.session_id is not None
            try:
                state = (await checker.get_session(result.session_id)).state
            except Exception:
                state = "unreadable"
            if state != "acknowledged" and not result.package:  # neither acknowledged nor picked up
                checks.lost += 1
        return (None if result.ok else (result.error or result.outcome)[:80]), result

    return journey


async def sessions_with_data_left(redis_url: str) -> int:
    """Collected data and packages live in each session's blob hash; acknowledged sessions keep only the
    citizen's receipts (``receipt*``: counts, times, digests)."""
    store = aioredis.from_url(redis_url)
    left = 0
    try:
        async for key in store.scan_iter(match="*:blobs", count=1000):
            names = await store.hkeys(key)
            text = [name.decode() if isinstance(name, bytes) else name for name in names]
            left += any(not name.startswith(RECEIPTS) for name in text)
    finally:
        await store.aclose()
    return left


async def _sample_rss(
    stack: ScaleOut, started: float, into: dict[str, list[tuple[float, int]]], stop: asyncio.Event
) -> None:
    while True:
        for name, rss in stack.rss_bytes().items():
            if name.startswith("broker-"):
                into[name].append((round(time.time() - started, 1), rss))
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), RSS_EVERY_S)
        if stop.is_set():
            return


@dataclass
class Step:
    """One rate held for a while: its arrivals, the hits at the balancer in its time, and what was checked."""

    bounds: Bounds
    arrivals: Arrivals
    ledger: Ledger
    hits: list[Hit]
    checks: Checks
    left_in_store: int = 0
    cpu: dict[str, float] = field(default_factory=dict)
    rss: dict[str, list[tuple[float, int]]] = field(default_factory=dict)
    offset: float = 0.0
    """Seconds from the first step's start (saturation search: where this step sits on the chart)."""


@dataclass
class Session:
    """A running scaled-out set with the robot's endpoints, for one or more steps."""

    stack: ScaleOut
    endpoints: Endpoints
    personas: list[Persona]
    checker: AsyncDatabrugClient | None = None

    async def step(self, bounds: Bounds, arrivals: Arrivals, seed: int, rss: bool = False) -> Step:
        if self.checker is None:
            direct = f"http://127.0.0.1:{self.stack.broker_ports[0]}"
            e = self.endpoints
            self.checker = AsyncDatabrugClient(
                direct, e.provider_id, e.client_secret, private_jwks=e.private_jwks
            )
        pool = HouseholdPool(self.personas)
        checks = Checks()
        samples: dict[str, list[tuple[float, int]]] = collections.defaultdict(list)
        stop = asyncio.Event()
        left_before = await sessions_with_data_left(self.stack.redis_url)
        cpu_before, robot_before = self.stack.cpu_seconds(), time.process_time()
        sampler = asyncio.create_task(_sample_rss(self.stack, time.time(), samples, stop)) if rss else None
        ledger = await open_loop(
            arrival_schedule(bounds, arrivals, seed),
            stack_journey(self.endpoints, pool, self.checker, checks),
            bounds,
            admit=pool.take,
        )
        stop.set()
        if sampler is not None:
            await sampler
        cpu_after = self.stack.cpu_seconds()
        cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0.0), 1) for name in cpu_after}
        cpu["robot (this process)"] = round(time.process_time() - robot_before, 1)
        left = await sessions_with_data_left(self.stack.redis_url) - left_before
        return Step(bounds, arrivals, ledger, [], checks, left, cpu, dict(samples))

    async def close(self) -> None:
        if self.checker is not None:
            await self.checker.aclose()


@contextlib.contextmanager
def scaled_out(directory: Path | None, brokers: int = 2) -> Iterator[Session]:
    with contextlib.ExitStack() as stack:
        where = directory or Path(
            stack.enter_context(tempfile.TemporaryDirectory(prefix="databrug-open-loop-"))
        )
        running = stack.enter_context(
            ScaleOut(where, brokers=brokers, provider=False, broker_env=LOAD_LIMITS)
        )
        endpoints = load_endpoints(running.robot_credentials)
        for url in (endpoints.broker_url, endpoints.citizen_url, endpoints.sandbox_url):
            require_loopback(url)
        yield Session(running, endpoints, households(MAX_IN_FLIGHT))


def attach_hits(session: Session, steps: Sequence[Step]) -> None:
    """nginx writes its buffered log every second: wait, then hand each step the hits of its own time."""
    time.sleep(1.5)
    first = steps[0].ledger.started_at
    hits = read_access_log(session.stack, first)
    for step in steps:
        begin = step.ledger.started_at - first
        end = begin + max([a.finished or 0.0 for a in step.ledger.arrivals] + [step.ledger.arrival_window])
        step.offset = begin
        step.hits = [
            Hit(h.at - begin, h.family, h.ms, h.status, h.upstream)
            for h in hits
            if begin <= h.at <= end + 0.5
        ]


# ---------------------------------------------------------------- figures


def _stats(values: Sequence[float], digits: int = 1) -> dict[str, float]:
    if not values:
        return {"count": 0}
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), digits),
        "p95": round(percentile(values, 0.95), digits),
        "p99": round(percentile(values, 0.99), digits),
        "max": round(max(values), digits),
    }


def rss_growth(samples: Sequence[tuple[float, int]], warm_up: float) -> dict[str, float] | None:
    """RSS after warm-up: the median of the first minute after it against the median of the last minute."""
    kept = [(t, v) for t, v in samples if t >= warm_up]
    if len(kept) < 4:
        return None
    span = min(60.0, (kept[-1][0] - kept[0][0]) / 3)
    first = statistics.median(v for t, v in kept if t <= kept[0][0] + span)
    last = statistics.median(v for t, v in kept if t >= kept[-1][0] - span)
    return {
        "warm_up_s": warm_up,
        "after_warm_up_mb": round(first / 2**20, 1),
        "end_mb": round(last / 2**20, 1),
        "max_mb": round(max(v for _, v in kept) / 2**20, 1),
        "growth_pct": round((last - first) * 100 / first, 2),
    }


def durations(ledger: Ledger) -> list[tuple[float, float, bool]]:
    """Per journey that started and finished: when it started, how long it took, whether it ended well."""
    return [
        (a.started, a.finished - a.started, a.failure is None)
        for a in ledger.arrivals
        if a.started is not None and a.finished is not None
    ]


def keeps_up(ledger: Ledger) -> tuple[bool, float]:
    """Completions keep up with arrivals when journeys that started in the last third of the window take no
    longer than those of the first third (a queue that grows makes every later journey slower)."""
    window = ledger.arrival_window
    ended_well = [(start, seconds) for start, seconds, ok in durations(ledger) if ok]
    early = [d for s, d in ended_well if s < window / 3]
    late = [d for s, d in ended_well if s >= 2 * window / 3]
    if not early or not late:
        return True, 1.0
    ratio = statistics.median(late) / statistics.median(early)
    return ratio <= 1.5, round(ratio, 2)


def summary(step: Step, kind: str) -> dict[str, Any]:
    ledger = step.ledger
    results = [a.result for a in ledger.arrivals if a.result is not None]
    started = [a for a in ledger.arrivals if a.started is not None]
    failures = ledger.failures()
    lags = ledger.lags
    lag_p95 = percentile(lags, 0.95) if lags else 0.0
    broker_hits = [h for h in step.hits if h.family != "sandbox"]
    by_family = {f: _stats([h.ms for h in step.hits if h.family == f]) for f in FAMILIES}
    good, slowdown = keeps_up(ledger)
    window = ledger.arrival_window or step.bounds.seconds
    facts: dict[str, Any] = {
        "kind": kind,
        "asked_rate": step.bounds.rate,
        "arrivals": step.arrivals,
        "arrival_seconds": round(window, 1),
        "bounds": asdict(step.bounds),
        "scheduled": len(ledger.arrivals),
        "started": len(started),
        "achieved_rate": round(len(started) / window, 3),
        "schedule_lag_ms": _stats([x * 1000 for x in lags]),
        "loop_lag_ms": _stats([x * 1000 for x in ledger.loop_lag]),
        "schedule_kept": lag_p95 <= SCHEDULE_LAG_LIMIT_S and max(lags, default=0.0) <= SCHEDULE_LAG_MAX_S,
        "max_in_flight_seen": ledger.most_in_flight,
        "ok": sum(a.failure is None for a in ledger.arrivals),
        "failed": sum(failures.values()),
        "failures": dict(failures.most_common(8)),
        "failed_households": sorted({a.result.persona for a in ledger.arrivals if a.failure and a.result})[
            :20
        ],
        "delivered_and_acknowledged": sum(r.outcome == "delivered and acknowledged" for r in results),
        "refused_by_design": sum(r.outcome.startswith("refused as expected") for r in results),
        "consented": step.checks.consented,
        "lost_packages": step.checks.lost,
        "sessions_with_data_left": step.left_in_store,
        "journey_seconds": _stats([seconds for _, seconds, _ in durations(ledger)], 2),
        "completions_keep_up": good,
        "late_vs_early_journey_time": slowdown,
        "latency_ms": {f: s for f, s in by_family.items() if s["count"]},
        "requests_at_balancer": len(broker_hits),
        "server_errors": sum(h.status >= 500 for h in step.hits),
        "requests_per_broker": dict(sorted(collections.Counter(h.upstream for h in broker_hits).items())),
        "cpu_seconds": step.cpu,
    }
    if step.rss:
        warm_up = min(WARM_UP_S, window / 3)
        facts["rss"] = {name: rss_growth(samples, warm_up) for name, samples in sorted(step.rss.items())}
        facts["rss_samples"] = {name: samples for name, samples in sorted(step.rss.items())}
    facts["verdict"] = verdict(facts)
    return facts


def verdict(facts: dict[str, Any]) -> dict[str, bool]:
    p95_ok = all(facts["latency_ms"].get(f, {}).get("p95", 0.0) < TARGET_MS for f in TARGET_FAMILIES)
    result = {
        "schedule_kept": facts["schedule_kept"],
        "no_failed_journeys": facts["failed"] == 0,
        "no_lost_packages": facts["lost_packages"] + facts["sessions_with_data_left"] == 0,
        "p95_under_target": p95_ok,
        "completions_keep_up": facts["completions_keep_up"],
    }
    if "rss" in facts:
        result["rss_flat"] = all(
            g is not None and g["growth_pct"] <= RSS_GROWTH_TARGET for g in facts["rss"].values()
        )
    return result


def figures(facts: dict[str, Any], label: str = "load") -> list[Figure]:
    rate = f"{facts['asked_rate']:g}/s {facts['arrivals']} for {facts['arrival_seconds']:g} s"
    lag = facts["schedule_lag_ms"]
    out = [
        Figure(
            f"{label}: failed journeys",
            facts["failed"],
            "",
            target="0",
            ok=facts["failed"] == 0,
            note=f"{facts['started']} started at {rate}; "
            + "; ".join(f"{k}: {v}" for k, v in facts["failures"].items()),
        ),
        Figure(
            f"{label}: lost packages",
            facts["lost_packages"] + facts["sessions_with_data_left"],
            "",
            target="0",
            ok=facts["lost_packages"] + facts["sessions_with_data_left"] == 0,
            note=f"{facts['consented']} consented, each read back acknowledged; data left in Redis: "
            f"{facts['sessions_with_data_left']}",
        ),
    ]
    for family in (*TARGET_FAMILIES, "collection"):
        stats = facts["latency_ms"].get(family)
        if stats is None:
            continue
        in_target = family in TARGET_FAMILIES
        out.append(
            Figure(
                f"{label}: p95 {family}",
                stats["p95"],
                "ms",
                target=f"< {TARGET_MS:.0f} ms" if in_target else "",
                ok=stats["p95"] < TARGET_MS if in_target else None,
                note=f"at the balancer; p50 {stats['p50']}, p99 {stats['p99']} ms; {stats['count']} requests",
            )
        )
    out.append(
        Figure(
            f"{label}: schedule lag p95",
            lag.get("p95", 0.0),
            "ms",
            target=f"<= {SCHEDULE_LAG_LIMIT_S * 1000:.0f} ms, max <= {SCHEDULE_LAG_MAX_S:g} s",
            ok=facts["schedule_kept"],
            note=f"achieved {facts['achieved_rate']:g}/s of {facts['asked_rate']:g}/s asked; "
            f"lag p99 {lag.get('p99', 0)}, max {lag.get('max', 0)} ms; "
            f"event loop lag p99 {facts['loop_lag_ms'].get('p99', 0)} ms",
        )
    )
    for name, growth in facts.get("rss", {}).items():
        if growth is not None:
            out.append(
                Figure(
                    f"{label}: {name} RSS growth after warm-up",
                    growth["growth_pct"],
                    "%",
                    target=f"<= {RSS_GROWTH_TARGET:g}%",
                    ok=growth["growth_pct"] <= RSS_GROWTH_TARGET,
                    note=f"{growth['after_warm_up_mb']} -> {growth['end_mb']} MB, "
                    f"after {growth['warm_up_s']:g} s of warm-up",
                )
            )
    return out


def markdown(facts: dict[str, Any], command: str) -> str:
    """The run as Markdown tables, to paste into docs/performance.md."""
    failures = json.dumps(facts["failures"]) if facts["failures"] else ""
    lines = [
        f"`{command}`",
        "",
        "| figure | value |",
        "|---|---|",
        f"| arrivals | {facts['asked_rate']:g} journeys/s asked ({facts['arrivals']}), "
        f"{facts['achieved_rate']:g}/s achieved, {facts['started']} started over "
        f"{facts['arrival_seconds']:g} s |",
        f"| schedule lag (start vs schedule) | p50 {facts['schedule_lag_ms'].get('p50', 0)} ms, "
        f"p99 {facts['schedule_lag_ms'].get('p99', 0)} ms, max {facts['schedule_lag_ms'].get('max', 0)} ms: "
        f"{'kept' if facts['schedule_kept'] else '**NOT kept: run invalid**'} |",
        f"| ended as expected | {facts['ok']}: {facts['delivered_and_acknowledged']} delivered and "
        f"acknowledged, {facts['refused_by_design']} refused by design |",
        f"| **failed journeys** | **{facts['failed']}** {failures} |",
        f"| **lost packages** | **{facts['lost_packages']}** of {facts['consented']} consented; "
        f"sessions with data left in Redis: {facts['sessions_with_data_left']} |",
        f"| journey time | p50 {facts['journey_seconds'].get('p50', 0)} s, p95 "
        f"{facts['journey_seconds'].get('p95', 0)} s; most in flight {facts['max_in_flight_seen']} |",
        f"| requests at the balancer | {facts['requests_at_balancer']}, 5xx: {facts['server_errors']}, "
        f"per broker {facts['requests_per_broker']} |",
        "",
        "| route family (at the balancer) | requests | p50 ms | p95 ms | p99 ms | max ms | target |",
        "|---|---|---|---|---|---|---|",
    ]
    for family in FAMILIES:
        s = facts["latency_ms"].get(family)
        if s is None:
            continue
        if family in TARGET_FAMILIES:
            target = f"p95 < {TARGET_MS:.0f} ms: " + ("**met**" if s["p95"] < TARGET_MS else "**MISS**")
        else:
            target = "(waits for four portals)" if family == "collection" else "(not the product)"
        lines.append(
            f"| {family} | {s['count']} | {s['p50']} | {s['p95']} | {s['p99']} | {s['max']} | {target} |"
        )
    cpu = facts["cpu_seconds"]
    lines += ["", "CPU seconds: " + ", ".join(f"{k} {v}" for k, v in cpu.items())]
    for name, growth in facts.get("rss", {}).items():
        if growth is not None:
            lines.append(
                f"\n{name} RSS: {growth['after_warm_up_mb']} MB after {growth['warm_up_s']:g} s warm-up, "
                f"{growth['end_mb']} MB at the end (max {growth['max_mb']}): "
                f"**{growth['growth_pct']:+.2f}%** "
                f"(target <= {RSS_GROWTH_TARGET:g}%)"
            )
    return "\n".join(lines) + "\n"


def saturation_markdown(result: dict[str, Any], command: str) -> str:
    lines = [
        f"`{command}`",
        "",
        "| rate asked /s | achieved /s | started | failed | lost | p95 provider API | p95 computer pages | "
        "p95 app | journey p50 s | late/early | schedule lag p95 / max ms | good |",
        "|---|---|---|---|---|---|---|---|---|---|---|---|",
    ]
    for facts in result["steps"]:
        lat = facts["latency_ms"]
        p95 = [str(lat.get(f, {}).get("p95", "-")) for f in TARGET_FAMILIES]
        lines.append(
            f"| {facts['asked_rate']:g} | {facts['achieved_rate']:g} | {facts['started']} | "
            f"{facts['failed']} | "
            f"{facts['lost_packages'] + facts['sessions_with_data_left']} | {' | '.join(p95)} | "
            f"{facts['journey_seconds'].get('p50', '-')} | {facts['late_vs_early_journey_time']} | "
            f"{facts['schedule_lag_ms'].get('p95', '-')} / {facts['schedule_lag_ms'].get('max', '-')} | "
            f"{'yes' if all(facts['verdict'].values()) else 'no'} |"
        )
    lines += ["", f"Saturation rate: **{result['saturation_rate']}** journeys/s ({result['reason']})"]
    return "\n".join(lines) + "\n"


# ---------------------------------------------------------------- chart


def _series(values_at: Sequence[tuple[float, float]], end: float) -> dict[str, list[tuple[float, float]]]:
    count = int(end // WINDOW_S) + 1
    buckets: list[list[float]] = [[] for _ in range(count)]
    for at, value in values_at:
        if 0 <= at <= end:
            buckets[min(count - 1, int(at // WINDOW_S))].append(value)
    out: dict[str, list[tuple[float, float]]] = {"p50": [], "p95": [], "p99": []}
    for i, values in enumerate(buckets):
        if len(values) >= 5:
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                out[name].append(((i + 0.5) * WINDOW_S, percentile(values, fraction)))
    return out


def chart_svg(steps: Sequence[Step], title: str) -> str:
    """One latency panel per target family (p50/p95/p99 per 10 s window), arrivals and completions per
    second with journeys in flight, and the brokers' RSS when sampled."""
    hits = [(s.offset + h.at, h) for s in steps for h in s.hits]
    arrivals = [(s.offset + a.scheduled, a) for s in steps for a in s.ledger.arrivals]
    end = max(
        [at for at, _ in hits] + [at + (a.finished or 0) - a.scheduled for at, a in arrivals] + [WINDOW_S]
    )
    rss = {
        name: [(t + s.offset, v / 2**20) for t, v in samples]
        for s in steps
        for name, samples in s.rss.items()
    }
    panels = [*TARGET_FAMILIES, "throughput"] + (["rss"] if rss else [])
    width, left, right, panel, gap, top = 900, 70, 60, 150, 70, 60
    plot_w = width - left - right
    height = top + len(panels) * (panel + gap) + 10

    def x(seconds: float) -> float:
        return left + plot_w * seconds / end

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12" role="img" '
        f'aria-label="{title}">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">{title}</text>',
    ]
    colours = {"p50": "#1f77b4", "p95": "#ff7f0e", "p99": "#7f3fbf"}
    for number, name in enumerate(panels):
        base = top + number * (panel + gap)
        out.append(
            f'<rect x="{left}" y="{base}" width="{plot_w}" height="{panel}" fill="none" stroke="#999"/>'
        )
        step_tick = _nice(end / 8)
        tick = 0.0
        while tick <= end:
            out.append(
                f'<text x="{x(tick):.1f}" y="{base + panel + 16}" text-anchor="middle">{tick:.0f}</text>'
            )
            tick += step_tick
        for s in steps[1:]:
            out.append(
                f'<line x1="{x(s.offset):.1f}" x2="{x(s.offset):.1f}" y1="{base}" y2="{base + panel}" '
                'stroke="#ccc"/>'
            )
        if name in TARGET_FAMILIES:
            series = _series([(at, h.ms) for at, h in hits if h.family == name], end)
            top_ms = _nice(max([v for pts in series.values() for _, v in pts] + [TARGET_MS * 1.25]))

            def y(ms: float, base: float = base, top_ms: float = top_ms) -> float:
                return base + panel - panel * min(ms, top_ms) / top_ms

            out.append(
                f'<text x="{left}" y="{base - 22}">{name}: latency at the balancer '
                f"(ms per {WINDOW_S:.0f} s window)</text>"
            )
            for i in range(5):
                out.append(
                    f'<text x="{left - 6}" y="{y(top_ms * i / 4) + 4:.1f}" text-anchor="end">'
                    f"{top_ms * i / 4:.0f}</text>"
                )
            out.append(
                f'<line x1="{left}" x2="{left + plot_w}" y1="{y(TARGET_MS):.1f}" y2="{y(TARGET_MS):.1f}" '
                'stroke="#c00" stroke-dasharray="6 4"/>'
            )
            for key, points in series.items():
                out.append(_polyline([(x(t), y(v)) for t, v in points], colours[key]))
            out += _legend(
                [(k, c, "") for k, c in colours.items()] + [(f"target {TARGET_MS:.0f} ms", "#c00", "6 4")],
                left + plot_w,
                base - 6,
            )
        elif name == "throughput":
            count = int(end // WINDOW_S) + 1
            started, done = [0] * count, [0] * count
            for at, a in arrivals:
                if a.started is not None:
                    started[min(count - 1, int(at // WINDOW_S))] += 1
                if a.finished is not None:
                    done[min(count - 1, int((at - a.scheduled + a.finished) // WINDOW_S))] += 1
            flight = [(s.offset + t, float(n)) for s in steps for t, n in s.ledger.in_flight]
            per_s = [(i + 0.5) * WINDOW_S for i in range(count)]
            top_rate = _nice(max([n / WINDOW_S for n in started + done] + [0.5]))
            top_flight = _nice(max([n for _, n in flight] + [1.0]))

            def yr(v: float, base: float = base, top_rate: float = top_rate) -> float:
                return base + panel - panel * v / top_rate

            def yf(v: float, base: float = base, top_flight: float = top_flight) -> float:
                return base + panel - panel * v / top_flight

            out.append(
                f'<text x="{left}" y="{base - 22}">Journeys per second ({WINDOW_S:.0f} s windows, left) '
                "and in flight (right)</text>"
            )
            for i in range(5):
                out.append(
                    f'<text x="{left - 6}" y="{yr(top_rate * i / 4) + 4:.1f}" text-anchor="end">'
                    f"{top_rate * i / 4:g}</text>"
                )
                out.append(
                    f'<text x="{width - right + 6}" y="{yf(top_flight * i / 4) + 4:.1f}">'
                    f"{top_flight * i / 4:g}</text>"
                )
            out.append(
                _polyline([(x(m), yr(n / WINDOW_S)) for m, n in zip(per_s, started, strict=True)], "#2ca02c")
            )
            out.append(
                _polyline(
                    [(x(m), yr(n / WINDOW_S)) for m, n in zip(per_s, done, strict=True)], "#1f77b4", "4 3"
                )
            )
            out.append(_polyline([(x(t), yf(n)) for t, n in flight], "#999", "1 2"))
            out += _legend(
                [
                    ("started/s", "#2ca02c", ""),
                    ("finished/s", "#1f77b4", "4 3"),
                    ("in flight", "#999", "1 2"),
                ],
                left + plot_w,
                base - 6,
            )
        else:
            values = [v for pts in rss.values() for _, v in pts]
            low, high = min(values), max(values)
            bottom = max(0.0, low - (high - low) - 10)
            top_mb = high + (high - low) + 10

            def ym(v: float, base: float = base, bottom: float = bottom, top_mb: float = top_mb) -> float:
                return base + panel - panel * (v - bottom) / (top_mb - bottom)

            out.append(f'<text x="{left}" y="{base - 22}">Broker RSS (MB, every {RSS_EVERY_S:.0f} s)</text>')
            for i in range(5):
                value = bottom + (top_mb - bottom) * i / 4
                out.append(
                    f'<text x="{left - 6}" y="{ym(value) + 4:.1f}" text-anchor="end">{value:.0f}</text>'
                )
            shades = ["#8c564b", "#17becf", "#bcbd22", "#e377c2"]
            for i, (_, points) in enumerate(sorted(rss.items())):
                out.append(_polyline([(x(t), ym(v)) for t, v in points], shades[i % len(shades)]))
            out += _legend(
                [(b, shades[i % len(shades)], "") for i, b in enumerate(sorted(rss))], left + plot_w, base - 6
            )
    out.append(
        f'<text x="{left + plot_w / 2}" y="{height - 4}" text-anchor="middle">seconds into the run</text>'
    )
    out.append("</svg>")
    return "\n".join(part for part in out if part) + "\n"


# ---------------------------------------------------------------- entry points


def write(prefix: Path, facts: dict[str, Any], chart: str, text: str) -> None:
    prefix.parent.mkdir(parents=True, exist_ok=True)
    prefix.with_suffix(".json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    prefix.with_suffix(".svg").write_text(chart, encoding="utf-8")
    prefix.with_suffix(".md").write_text(text, encoding="utf-8")


def run_at(
    bounds: Bounds, arrivals: Arrivals, seed: int, soak: bool, directory: Path | None
) -> tuple[dict[str, Any], str]:
    with scaled_out(directory) as session:

        async def go() -> Step:
            try:
                return await session.step(bounds, arrivals, seed, rss=soak)
            finally:
                await session.close()

        step = asyncio.run(go())
        attach_hits(session, [step])
    kind = "soak" if soak else "rate"
    facts = summary(step, kind)
    title = (
        f"Open loop{' soak' if soak else ''}: {bounds.rate:g} journeys/s ({arrivals}) for "
        f"{bounds.seconds / 60:g} min, 2 brokers behind nginx on one Redis"
    )
    return facts, chart_svg([step], title)


def find_saturation(
    rates: Sequence[float],
    step_seconds: float,
    arrivals: Arrivals,
    seed: int,
    directory: Path | None,
    keep_going: bool = False,
) -> tuple[dict[str, Any], str]:
    """Hold each rate for ``step_seconds`` (draining in between) until a step is not good; the highest good
    rate below the first bad one is the saturation rate. ``keep_going`` runs every step anyway (the curve)."""
    steps: list[Step] = []
    with scaled_out(directory) as session:

        async def go() -> None:
            try:
                for rate in rates:
                    bounds = Bounds(rate, step_seconds, drain_seconds=max(60.0, step_seconds))
                    step = await session.step(bounds, arrivals, seed)
                    steps.append(step)
                    print(
                        f"  {rate:g}/s: {step.ledger.failures() or 'no failures'}",
                        file=sys.stderr,
                        flush=True,
                    )
                    bad = step.ledger.failures() or step.checks.lost or not keeps_up(step.ledger)[0]
                    if bad and not keep_going:
                        return  # latency is judged afterwards, from the log; failures end the search now
            finally:
                await session.close()

        asyncio.run(go())
        attach_hits(session, steps)
    results = [summary(s, "saturation step") for s in steps]
    saturation, reason = 0.0, "no rate was good"
    for facts in results:
        if not all(facts["verdict"].values()):
            failed = [name for name, ok in facts["verdict"].items() if not ok]
            reason = f"{facts['asked_rate']:g}/s was not good: {', '.join(failed)}"
            break
        saturation = facts["asked_rate"]
    else:
        reason = f"every rate asked was good; the highest was {saturation:g}/s"
    result = {"saturation_rate": saturation, "reason": reason, "step_seconds": step_seconds, "steps": results}
    asked = ", ".join(f"{r:g}" for r in rates[: len(steps)])
    title = f"Open loop, saturation search: {asked} journeys/s, {step_seconds:g} s each"
    return result, chart_svg(steps, title)


def rate_of(text: str, saturation_file: Path) -> float:
    """``2.1`` journeys per second, or ``70%`` of the saturation rate the last search wrote."""
    if not text.endswith("%"):
        return float(text)
    if not saturation_file.exists():
        raise SystemExit(
            f"--rate {text}: no saturation search yet ({saturation_file}); run --find-saturation"
        )
    found = float(json.loads(saturation_file.read_text(encoding="utf-8"))["saturation_rate"])
    if found <= 0:
        raise SystemExit(f"--rate {text}: the saturation search found no good rate ({saturation_file})")
    return round(found * float(text[:-1]) / 100, 3)


def measure_for_bench(mode: Mode) -> list[Figure]:
    """``python -m bench --only load``: quick = 60 s at 0.5/s (checks the machinery); full = 10 minutes at 70%
    of the saturation rate of the last search (``--find-saturation``)."""
    if mode == "quick":
        bounds = Bounds(0.5, 60.0, drain_seconds=90.0)
        facts, _ = run_at(bounds, "poisson", 18, soak=False, directory=None)
        return figures(facts, "load (open loop, quick)")
    rate = rate_of("70%", SATURATION.with_suffix(".json"))
    facts, chart = run_at(Bounds(rate, 600.0), "poisson", 18, soak=False, directory=None)
    write(RATE_RUN, facts, chart, markdown(facts, "python -m bench --full --only load"))
    return figures(facts, "load (open loop, 70%)")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.open_loop", description=__doc__.split("\n\n")[0])
    what = parser.add_mutually_exclusive_group(required=True)
    what.add_argument(
        "--find-saturation", action="store_true", help="step the rate up until a step is not good"
    )
    what.add_argument("--rate", help="journeys per second, or N%% of the last saturation rate (e.g. 70%%)")
    parser.add_argument("--soak", action="store_true", help="with --rate: sample the brokers' RSS every 10 s")
    parser.add_argument("--minutes", type=float, default=10.0, help="with --rate: how long journeys arrive")
    parser.add_argument("--rates", default=",".join(f"{r:g}" for r in DEFAULT_RATES), help="saturation steps")
    parser.add_argument("--step-seconds", type=float, default=60.0, help="saturation: seconds per rate")
    parser.add_argument(
        "--keep-going", action="store_true", help="saturation: run every step, even after a bad one"
    )
    parser.add_argument("--arrivals", choices=("poisson", "uniform"), default="poisson")
    parser.add_argument("--seed", type=int, default=18)
    parser.add_argument("--max-in-flight", type=int, default=500)
    parser.add_argument("--max-journeys", type=int, default=MAX_JOURNEYS)
    parser.add_argument(
        "--out", type=Path, default=None, help="where to write .json, .svg and .md (a prefix)"
    )
    parser.add_argument(
        "--dir", type=Path, default=None, help="keep the set's logs here (default: a temp dir)"
    )
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the scaled-out set on the way out
    command = "python -m bench.open_loop " + " ".join(argv if argv is not None else sys.argv[1:])
    try:
        if args.find_saturation:
            rates = [float(r) for r in args.rates.split(",") if r.strip()]
            for rate in rates:
                Bounds(rate, args.step_seconds)  # refuse a bad step before starting anything
            if len(rates) * args.step_seconds > MAX_MINUTES * 60:
                parser.error(f"the search would take more than {MAX_MINUTES:g} minutes")
            result, chart = find_saturation(
                rates, args.step_seconds, args.arrivals, args.seed, args.dir, args.keep_going
            )
            write(args.out or SATURATION, result, chart, saturation_markdown(result, command))
            print(saturation_markdown(result, command))
            return 0 if result["saturation_rate"] > 0 else 1
        bounds = Bounds(
            rate_of(args.rate, SATURATION.with_suffix(".json")),
            args.minutes * 60,
            max_journeys=args.max_journeys,
            max_in_flight=args.max_in_flight,
        )
    except ValueError as error:
        parser.error(str(error))
    facts, chart = run_at(bounds, args.arrivals, args.seed, args.soak, args.dir)
    write(args.out or (SOAK if args.soak else RATE_RUN), facts, chart, markdown(facts, command))
    print(markdown(facts, command))
    return 0 if all(facts["verdict"].values()) else 1


if __name__ == "__main__":
    sys.exit(main())
