"""Watching one session: the kept history after a seq, then the live stream, in seq order, no repeats."""

from __future__ import annotations

from collections import deque
from collections.abc import AsyncIterator

from databrug.sessions.events import SessionEvent
from databrug.sessions.fanout import Subscription
from databrug.sessions.store import SessionStore


class SessionWatch:
    """Events of one session after a given seq: the kept history first, then live, in seq order, no repeats.

    ``next(timeout)`` returns ``None`` on a timeout (send an SSE keep-alive) and raises ``StopAsyncIteration``
    when the live stream ended (store reconnect, slow reader): the client then reconnects with Last-Event-ID.
    """

    def __init__(self, store: SessionStore, session_id: str, after_seq: int, live: Subscription) -> None:
        self._store = store
        self._session_id = session_id
        self.last_seq = after_seq
        self._live = live
        self._pending: deque[SessionEvent] = deque()
        self._replayed = False

    async def next(self, timeout: float) -> SessionEvent | None:
        if not self._replayed:
            self._replayed = True
            self._pending.extend(await self._store.events_after(self._session_id, self.last_seq))
        while True:
            while self._pending:
                event = self._pending.popleft()
                if event.seq > self.last_seq:
                    self.last_seq = event.seq
                    return event
            live = await self._live.next(timeout)
            if live is None:
                return None
            event = live
            if event.seq <= self.last_seq:
                continue
            if event.seq > self.last_seq + 1:  # a gap: events published by other processes, out of order
                self._pending.extend(await self._store.events_after(self._session_id, self.last_seq))
                if not any(kept.seq == event.seq for kept in self._pending):
                    self._pending.append(event)
                continue
            self.last_seq = event.seq
            return event

    def end(self) -> None:
        """End the live stream: the history already read is still returned, then ``StopAsyncIteration``."""
        self._live.end()

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self

    async def __anext__(self) -> SessionEvent:
        while True:
            event = await self.next(timeout=3600)
            if event is not None:
                return event
