"""The webhook outbox: pending deliveries the sender works through, persisted where the broker keeps state.

``Outbox`` is the port; ``MemoryOutbox`` the in-process adapter (single broker process, tests). A
store-backed adapter (session store, Redis) implements the same five methods; ``claim_due`` must be atomic
per delivery (a lease) so that several broker processes never send the same attempt twice.

Bodies hold event envelopes only (ids, states, counts, times — never personal data; docs/design.md §3
rule 2), so they may be stored as they are. Webhook secrets are never stored here; the sender looks them up
per attempt.
"""

from __future__ import annotations

import asyncio
from collections.abc import Iterable
from dataclasses import dataclass, replace
from datetime import datetime, timedelta
from typing import Literal, Protocol

Outcome = Literal["delivered", "gave_up"]

FINISHED_KEPT = timedelta(days=7)
"""How long a finished event id stays known, so that a repeated ``add`` is refused: the Redis outbox keeps its
``done:<id>`` keys as long. A repeat after that finds nothing pending to confuse it with (the pick-up window,
and so every retry, ends within 14 days)."""
MAX_FINISHED = 100_000
"""The memory outbox remembers at most this many finished ids (oldest forgotten first), whatever the rate."""


@dataclass(frozen=True)
class PendingDelivery:
    event_id: str
    provider_id: str
    url: str
    body: bytes
    deadline: datetime  # retry until here: the end of the pick-up window
    next_attempt_at: datetime
    attempts: int = 0
    last_status: int | None = None  # HTTP status of the last attempt; None: no answer (connection, timeout)
    leased_until: datetime | None = None
    order_key: str | None = None
    """Deliveries with the same key (a session id) go out one at a time, lowest ``order`` first: a later
    one is not tried while an earlier one is pending (leased, retrying, or leased by a process that died)."""
    order: float = 0.0
    """The place within ``order_key``: the session's event sequence (package events sit just after the
    step that made them, ``sequence + 0.5``), so processes enqueueing one session's events keep its order."""


def heads(pending: Iterable[PendingDelivery]) -> set[str]:
    """The ids that may be tried now: every delivery without an ``order_key``, and the lowest-ordered pending
    one of each key (ties by id, as Redis orders equal scores)."""
    first: dict[str, PendingDelivery] = {}
    free: set[str] = set()
    for delivery in pending:
        key = delivery.order_key
        if key is None:
            free.add(delivery.event_id)
            continue
        seen = first.get(key)
        if seen is None or (delivery.order, delivery.event_id) < (seen.order, seen.event_id):
            first[key] = delivery
    return free | {d.event_id for d in first.values()}


@dataclass(frozen=True)
class FinishedDelivery:
    event_id: str
    outcome: Outcome
    attempts: int
    finished_at: datetime


class Outbox(Protocol):
    async def add(self, delivery: PendingDelivery) -> bool:
        """Store a new delivery; False (and nothing stored) when the event id is already known."""
        ...

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[PendingDelivery]:
        """Deliveries due at ``now`` and not leased, each now leased until ``now + lease``; of an
        ``order_key`` only its first pending delivery (``heads``), so one session's events go in order."""
        ...

    async def reschedule(
        self, event_id: str, *, attempts: int, next_attempt_at: datetime, last_status: int | None
    ) -> None:
        """Record a failed attempt and release the lease."""
        ...

    async def finish(self, event_id: str, outcome: Outcome, attempts: int, at: datetime) -> None:
        """Remove from the pending set; the id stays known so a repeat ``add`` is refused."""
        ...

    async def get(self, event_id: str) -> PendingDelivery | FinishedDelivery | None: ...


class MemoryOutbox:
    """In-memory ``Outbox`` for one process. Finished ids are remembered for idempotency, for
    ``FINISHED_KEPT`` and at most ``MAX_FINISHED`` of them: a long-running broker's bookkeeping is bounded."""

    def __init__(self) -> None:
        self._pending: dict[str, PendingDelivery] = {}
        self._finished: dict[str, FinishedDelivery] = {}
        self._lock = asyncio.Lock()

    async def add(self, delivery: PendingDelivery) -> bool:
        async with self._lock:
            if delivery.event_id in self._pending or delivery.event_id in self._finished:
                return False
            self._pending[delivery.event_id] = delivery
            return True

    async def claim_due(self, now: datetime, limit: int, lease: timedelta) -> list[PendingDelivery]:
        async with self._lock:
            first = heads(self._pending.values())
            due = sorted(
                (
                    d
                    for d in self._pending.values()
                    if d.event_id in first
                    and d.next_attempt_at <= now
                    and (d.leased_until is None or d.leased_until <= now)
                ),
                key=lambda d: d.next_attempt_at,
            )[:limit]
            claimed = [replace(d, leased_until=now + lease) for d in due]
            for delivery in claimed:
                self._pending[delivery.event_id] = delivery
            return claimed

    async def reschedule(
        self, event_id: str, *, attempts: int, next_attempt_at: datetime, last_status: int | None
    ) -> None:
        async with self._lock:
            current = self._pending.get(event_id)
            if current is not None:
                self._pending[event_id] = replace(
                    current,
                    attempts=attempts,
                    next_attempt_at=next_attempt_at,
                    last_status=last_status,
                    leased_until=None,
                )

    async def finish(self, event_id: str, outcome: Outcome, attempts: int, at: datetime) -> None:
        async with self._lock:
            self._pending.pop(event_id, None)
            self._finished.pop(event_id, None)  # re-inserted last: the dict stays in order of finishing
            self._finished[event_id] = FinishedDelivery(event_id, outcome, attempts, at)
            self._forget_finished(at)

    def _forget_finished(self, now: datetime) -> None:
        """Drop finished ids older than ``FINISHED_KEPT``, and the oldest beyond ``MAX_FINISHED``."""
        while self._finished:
            oldest = next(iter(self._finished.values()))
            if len(self._finished) <= MAX_FINISHED and oldest.finished_at > now - FINISHED_KEPT:
                return
            del self._finished[oldest.event_id]

    async def get(self, event_id: str) -> PendingDelivery | FinishedDelivery | None:
        async with self._lock:
            return self._pending.get(event_id) or self._finished.get(event_id)

    async def pending(self) -> list[PendingDelivery]:
        """Every pending delivery, leased or not, in the order they fall due (for inspection)."""
        async with self._lock:
            return sorted(self._pending.values(), key=lambda d: d.next_attempt_at)

    async def pending_count(self) -> int:
        async with self._lock:
            return len(self._pending)
