"""The in-memory ``SessionStore`` (default): one process, asyncio, live events fanned out in process.

Records are kept as JSON text, exactly like the Redis adapter, so each reader gets its own copy and a
record that would not survive serialisation fails here too. Expiry uses the monotonic clock.
"""

from __future__ import annotations

import time
from collections import Counter, deque
from collections.abc import AsyncIterator, Callable, Sequence
from contextlib import AbstractAsyncContextManager, asynccontextmanager
from dataclasses import dataclass, field
from datetime import datetime

from databrug.sessions.errors import RateLimited, SessionExists, SessionNotFound
from databrug.sessions.events import SessionEvent
from databrug.sessions.fanout import LocalFanout, Subscription
from databrug.sessions.model import SessionRecord
from databrug.sessions.sealing import SealedBytes
from databrug.sessions.store import (
    EventsFor,
    Mutation,
    RateLimit,
    TokenEntry,
    TtlFor,
    check_history,
    expiry_score,
    update_with_retry,
)
from databrug.sessions.tokens import SessionId, TokenHash, TokenKind

_MAX_SERIES = 10_000
"""Sample series (source health) kept before the expired ones are swept out."""


@dataclass
class _Entry:
    record_json: str
    version: int
    deadline: float
    expiry_score: float | None
    state: str
    blobs: dict[str, SealedBytes] = field(default_factory=dict)
    events: deque[str] = field(default_factory=deque)
    tokens: set[tuple[TokenKind, TokenHash]] = field(default_factory=set)


class MemorySessionStore:
    def __init__(self, monotonic: Callable[[], float] = time.monotonic) -> None:
        self._monotonic = monotonic
        self._sessions: dict[str, _Entry] = {}
        self._tokens: dict[tuple[TokenKind, TokenHash], str] = {}
        self._rates: dict[str, tuple[int, float]] = {}
        self._series: dict[str, tuple[deque[str], float]] = {}
        self._fanout = LocalFanout()

    def _live(self, session_id: str) -> _Entry | None:
        entry = self._sessions.get(session_id)
        if entry is not None and entry.deadline <= self._monotonic():
            self._drop(session_id, entry)
            return None
        return entry

    def _drop(self, session_id: str, entry: _Entry) -> None:
        for token in entry.tokens:
            self._tokens.pop(token, None)
        del self._sessions[session_id]

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
        check_history(events, history)
        if rate is not None and self._count_hit(rate.key, rate.window_seconds) > rate.limit:
            raise RateLimited(rate.window_seconds)
        if self._live(record.session_id) is not None:
            raise SessionExists()
        stored = record.model_copy(update={"version": 0})
        entry = _Entry(
            record_json=stored.model_dump_json(),
            version=0,
            deadline=self._monotonic() + ttl_seconds,
            expiry_score=expiry_score(stored),
            state=stored.state.value,
        )
        self._sessions[record.session_id] = entry
        for token in tokens:
            self._tokens[token] = record.session_id
            entry.tokens.add(token)
        self._record_events(entry, events, history)

    async def get(self, session_id: str) -> SessionRecord | None:
        entry = self._live(session_id)
        return None if entry is None else SessionRecord.model_validate_json(entry.record_json)

    async def replace(
        self,
        record: SessionRecord,
        *,
        expected_version: int,
        ttl_seconds: float | None = None,
        events: Sequence[SessionEvent] = (),
        history: int = 0,
    ) -> SessionRecord | None:
        check_history(events, history)
        entry = self._live(record.session_id)
        if entry is None:
            raise SessionNotFound()
        if entry.version != expected_version:
            return None
        stored = record.model_copy(update={"version": expected_version + 1})
        entry.record_json = stored.model_dump_json()
        entry.version = stored.version
        entry.expiry_score = expiry_score(stored)
        entry.state = stored.state.value
        if ttl_seconds is not None:
            entry.deadline = self._monotonic() + ttl_seconds
        self._record_events(entry, events, history)
        return stored

    def _record_events(self, entry: _Entry, events: Sequence[SessionEvent], history: int) -> None:
        """Kept and published like ``append_event`` then ``publish``, by the write that stored the record."""
        if not events:
            return
        texts = [event.to_json() for event in events]
        entry.events.extend(texts)
        while len(entry.events) > history:
            entry.events.popleft()
        for text in texts:
            self._fanout.dispatch(SessionEvent.from_json(text))

    async def update(
        self,
        session_id: str,
        fn: Mutation,
        *,
        ttl_for: TtlFor | None = None,
        events_for: EventsFor | None = None,
        history: int = 0,
    ) -> SessionRecord:
        return await update_with_retry(self, session_id, fn, ttl_for, events_for, history)

    async def delete(self, session_id: str) -> None:
        entry = self._sessions.get(session_id)
        if entry is not None:
            self._drop(session_id, entry)

    async def index_token(self, kind: TokenKind, token_hash: TokenHash, session_id: str) -> None:
        entry = self._live(session_id)
        if entry is None:
            raise SessionNotFound()
        self._tokens[(kind, token_hash)] = session_id
        entry.tokens.add((kind, token_hash))

    async def unindex_token(self, kind: TokenKind, token_hash: TokenHash) -> None:
        session_id = self._tokens.pop((kind, token_hash), None)
        entry = self._sessions.get(session_id) if session_id is not None else None
        if entry is not None:
            entry.tokens.discard((kind, token_hash))

    async def find_by_token(self, kind: TokenKind, token_hash: TokenHash) -> SessionId | None:
        session_id = self._tokens.get((kind, token_hash))
        if session_id is None or self._live(session_id) is None:
            return None
        return SessionId(session_id)

    async def put_blob(self, session_id: str, name: str, data: SealedBytes) -> None:
        entry = self._live(session_id)
        if entry is None:
            raise SessionNotFound()
        entry.blobs[name] = SealedBytes(bytes(data))

    async def get_blob(self, session_id: str, name: str) -> SealedBytes | None:
        entry = self._live(session_id)
        return None if entry is None else entry.blobs.get(name)

    async def delete_blob(self, session_id: str, name: str) -> None:
        entry = self._live(session_id)
        if entry is not None:
            entry.blobs.pop(name, None)

    async def blob_names(self, session_id: str) -> list[str]:
        entry = self._live(session_id)
        return [] if entry is None else sorted(entry.blobs)

    async def append_event(self, event: SessionEvent, *, history: int) -> None:
        entry = self._live(event.session_id)
        if entry is None:
            return
        entry.events.append(event.to_json())
        while len(entry.events) > history:
            entry.events.popleft()

    async def events_after(self, session_id: str, seq: int) -> list[SessionEvent]:
        entry = self._live(session_id)
        if entry is None:
            return []
        events = (SessionEvent.from_json(text) for text in entry.events)
        return [event for event in events if event.seq > seq]

    async def publish(self, event: SessionEvent) -> None:
        self._fanout.dispatch(SessionEvent.from_json(event.to_json()))

    @asynccontextmanager
    async def _subscription(self, session_id: str) -> AsyncIterator[Subscription]:
        subscription = self._fanout.add(session_id)
        try:
            yield subscription
        finally:
            self._fanout.remove(subscription)

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self._subscription(session_id)

    async def incr_rate(self, key: str, window_seconds: int) -> int:
        return self._count_hit(key, window_seconds)

    def _count_hit(self, key: str, window_seconds: int) -> int:
        now = self._monotonic()
        count, resets_at = self._rates.get(key, (0, 0.0))
        if resets_at <= now:
            count, resets_at = 0, now + window_seconds
        count += 1
        self._rates[key] = (count, resets_at)
        if len(self._rates) > 10_000:
            self._rates = {k: v for k, v in self._rates.items() if v[1] > now}
        return count

    async def due(self, until: datetime, limit: int = 100) -> list[SessionId]:
        limit_score = until.timestamp()
        found = []
        for session_id in list(self._sessions):
            entry = self._live(session_id)
            if entry is not None and entry.expiry_score is not None and entry.expiry_score <= limit_score:
                found.append((entry.expiry_score, session_id))
        return [SessionId(session_id) for _, session_id in sorted(found)[:limit]]

    async def add_sample(self, series: str, sample: str, *, keep: int, ttl_seconds: float) -> None:
        now = self._monotonic()
        found = self._series.get(series)
        kept = found[0] if found is not None and found[1] > now else deque()
        kept.append(sample)
        while len(kept) > max(1, keep):
            kept.popleft()
        self._series[series] = (kept, now + ttl_seconds)
        if len(self._series) > _MAX_SERIES:
            self._series = {k: v for k, v in self._series.items() if v[1] > now}

    async def samples(self, series: Sequence[str]) -> dict[str, list[str]]:
        now = self._monotonic()
        found = {name: self._series.get(name) for name in series}
        return {name: list(kept[0]) if kept and kept[1] > now else [] for name, kept in found.items()}

    def count_by_state(self) -> dict[str, int]:
        """Live sessions per state, for ``databrug_sessions`` at scrape time (a pass over the entries)."""
        now, counts = self._monotonic(), Counter[str]()
        for entry in list(self._sessions.values()):
            if entry.deadline > now:
                counts[entry.state] += 1
        return dict(counts)

    async def ping(self) -> bool:
        return True

    async def close(self) -> None:
        self._fanout.end_all()

    def watcher_count(self) -> int:
        return self._fanout.watcher_count()
