"""The open-loop generator (bench/open_loop.py): its arrival schedule, its bounds, and that it never waits
for answers. No scaled-out set: the journeys here are stand-ins that sleep or fail."""

from __future__ import annotations

import asyncio
import itertools
import statistics
from pathlib import Path

import pytest
from bench.open_loop import (
    DROPPED,
    NO_HOUSEHOLD,
    NOT_FINISHED,
    Arrival,
    Bounds,
    HouseholdPool,
    Journey,
    Ledger,
    arrival_schedule,
    durations,
    family_of,
    keeps_up,
    open_loop,
    rate_of,
    require_loopback,
    rss_growth,
)

from databrug.robot.journey import JourneyResult, Login, Persona


def sleeper(seconds: float, fail: set[int] | None = None) -> Journey:
    async def journey(index: int) -> tuple[str | None, JourneyResult | None]:
        await asyncio.sleep(seconds)
        if fail and index in fail:
            return "broken", JourneyResult(persona=str(index))
        return None, JourneyResult(persona=str(index), ok=True)

    return journey


def test_uniform_schedule_is_evenly_spaced_and_bounded_in_time() -> None:
    times = arrival_schedule(Bounds(rate=4.0, seconds=10.0), "uniform")
    assert len(times) == 40
    assert times[0] == 0.0
    assert all(b - a == pytest.approx(0.25) for a, b in itertools.pairwise(times))
    assert max(times) < 10.0


def test_poisson_schedule_has_the_asked_mean_rate_and_is_fixed_by_its_seed() -> None:
    bounds = Bounds(rate=5.0, seconds=2000.0)
    times = arrival_schedule(bounds, "poisson", seed=3)
    assert len(times) / bounds.seconds == pytest.approx(5.0, rel=0.05)
    gaps = [b - a for a, b in itertools.pairwise(times)]
    assert statistics.pstdev(gaps) == pytest.approx(statistics.mean(gaps), rel=0.1)  # exponential gaps
    assert arrival_schedule(bounds, "poisson", seed=3) == times
    assert arrival_schedule(bounds, "poisson", seed=4) != times


def test_schedule_stops_at_max_journeys() -> None:
    assert len(arrival_schedule(Bounds(rate=10.0, seconds=100.0, max_journeys=7), "uniform")) == 7
    assert len(arrival_schedule(Bounds(rate=10.0, seconds=100.0, max_journeys=7), "poisson")) == 7


@pytest.mark.parametrize(
    "options",
    [
        {"rate": 0.0, "seconds": 10.0},
        {"rate": -1.0, "seconds": 10.0},
        {"rate": 51.0, "seconds": 10.0},
        {"rate": 1.0, "seconds": 0.0},
        {"rate": 1.0, "seconds": 121 * 60.0},
        {"rate": 1.0, "seconds": 10.0, "max_journeys": 0},
        {"rate": 1.0, "seconds": 10.0, "max_journeys": 10**9},
        {"rate": 1.0, "seconds": 10.0, "max_in_flight": 0},
        {"rate": 1.0, "seconds": 10.0, "max_in_flight": 10**6},
        {"rate": 1.0, "seconds": 10.0, "drain_seconds": -1.0},
        {"rate": float("nan"), "seconds": 10.0},
    ],
)
def test_bounds_refuse_what_a_typo_would_ask(options: dict[str, float]) -> None:
    with pytest.raises(ValueError, match="must be"):
        Bounds(**options)  # type: ignore[arg-type]


@pytest.mark.parametrize(
    "url", ["http://127.0.0.1:8000", "http://127.8.9.1/", "http://[::1]:80", "http://localhost:1"]
)
def test_loopback_urls_are_accepted(url: str) -> None:
    require_loopback(url)


@pytest.mark.parametrize(
    "url",
    [
        "http://10.0.0.1:8000",
        "https://example.org",
        "http://127.0.0.1.example.org/",
        "http://localhost.evil.example/",
        "http://0.0.0.0:80",
        "http://[::ffff:10.0.0.1]/",
        "",
        "not a url",
    ],
)
def test_other_hosts_are_refused(url: str) -> None:
    with pytest.raises(ValueError, match="loopback"):
        require_loopback(url)


def test_arrivals_keep_their_schedule_however_slow_the_journeys() -> None:
    """Open loop: journeys that take 1 s each do not delay the next start (closed loop would)."""
    bounds = Bounds(rate=20.0, seconds=1.0, drain_seconds=5.0)
    schedule = arrival_schedule(bounds, "uniform")
    ledger = asyncio.run(open_loop(schedule, sleeper(1.0), bounds))
    assert [a.scheduled for a in ledger.arrivals] == schedule
    assert all(a.started is not None for a in ledger.arrivals)
    assert max(ledger.lags) < 0.05
    assert ledger.most_in_flight == 20  # all twenty running at once
    assert ledger.failures() == {}
    assert all(seconds >= 0.99 for _, seconds, _ in durations(ledger))
    assert len(durations(ledger)) == 20


def test_a_journey_over_the_in_flight_cap_is_dropped_at_the_door_not_queued() -> None:
    bounds = Bounds(rate=20.0, seconds=1.0, max_in_flight=5, drain_seconds=5.0)
    ledger = asyncio.run(open_loop(arrival_schedule(bounds, "uniform"), sleeper(2.0), bounds))
    assert sum(a.started is not None for a in ledger.arrivals) == 5
    assert ledger.failures() == {DROPPED: 15}
    assert ledger.most_in_flight == 5


def test_journeys_still_running_after_the_drain_time_are_failures() -> None:
    bounds = Bounds(rate=10.0, seconds=0.5, drain_seconds=0.2)
    ledger = asyncio.run(open_loop(arrival_schedule(bounds, "uniform"), sleeper(30.0), bounds))
    assert ledger.failures() == {NOT_FINISHED: 5}


def test_failures_are_counted_by_code_and_an_exception_is_one_failed_journey() -> None:
    async def journey(index: int) -> tuple[str | None, JourneyResult | None]:
        if index == 3:
            raise ConnectionError("gone")
        return await sleeper(0.01, fail={1, 2})(index)

    bounds = Bounds(rate=50.0, seconds=0.2, drain_seconds=2.0)
    ledger = asyncio.run(open_loop(arrival_schedule(bounds, "uniform"), journey, bounds))
    assert ledger.failures() == {"broken": 2, "ConnectionError": 1}
    assert sum(a.failure is None for a in ledger.arrivals) == 7


def test_not_admitted_is_dropped_and_the_run_stops_at_its_time_bound() -> None:
    bounds = Bounds(rate=10.0, seconds=0.5, drain_seconds=1.0)
    schedule = [0.0, 0.1, 0.2, 0.3, 0.4, 0.6, 5.0]  # the last two lie past the arrival window
    ledger = asyncio.run(open_loop(schedule, sleeper(0.01), bounds, admit=lambda i: i % 2 == 0))
    assert len(ledger.arrivals) == 5
    assert ledger.failures() == {NO_HOUSEHOLD: 2}


def _persona(key: str, applicant: str, partner: str | None = None) -> Persona:
    return Persona(key, Login(applicant, "pw"), Login(partner, "pw") if partner else None, {})


def test_household_pool_never_gives_one_person_to_two_running_journeys() -> None:
    pool = HouseholdPool([_persona("a", "ann", "bob"), _persona("b", "bob"), _persona("c", "cas")])
    assert pool.take(0)
    assert pool.taken[0].key == "a"
    assert pool.take(1)
    assert pool.taken[1].key == "c"
    assert not pool.take(2)
    pool.give_back(0)
    assert pool.take(3)
    assert pool.taken[3].key == "a"
    pool.give_back(1)
    assert pool.take(4)
    assert pool.taken[4].key == "c"


@pytest.mark.parametrize(
    ("front", "path", "family"),
    [
        ("lb", "/api/v1/sessions", "provider API"),
        ("lb", "/api/v1/token", "provider API"),
        ("lb", "/api/v1/sessions/abc/events", None),
        ("lb", "/start", "computer pages"),
        ("lb", "/c/qr", "computer pages"),
        ("lb", "/c/events", None),
        ("lb", "/app/pair", "app"),
        ("lb", "/app/digid/callback", "app"),
        ("lb", "/app/fetch-all", "collection"),
        ("lb", "/app/sources/brp/fetch", "collection"),
        ("lb", "/health", None),
        ("lb", "/ready", None),
        ("idp", "/digid/login", "sandbox"),
    ],
)
def test_route_families(front: str, path: str, family: str | None) -> None:
    assert family_of(front, path) == family


def test_rss_growth_ignores_the_warm_up() -> None:
    mb = 2**20
    samples = [(t, (100 + t) * mb) for t in range(0, 300, 10)]  # growing during warm-up ...
    samples += [(t, 400 * mb) for t in range(300, 1800, 10)]  # ... then flat
    growth = rss_growth(samples, warm_up=300)
    assert growth is not None
    assert growth["growth_pct"] == 0.0
    leaking = [(t, int((400 + t / 10) * mb)) for t in range(300, 1800, 10)]
    leak = rss_growth(leaking, warm_up=300)
    assert leak is not None
    assert leak["growth_pct"] > 30
    assert rss_growth(samples[:3], warm_up=0) is None


def test_completions_fall_behind_when_later_journeys_take_longer() -> None:
    def ledger_with(durations: list[float]) -> Ledger:
        bounds = Bounds(rate=10.0, seconds=len(durations) / 10, drain_seconds=0)
        ledger = Ledger(arrival_window=bounds.seconds)

        for i, d in enumerate(durations):
            ledger.arrivals.append(Arrival(i, i / 10, started=i / 10, finished=i / 10 + d))
        return ledger

    assert keeps_up(ledger_with([2.0] * 30))[0]
    assert not keeps_up(ledger_with([2.0 + i for i in range(30)]))[0]


def test_rate_as_a_share_of_the_saturation_rate(tmp_path: Path) -> None:
    found = tmp_path / "sat.json"
    found.write_text('{"saturation_rate": 3.0}')
    assert rate_of("70%", found) == pytest.approx(2.1)
    assert rate_of("1.25", found) == 1.25
    with pytest.raises(SystemExit):
        rate_of("50%", tmp_path / "missing.json")
