"""Server-sent events for one session: history after Last-Event-ID, then live, with keep-alives.

A stream the broker ends before the session's final state (the process drains for a restart, the store's
connection dropped, the reader fell behind) ends with ``RECONNECT``: reconnect after half a second, with
Last-Event-ID, through the balancer, most likely to another process. The computer page's stream names it
too (``event: reconnect``), so the page's script knows this end is expected and lets the browser reconnect
instead of falling back to polling. The provider API's stream does not: an SDK reads every named event as a
session event."""

from __future__ import annotations

from collections.abc import AsyncIterator

from databrug.broker import Broker, SessionEvent, is_final

KEEPALIVE_SECONDS = 15.0
RECONNECT = "retry: 500\n\n"
RECONNECT_EVENT = "event: reconnect\ndata: {}\n\n"


# The fan-out hands the same event object to every watcher of a session: serialise it once, not per stream.
_last_formatted: tuple[SessionEvent | None, str] = (None, "")


def format_event(event: SessionEvent) -> str:
    global _last_formatted
    last, text = _last_formatted
    if last is not event:
        text = f"id: {event.seq}\nevent: {event.type.value}\ndata: {event.to_json()}\n\n"
        _last_formatted = (event, text)
    return text


async def event_stream(
    broker: Broker,
    session_id: str,
    after: int,
    keepalive: float = KEEPALIVE_SECONDS,
    *,
    announce_reconnect: bool = False,
) -> AsyncIterator[str]:
    yield "retry: 2000\n\n"
    with broker.metrics.watching():  # one gauge step per stream, none per message
        async with broker.watch(session_id, after) as watch:
            while True:
                try:
                    event = await watch.next(timeout=keepalive)
                except StopAsyncIteration:
                    # ended by the broker: the client reconnects with Last-Event-ID
                    yield RECONNECT + RECONNECT_EVENT if announce_reconnect else RECONNECT
                    return
                if event is None:
                    yield ": keep-alive\n\n"
                    continue
                yield format_event(event)
                if is_final(event.state):
                    return


def last_event_id(header: str | None, query: str | None) -> int:
    for value in (header, query):
        if value and value.isdigit():
            return int(value)
    return 0
