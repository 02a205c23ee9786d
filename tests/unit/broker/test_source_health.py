"""The rolling source-health view: window, thresholds, expiry, the cache, and hostile samples."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from databrug.broker.source_health import (
    CACHE_SECONDS,
    DOWN_STREAK,
    MAINTENANCE_FRESH_SECONDS,
    MAX_AGE_SECONDS,
    MAX_DURATION_MS,
    SLOW_P95_MS,
    WINDOW,
    HealthState,
    Sample,
    SourceHealth,
    clean_code,
    clipped_ms,
    derive,
    p95,
)
from databrug.sessions.errors import StoreUnavailable
from databrug.sessions.memory import MemorySessionStore

NOW = 1_800_000_000.0


def ok(at: float, ms: int = 200) -> Sample:
    return Sample(at, "ok", ms)


def failed(at: float, code: str = "source_unavailable") -> Sample:
    return Sample(at, code, 1_000)


def test_no_recent_fetch_is_unknown() -> None:
    view = derive("uwv", [], NOW)
    assert view.state is HealthState.UNKNOWN
    assert (view.window, view.success_rate, view.p95_ms, view.updated_at) == (0, None, None, None)
    assert derive("uwv", [failed(NOW - MAX_AGE_SECONDS - 1)] * 5, NOW).state is HealthState.UNKNOWN


def test_healthy_view_has_rate_p95_and_updated_at() -> None:
    samples = [ok(NOW - 60 + i, ms=100 * (i + 1)) for i in range(10)] + [failed(NOW - 5)]
    view = derive("uwv", samples, NOW)
    assert view.state is HealthState.HEALTHY
    assert view.success_rate == pytest.approx(10 / 11, abs=1e-4)
    assert view.p95_ms == 1_000  # nearest rank over the answered fetches
    assert view.last_failure_code == "source_unavailable"
    assert view.window == 11
    assert view.updated_at == datetime.fromtimestamp(NOW - 5, UTC)


def test_one_citizens_failure_does_not_mark_a_source_down() -> None:
    assert derive("uwv", [ok(NOW - 30), failed(NOW - 1)], NOW).state is HealthState.HEALTHY
    streak = [failed(NOW - 10 + i) for i in range(DOWN_STREAK - 1)]
    assert derive("uwv", streak, NOW).state is HealthState.HEALTHY


def test_a_streak_of_failures_is_down_until_one_success() -> None:
    streak = [failed(NOW - 10 + i) for i in range(DOWN_STREAK)]
    assert derive("uwv", streak, NOW).state is HealthState.DOWN
    assert derive("uwv", [*streak, ok(NOW - 1)], NOW).state is HealthState.HEALTHY


def test_maintenance_is_down_at_once_but_not_for_long() -> None:
    maintenance = failed(NOW - 1, "source_maintenance")
    view = derive("belastingdienst", [ok(NOW - 20), maintenance], NOW)
    assert view.state is HealthState.DOWN
    assert view.last_failure_code == "source_maintenance"
    later = NOW + MAINTENANCE_FRESH_SECONDS + 1
    assert derive("belastingdienst", [ok(NOW - 20), maintenance], later).state is HealthState.HEALTHY
    assert derive("belastingdienst", [maintenance, ok(NOW)], NOW).state is HealthState.HEALTHY


def test_codes_of_the_citizen_or_the_document_count_as_answered() -> None:
    samples = [
        failed(NOW - 5 + i, code) for i, code in enumerate(["document_invalid", "source_not_authorised"] * 3)
    ]
    view = derive("uwv", samples, NOW)
    assert view.state is HealthState.HEALTHY
    assert view.success_rate == 1.0
    assert view.last_failure_code is None


def test_slow_when_p95_is_over_the_bound_with_enough_fetches() -> None:
    slow = [ok(NOW - 10 + i, ms=SLOW_P95_MS + 1) for i in range(3)]
    assert derive("uwv", slow, NOW).state is HealthState.SLOW
    assert derive("uwv", slow[:2], NOW).state is HealthState.HEALTHY  # too few to say
    fast = [ok(NOW - 30 + i, ms=100) for i in range(19)]
    assert derive("uwv", [*fast, slow[0]], NOW).state is HealthState.HEALTHY  # one slow of twenty: p95 holds


def test_the_window_keeps_the_latest_samples_only() -> None:
    old_failures = [failed(NOW - 100 + i) for i in range(10)]
    recent = [ok(NOW - 50 + i) for i in range(WINDOW)]
    view = derive("uwv", [*recent, *old_failures], NOW)  # any order
    assert view.window == WINDOW
    assert view.success_rate == 1.0
    assert view.last_failure_code is None


def test_hostile_samples_are_bounded_or_skipped() -> None:
    assert clipped_ms(float("inf")) == MAX_DURATION_MS
    assert clipped_ms(float("nan")) == 0
    assert clipped_ms(-5) == 0
    assert clipped_ms(10**12) == MAX_DURATION_MS
    assert clean_code("x" * 10_000) == "source_error"
    assert clean_code("BSN 123456782") == "source_error"
    assert clean_code(None) == "ok"
    for text in ["", "nan ok 1", "inf ok 1", "1 ok -1", "1 OK 1", "1 ok 1 extra", "x" * 100_000, "1 ok 1e9"]:
        assert Sample.decode(text) is None, text
    huge = Sample.decode(f"{NOW} ok {'9' * 5_000}")
    assert huge is not None
    assert huge.duration_ms == MAX_DURATION_MS
    future = Sample(NOW + 86_400, "source_maintenance", 1)
    assert derive("uwv", [future], NOW).state is HealthState.UNKNOWN  # a far-off clock marks nothing
    assert p95([]) is None


class Clocks:
    def __init__(self) -> None:
        self.wall = NOW
        self.mono = 100.0


async def test_record_and_view_through_the_store_with_a_cache() -> None:
    store = MemorySessionStore()
    clocks = Clocks()
    writer = SourceHealth(store, wall=lambda: clocks.wall, monotonic=lambda: clocks.mono)
    reader = SourceHealth(store, wall=lambda: clocks.wall, monotonic=lambda: clocks.mono)
    assert (await reader.view())["uwv"].state is HealthState.UNKNOWN
    await writer.record("uwv", "source_maintenance", 0.3)
    assert (await writer.view())["uwv"].state is HealthState.DOWN  # its own write: seen at once
    assert (await reader.view())["uwv"].state is HealthState.UNKNOWN  # cached a moment
    clocks.mono += CACHE_SECONDS
    view = (await reader.view())["uwv"]
    assert view.state is HealthState.DOWN
    assert view.p95_ms is None  # no answered fetch
    assert list(await reader.view()) == ["mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"]


async def test_unknown_sources_are_ignored_and_nothing_else_is_stored() -> None:
    store = MemorySessionStore()
    health = SourceHealth(store, wall=lambda: NOW)
    for name in ["digid", "../uwv", "x" * 10_000, ""]:
        await health.record(name, "source_unavailable", 1.0)
    await health.record("uwv", None, 1.234)
    stored = await store.samples([f"source-health:{name}" for name in ["digid", "uwv"]])
    assert stored == {"source-health:digid": [], "source-health:uwv": [f"{NOW:.3f} ok 1234"]}
    assert len(vars(store)["_series"]) == 1


async def test_a_store_that_cannot_be_reached_loses_the_sample_not_the_fetch() -> None:
    class Down(MemorySessionStore):
        async def add_sample(self, series: str, sample: str, *, keep: int, ttl_seconds: float) -> None:
            raise StoreUnavailable()

    await SourceHealth(Down()).record("uwv", None, 0.1)  # no exception
