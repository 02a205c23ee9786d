"""A ``SessionStore`` that times every operation of the store it wraps and counts its failures: the one place
store latency and errors are measured, whichever adapter runs (``bootstrap`` wraps the store it picks).

An answer the port defines (``SessionNotFound``, ``SessionExists``) is not a failure; anything else raised
(``StoreUnavailable``, a timeout) is counted by operation and error type, then raised unchanged. Labels are
the operation's name and the error's class name only: no key, id or value.
"""

from __future__ import annotations

import time
from collections.abc import Awaitable, Sequence
from contextlib import AbstractAsyncContextManager
from datetime import datetime
from typing import TypeVar

from databrug.metrics import BrokerMetrics
from databrug.sessions.errors import RateLimited, SessionExists, SessionNotFound
from databrug.sessions.events import SessionEvent
from databrug.sessions.fanout import Subscription
from databrug.sessions.model import SessionRecord
from databrug.sessions.sealing import SealedBytes
from databrug.sessions.store import EventsFor, Mutation, RateLimit, SessionStore, TokenEntry, TtlFor
from databrug.sessions.tokens import SessionId, TokenHash, TokenKind

T = TypeVar("T")

ANSWERS = (SessionNotFound, SessionExists, RateLimited)
"""What the port answers with by raising: not a store failure."""


class MeteredStore:
    def __init__(self, store: SessionStore, metrics: BrokerMetrics) -> None:
        self.inner = store
        self._metrics = metrics
        count = getattr(store, "count_by_state", None)
        metrics.count_sessions_with(count if callable(count) else None)

    async def _timed(self, operation: str, call: Awaitable[T]) -> T:
        started = time.perf_counter()
        try:
            return await call
        except ANSWERS:
            raise
        except Exception as error:
            self._metrics.store_error(operation, error)
            raise
        finally:
            self._metrics.store_operation(operation, time.perf_counter() - started)

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
        call = self.inner.create(
            record, ttl_seconds, tokens=tokens, events=events, history=history, rate=rate
        )
        await self._timed("create", call)

    async def get(self, session_id: str) -> SessionRecord | None:
        return await self._timed("get", self.inner.get(session_id))

    async def replace(
        self,
        record: SessionRecord,
        *,
        expected_version: int,
        ttl_seconds: float | None = None,
        events: Sequence[SessionEvent] = (),
        history: int = 0,
    ) -> SessionRecord | None:
        call = self.inner.replace(
            record, expected_version=expected_version, ttl_seconds=ttl_seconds, events=events, history=history
        )
        return await self._timed("replace", call)

    async def update(
        self,
        session_id: str,
        fn: Mutation,
        *,
        ttl_for: TtlFor | None = None,
        events_for: EventsFor | None = None,
        history: int = 0,
    ) -> SessionRecord:
        call = self.inner.update(session_id, fn, ttl_for=ttl_for, events_for=events_for, history=history)
        return await self._timed("update", call)

    async def delete(self, session_id: str) -> None:
        await self._timed("delete", self.inner.delete(session_id))

    async def index_token(self, kind: TokenKind, token_hash: TokenHash, session_id: str) -> None:
        await self._timed("index_token", self.inner.index_token(kind, token_hash, session_id))

    async def unindex_token(self, kind: TokenKind, token_hash: TokenHash) -> None:
        await self._timed("unindex_token", self.inner.unindex_token(kind, token_hash))

    async def find_by_token(self, kind: TokenKind, token_hash: TokenHash) -> SessionId | None:
        return await self._timed("find_by_token", self.inner.find_by_token(kind, token_hash))

    async def put_blob(self, session_id: str, name: str, data: SealedBytes) -> None:
        await self._timed("put_blob", self.inner.put_blob(session_id, name, data))

    async def get_blob(self, session_id: str, name: str) -> SealedBytes | None:
        return await self._timed("get_blob", self.inner.get_blob(session_id, name))

    async def delete_blob(self, session_id: str, name: str) -> None:
        await self._timed("delete_blob", self.inner.delete_blob(session_id, name))

    async def blob_names(self, session_id: str) -> list[str]:
        return await self._timed("blob_names", self.inner.blob_names(session_id))

    async def append_event(self, event: SessionEvent, *, history: int) -> None:
        await self._timed("append_event", self.inner.append_event(event, history=history))

    async def events_after(self, session_id: str, seq: int) -> list[SessionEvent]:
        return await self._timed("events_after", self.inner.events_after(session_id, seq))

    async def publish(self, event: SessionEvent) -> None:
        await self._timed("publish", self.inner.publish(event))

    def subscribe(self, session_id: str) -> AbstractAsyncContextManager[Subscription]:
        return self.inner.subscribe(session_id)  # a live stream: its life is not a latency

    async def add_sample(self, series: str, sample: str, *, keep: int, ttl_seconds: float) -> None:
        await self._timed(
            "add_sample", self.inner.add_sample(series, sample, keep=keep, ttl_seconds=ttl_seconds)
        )

    async def samples(self, series: Sequence[str]) -> dict[str, list[str]]:
        return await self._timed("samples", self.inner.samples(series))

    async def incr_rate(self, key: str, window_seconds: int) -> int:
        return await self._timed("incr_rate", self.inner.incr_rate(key, window_seconds))

    async def due(self, until: datetime, limit: int = 100) -> list[SessionId]:
        return await self._timed("due", self.inner.due(until, limit))

    async def ping(self) -> bool:
        return await self._timed("ping", self.inner.ping())

    async def close(self) -> None:
        await self.inner.close()
