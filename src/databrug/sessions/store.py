"""The ``SessionStore`` port: what the session service needs from storage, nothing more.

Adapters: ``memory.MemorySessionStore`` (default, one process) and ``redis.RedisSessionStore`` (several
processes or hosts). The contract suite in ``tests/contract/sessions`` runs against both.

Every key of a session (record, token index entries, sealed blobs, event history) lives as long as the
record: ``ttl_seconds`` on ``create``/``replace`` sets it, the other writes inherit the record's remaining
TTL, and ``delete`` drops all of them.
"""

from __future__ import annotations

import asyncio
import random
from collections.abc import Callable, Sequence
from contextlib import AbstractAsyncContextManager
from dataclasses import dataclass
from datetime import datetime
from typing import Protocol

from databrug.sessions.errors import SessionNotFound, VersionConflict
from databrug.sessions.events import SessionEvent
from databrug.sessions.fanout import Subscription
from databrug.sessions.model import SessionRecord
from databrug.sessions.sealing import SealedBytes
from databrug.sessions.state import is_final
from databrug.sessions.tokens import SessionId, TokenHash, TokenKind

Mutation = Callable[[SessionRecord], SessionRecord]
"""Gets a private copy of the current record and returns the record to store (it may mutate its input).
It runs again on a version conflict, so it must have no side effects outside the record. Raising aborts."""

TtlFor = Callable[[SessionRecord], float | None]
EventsFor = Callable[[SessionRecord], Sequence[SessionEvent]]
"""The events of a change, from the record an attempt of ``update`` is about to store (called once per
attempt, after the mutation): stored and published with the record in the same atomic step, or not at all."""
TokenEntry = tuple[TokenKind, TokenHash]


@dataclass(frozen=True)
class RateLimit:
    """A hit to count on ``key`` (as ``incr_rate``) before a write; over ``limit`` within the window, the
    write is refused with ``RateLimited``."""

    key: str
    limit: int
    window_seconds: int


UPDATE_ATTEMPTS = 25


class SessionStore(Protocol):
    async def create(
        self,
        record: SessionRecord,
        ttl_seconds: float,
        *,
        tokens: Sequence[TokenEntry] = (),
        events: Sequence[SessionEvent] = (),
        history: int = 0,
        rate: RateLimit | None = None,
    ) -> None:
        """Store a new record (``version`` 0) with its first token index entries and its first events (kept,
        the last ``history`` of them, and published), all in one atomic step (one round trip on Redis).
        ``rate``: count the hit first; over its limit raise ``RateLimited`` and write nothing else.
        Raises ``SessionExists`` if the id is taken; then nothing is written."""
        ...

    async def get(self, session_id: str) -> SessionRecord | None: ...

    async def replace(
        self,
        record: SessionRecord,
        *,
        expected_version: int,
        ttl_seconds: float | None = None,
        events: Sequence[SessionEvent] = (),
        history: int = 0,
    ) -> SessionRecord | None:
        """Compare-and-set: store ``record`` with ``version = expected_version + 1`` if the stored version is
        still ``expected_version``; return what was stored, ``None`` on a conflict. ``ttl_seconds`` (if given)
        resets the TTL of every key of the session. ``events`` are appended to the history (the last
        ``history`` kept) and published in the same atomic step, only if the record was stored. Raises
        ``SessionNotFound`` if the record is gone."""
        ...

    async def update(
        self,
        session_id: str,
        fn: Mutation,
        *,
        ttl_for: TtlFor | None = None,
        events_for: EventsFor | None = None,
        history: int = 0,
    ) -> SessionRecord:
        """Read, apply ``fn``, compare-and-set (with the events of ``events_for``); retried on conflicts.
        Raises ``SessionNotFound``."""
        ...

    async def delete(self, session_id: str) -> None:
        """Drop everything of the session: record, token index entries, sealed blobs, event history."""
        ...

    async def index_token(self, kind: TokenKind, token_hash: TokenHash, session_id: str) -> None:
        """Raises ``SessionNotFound`` if the session is gone (the entry would outlive it otherwise)."""
        ...

    async def unindex_token(self, kind: TokenKind, token_hash: TokenHash) -> None: ...

    async def find_by_token(self, kind: TokenKind, token_hash: TokenHash) -> SessionId | None: ...

    async def put_blob(self, session_id: str, name: str, data: SealedBytes) -> None:
        """Sealed bytes only (see ``sealing.seal``). Raises ``SessionNotFound`` if the session is gone."""
        ...

    async def get_blob(self, session_id: str, name: str) -> SealedBytes | None: ...

    async def delete_blob(self, session_id: str, name: str) -> None: ...

    async def blob_names(self, session_id: str) -> list[str]: ...

    async def append_event(self, event: SessionEvent, *, history: int) -> None:
        """Keep the last ``history`` events of the session for resumption."""
        ...

    async def events_after(self, session_id: str, seq: int) -> list[SessionEvent]:
        """Kept events with ``seq`` greater than the given one, oldest first."""
        ...

    async def publish(self, event: SessionEvent) -> None:
        """Deliver to every live subscriber of the session, in this process and (Redis) in every other."""
        ...

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        """``async with store.subscribe(id) as events: async for event in events: ...``. Live only;
        events published before the subscription is ready are read from ``events_after``."""
        ...

    async def incr_rate(self, key: str, window_seconds: int) -> int:
        """Count a hit in a fixed window that starts at the first hit; return the count so far."""
        ...

    async def due(self, until: datetime, limit: int = 100) -> list[SessionId]:
        """Sessions whose ``expiry_score`` (deadline, or an earlier fetch lease) is at or before ``until``
        (final states are not listed)."""
        ...

    async def add_sample(self, series: str, sample: str, *, keep: int, ttl_seconds: float) -> None:
        """Append ``sample`` to a short shared series (source health: outcomes of fetches, never anything of
        a person), keeping its last ``keep``; the series expires ``ttl_seconds`` after its last write. One
        round trip on Redis, and no read: it sits on the fetch path."""
        ...

    async def samples(self, series: Sequence[str]) -> dict[str, list[str]]:
        """The kept samples of each series asked for, oldest first (``[]`` for an unknown or expired one);
        one round trip on Redis whatever the number of series."""
        ...

    async def ping(self) -> bool: ...

    async def close(self) -> None: ...


async def update_with_retry(
    store: SessionStore,
    session_id: str,
    fn: Mutation,
    ttl_for: TtlFor | None,
    events_for: EventsFor | None = None,
    history: int = 0,
) -> SessionRecord:
    """The read–modify–compare-and-set loop shared by the adapters: two round trips on Redis per attempt."""
    for attempt in range(UPDATE_ATTEMPTS):
        current = await store.get(session_id)
        if current is None:
            raise SessionNotFound()
        expected = current.version
        changed = fn(current)
        ttl = ttl_for(changed) if ttl_for is not None else None
        events = events_for(changed) if events_for is not None else ()
        stored = await store.replace(
            changed, expected_version=expected, ttl_seconds=ttl, events=events, history=history
        )
        if stored is not None:
            return stored
        await asyncio.sleep(random.uniform(0, 0.002 * (attempt + 1)))  # noqa: S311 - jitter, not a secret
    raise VersionConflict()


def check_history(events: Sequence[SessionEvent], history: int) -> None:
    if events and history < 1:
        raise ValueError("events need a history length of at least 1")


def expiry_score(record: SessionRecord) -> float | None:
    """Where a record sits in the expiry index: its deadline, or a fetch's lease if that ends first (so the
    expiry sweep finds a fetch cut off by a crash); ``None`` once final (nothing left to expire)."""
    if is_final(record.state):
        return None
    lease = record.fetch_lease_ends()
    deadline = record.expires_at if lease is None else min(lease, record.expires_at)
    return deadline.timestamp()
