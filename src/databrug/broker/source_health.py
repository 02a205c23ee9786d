"""Source health: a privacy-safe, rolling view of the broker's own fetches, per source, shared by every broker
process through the session store (docs/design.md, "Source health").

Each fetch of a source (``collect.Collecting.collect``) adds one sample: when it ended, its outcome code
(``ok`` or the connector's error code) and how long it took. Nothing of the person, the session or the
document: a sample is ``"<unix time> <code> <ms>"``. The store keeps the last ``WINDOW`` samples of a source
and drops the series ``MAX_AGE_SECONDS`` after its last write; the view also ignores samples older than that.

The derived state of a source:

- ``down``: the source's latest answer was maintenance (503, ``source_maintenance``) less than
  ``MAINTENANCE_FRESH_SECONDS`` ago, or its last ``DOWN_STREAK`` fetches all failed on the source's side
  (``source_unavailable``, ``source_maintenance``). One success after it ends ``down``: a single citizen's
  failure never marks a source down for long, and never for everyone forever.
- ``slow``: not down, and the p95 duration of the answered fetches in the window is over ``SLOW_P95_MS``
  (with at least ``SLOW_MIN_SAMPLES`` of them).
- ``healthy``: answered fetches and neither of the above; ``unknown``: no recent fetch at all.

Codes that are the citizen's or the document's (a refused login token, a document that does not parse) count
as answered: the portal was up. The fetch path writes once (one round trip on Redis, no read); the reads
(sources screen, provider API) are cached for ``CACHE_SECONDS`` per process, and a process's own write
refreshes its view at once.
"""

from __future__ import annotations

import logging
import math
import re
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, datetime
from enum import StrEnum

from databrug.records import SOURCE_NAMES, SourceName
from databrug.sessions.errors import StoreUnavailable
from databrug.sessions.store import SessionStore

logger = logging.getLogger("databrug.broker")

WINDOW = 20
"""Samples kept per source (the last fetches, from every broker process)."""
MAX_AGE_SECONDS = 900
"""A sample older than this is ignored, and a source's series expires this long after its last write."""
DOWN_STREAK = 3
MAINTENANCE_FRESH_SECONDS = 300
SLOW_P95_MS = 5_000
SLOW_MIN_SAMPLES = 3
CACHE_SECONDS = 2.0
MAX_DURATION_MS = 600_000
"""Durations are clipped here (a fetch is bounded far below it): a broken clock cannot store more."""
FUTURE_SKEW_SECONDS = 60
"""A sample stamped further in the future than this (another host's clock far off) is ignored."""

SOURCE_SIDE_FAILURES = frozenset({"source_unavailable", "source_maintenance"})
MAINTENANCE = "source_maintenance"
OK = "ok"
_CODE = re.compile(r"[a-z][a-z0-9_]{0,39}")


class HealthState(StrEnum):
    HEALTHY = "healthy"
    SLOW = "slow"
    DOWN = "down"
    UNKNOWN = "unknown"


@dataclass(frozen=True)
class Sample:
    at: float
    """Unix time the fetch ended."""
    code: str
    duration_ms: int

    def encode(self) -> str:
        return f"{self.at:.3f} {self.code} {self.duration_ms}"

    @classmethod
    def decode(cls, text: str) -> Sample | None:
        """``None`` for anything that is not a sample this module wrote (a malformed entry is skipped)."""
        parts = text.split(" ")
        if len(parts) != 3 or not _CODE.fullmatch(parts[1]) or not parts[2].isdigit():
            return None
        try:
            at = float(parts[0])
        except ValueError:
            return None
        if not math.isfinite(at):
            return None
        return cls(at, parts[1], min(int(parts[2][:7]), MAX_DURATION_MS))

    @property
    def failed(self) -> bool:
        return self.code in SOURCE_SIDE_FAILURES


@dataclass(frozen=True)
class SourceHealthView:
    source: SourceName
    state: HealthState
    success_rate: float | None
    """Share of the window's fetches the source answered (0–1); ``None`` without any."""
    p95_ms: int | None
    """p95 duration of the answered fetches (nearest rank); ``None`` without any."""
    last_failure_code: str | None
    window: int
    """How many recent samples the view is made of."""
    updated_at: datetime | None
    """When the latest of them was taken."""


def clean_code(code: str | None) -> str:
    """The outcome code as stored: ``ok``, or a well-formed error code (anything else is ``source_error``)."""
    if code is None:
        return OK
    return code if _CODE.fullmatch(code) else "source_error"


def clipped_ms(duration_seconds: float) -> int:
    if not math.isfinite(duration_seconds):
        return MAX_DURATION_MS if duration_seconds > 0 else 0
    return max(0, min(MAX_DURATION_MS, round(duration_seconds * 1000)))


def p95(values: Sequence[int]) -> int | None:
    if not values:
        return None
    ordered = sorted(values)
    return ordered[max(0, math.ceil(0.95 * len(ordered)) - 1)]


def derive(source: SourceName, samples: Sequence[Sample], now: float) -> SourceHealthView:
    """The view of one source from its samples (any order) at unix time ``now``."""
    recent = sorted(
        (s for s in samples if now - MAX_AGE_SECONDS <= s.at <= now + FUTURE_SKEW_SECONDS), key=lambda s: s.at
    )[-WINDOW:]
    if not recent:
        return SourceHealthView(source, HealthState.UNKNOWN, None, None, None, 0, None)
    answered = [s for s in recent if not s.failed]
    failures = [s for s in recent if s.failed]
    latest = recent[-1]
    streak = recent[-DOWN_STREAK:]
    latest_p95 = p95([s.duration_ms for s in answered])
    if (latest.code == MAINTENANCE and now - latest.at <= MAINTENANCE_FRESH_SECONDS) or (
        len(streak) == DOWN_STREAK and all(s.failed for s in streak)
    ):
        state = HealthState.DOWN
    elif latest_p95 is not None and len(answered) >= SLOW_MIN_SAMPLES and latest_p95 > SLOW_P95_MS:
        state = HealthState.SLOW
    else:
        state = HealthState.HEALTHY
    return SourceHealthView(
        source=source,
        state=state,
        success_rate=round(len(answered) / len(recent), 4),
        p95_ms=latest_p95,
        last_failure_code=failures[-1].code if failures else None,
        window=len(recent),
        updated_at=datetime.fromtimestamp(latest.at, UTC),
    )


def _series(source: SourceName) -> str:
    return f"source-health:{source}"


class SourceHealth:
    """Records fetch outcomes into the shared store and reads the per-source view, cached per process."""

    def __init__(
        self,
        store: SessionStore,
        *,
        wall: Callable[[], float] = time.time,
        monotonic: Callable[[], float] = time.monotonic,
        cache_seconds: float = CACHE_SECONDS,
    ) -> None:
        self._store = store
        self._wall = wall
        self._monotonic = monotonic
        self._cache_seconds = cache_seconds
        self._cached: tuple[float, dict[SourceName, SourceHealthView]] | None = None

    async def record(self, source: str, code: str | None, duration_seconds: float) -> None:
        """One fetch of ``source`` ended with ``code`` (``None``: it succeeded). Best effort: a store that
        cannot be reached loses the sample, not the fetch. An unknown source name is ignored."""
        if source not in SOURCE_NAMES:
            return
        sample = Sample(self._wall(), clean_code(code), clipped_ms(duration_seconds))
        self._cached = None
        try:
            await self._store.add_sample(
                _series(source), sample.encode(), keep=WINDOW, ttl_seconds=MAX_AGE_SECONDS
            )
        except StoreUnavailable:
            logger.warning("source health sample lost source=%s: the store cannot be reached", source)

    async def view(self) -> dict[SourceName, SourceHealthView]:
        """Every source's view, in the registry's order. Raises ``StoreUnavailable`` like any store read."""
        now = self._monotonic()
        if self._cached is not None and now - self._cached[0] < self._cache_seconds:
            return self._cached[1]
        found = await self._store.samples([_series(source) for source in SOURCE_NAMES])
        wall = self._wall()
        views: dict[SourceName, SourceHealthView] = {}
        for source in SOURCE_NAMES:
            samples = [
                s for s in map(Sample.decode, found.get(_series(source), [])[-WINDOW:]) if s is not None
            ]
            views[source] = derive(source, samples, wall)
        self._cached = (now, views)
        return views
