"""In-process delivery of live events to the watchers of a session (both store adapters use it).

Each watcher has a bounded queue. A watcher that falls behind is ended, not blocked: its stream stops and the
client resumes from the event history (SSE ``Last-Event-ID``), so one slow reader never stalls the others.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

from databrug.sessions.events import SessionEvent

WATCHER_QUEUE_SIZE = 256


class Subscription:
    """Live events of one session, in order, until closed, overflowed or the store's connection drops."""

    def __init__(self, session_id: str, maxsize: int = WATCHER_QUEUE_SIZE) -> None:
        self.session_id = session_id
        self._queue: asyncio.Queue[SessionEvent | None] = asyncio.Queue(maxsize=maxsize + 1)
        self._maxsize = maxsize
        self.ended = False
        self.overflowed = False

    def deliver(self, event: SessionEvent) -> None:
        if self.ended:
            return
        if self._queue.qsize() >= self._maxsize:
            self.overflowed = True
            self.end()
            return
        self._queue.put_nowait(event)

    def end(self) -> None:
        if not self.ended:
            self.ended = True
            self._queue.put_nowait(None)  # the extra slot is reserved for this end marker

    def __aiter__(self) -> AsyncIterator[SessionEvent]:
        return self

    async def __anext__(self) -> SessionEvent:
        item = await self._queue.get()
        if item is None:
            raise StopAsyncIteration
        return item

    async def next(self, timeout: float) -> SessionEvent | None:
        """The next event, or ``None`` after ``timeout`` seconds (send an SSE keep-alive then).

        Raises ``StopAsyncIteration`` once the subscription has ended.
        """
        try:
            item = await asyncio.wait_for(self._queue.get(), timeout)
        except TimeoutError:
            return None
        if item is None:
            self._queue.put_nowait(None)  # keep the stream ended for the next call
            raise StopAsyncIteration
        return item


class LocalFanout:
    def __init__(self) -> None:
        self._watchers: dict[str, set[Subscription]] = {}

    def add(self, session_id: str) -> Subscription:
        subscription = Subscription(session_id)
        self._watchers.setdefault(session_id, set()).add(subscription)
        return subscription

    def remove(self, subscription: Subscription) -> None:
        subscription.end()
        watchers = self._watchers.get(subscription.session_id)
        if watchers is not None:
            watchers.discard(subscription)
            if not watchers:
                del self._watchers[subscription.session_id]

    def dispatch(self, event: SessionEvent) -> None:
        for subscription in tuple(self._watchers.get(event.session_id, ())):
            subscription.deliver(event)

    def end_all(self) -> None:
        for watchers in self._watchers.values():
            for subscription in watchers:
                subscription.end()

    def watcher_count(self) -> int:
        return sum(len(w) for w in self._watchers.values())
