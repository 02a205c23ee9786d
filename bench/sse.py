"""Many SSE watchers on one broker process against a bare SSE endpoint served the same way, one run.

Issue 9, item 1: 10,000 concurrent watchers (``--full``; ``--quick`` opens 2,000): server memory per watcher
≤ 1.2 × the bare SSE baseline, and the fan-out of one event to all of them ≤ 1.5 × the bare baseline.

The watchers are the provider's event stream (``GET /api/v1/sessions/{id}/events``, Bearer token) of ONE
session: the fairest fan-out test, since one event has to reach every open stream (spread over sessions, one
event would reach only that session's few watchers). The event is the citizen opening the invitation link
(``GET /start?t=…`` → ``session.opened``), after which every stream stays open, as the bare ones do; the bare
app's event is ``POST /publish``, one line on every stream's queue. (A final event such as a cancellation
would also close 10,000 streams inside the measured time, work the bare side does not do.)

Memory is the server's resident set (``VmRSS``) once every stream has its first bytes, minus the resident set
before, divided by the number of streams. Fan-out is the time from sending the trigger to the last watcher
reading the event, as the clients see it (one asyncio client process, raw sockets, the same for both).
"""

from __future__ import annotations

import asyncio
import time
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from urllib.parse import urlsplit

import httpx

from bench import Figure, Mode
from bench.support import Server, baseline_server, broker_server, raise_fd_limit, workdir

WATCHERS: dict[Mode, int] = {"quick": 2_000, "full": 10_000}
CONNECTING_AT_ONCE = 200
MEMORY_RATIO = 1.2
FANOUT_RATIO = 1.5
SETTLE_SECONDS = 1.0


@dataclass(frozen=True)
class StreamRun:
    watchers: int
    rss_before: int
    rss_after: int
    fanout_seconds: float
    connect_seconds: float

    @property
    def bytes_per_watcher(self) -> float:
        return (self.rss_after - self.rss_before) / self.watchers


class Watcher:
    """One raw HTTP/1.1 connection reading an event stream until it has seen ``marker``."""

    def __init__(self, url: str, headers: dict[str, str], marker: bytes) -> None:
        parts = urlsplit(url)
        self.host, self.port = parts.hostname or "127.0.0.1", parts.port or 80
        lines = [f"GET {parts.path} HTTP/1.1", f"Host: {parts.netloc}", "Accept: text/event-stream"]
        lines += [f"{k}: {v}" for k, v in headers.items()]
        self.request = ("\r\n".join(lines) + "\r\n\r\n").encode()
        self.marker = marker
        self.seen_at: float | None = None
        self._buffer = b""
        self._writer: asyncio.StreamWriter | None = None
        self._reader: asyncio.StreamReader | None = None

    async def open(self) -> None:
        """Connect and read until the response head and the first event-stream bytes are in."""
        self._reader, self._writer = await asyncio.open_connection(self.host, self.port)
        self._writer.write(self.request)
        while b"retry:" not in self._buffer:
            chunk = await self._reader.read(4096)
            if not chunk:
                raise RuntimeError("stream closed before it started")
            self._buffer += chunk
        if not self._buffer.startswith(b"HTTP/1.1 200"):
            raise RuntimeError(f"stream refused: {self._buffer[:40]!r}")
        self._buffer = self._buffer[-64:]

    async def wait_for_marker(self) -> None:
        assert self._reader is not None
        while self.marker not in self._buffer:
            chunk = await self._reader.read(4096)
            if not chunk:
                raise RuntimeError("stream closed before the event")
            self._buffer = self._buffer[-64:] + chunk
        self.seen_at = time.perf_counter()

    def close(self) -> None:
        if self._writer is not None:
            self._writer.close()


async def _open_all(watchers: list[Watcher]) -> None:
    gate = asyncio.Semaphore(CONNECTING_AT_ONCE)

    async def one(watcher: Watcher) -> None:
        async with gate:
            await watcher.open()

    await asyncio.gather(*(one(w) for w in watchers))


async def _stream_run(
    server: Server, make: Callable[[], Watcher], count: int, trigger: Callable[[], Awaitable[None]]
) -> StreamRun:
    warm = [make() for _ in range(20)]  # the first streams load code paths; not counted as per-watcher memory
    await _open_all(warm)
    await asyncio.sleep(SETTLE_SECONDS)
    rss_before = server.rss()
    watchers = [make() for _ in range(count)]
    started = time.perf_counter()
    await _open_all(watchers)
    connect_seconds = time.perf_counter() - started
    await asyncio.sleep(SETTLE_SECONDS)
    rss_after = server.rss()
    everyone = warm + watchers
    waiting = [asyncio.create_task(w.wait_for_marker()) for w in everyone]
    await asyncio.sleep(0.1)
    fired = time.perf_counter()
    await trigger()
    await asyncio.wait_for(asyncio.gather(*waiting), timeout=120)
    fanout = max(w.seen_at or fired for w in everyone) - fired
    for watcher in everyone:
        watcher.close()
    return StreamRun(count, rss_before, rss_after, fanout, connect_seconds)


async def _bare(server: Server, count: int) -> StreamRun:
    async def trigger() -> None:
        async with httpx.AsyncClient(timeout=120.0) as client:
            (await client.post(f"{server.url}/publish")).raise_for_status()

    return await _stream_run(server, lambda: Watcher(f"{server.url}/sse", {}, b"bare.tick"), count, trigger)


async def _broker_run(server: Server, token: str, count: int) -> StreamRun:
    auth = {"Authorization": f"Bearer {token}"}
    async with httpx.AsyncClient(headers=auth, timeout=120.0) as client:
        created = await client.post(f"{server.url}/api/v1/sessions", json={"reference": "bench-sse"})
        created.raise_for_status()
        session_id, citizen_url = created.json()["id"], created.json()["citizen_url"]

        async def trigger() -> None:
            # The citizen opens the invitation link: one ``session.opened`` event, and the streams go on.
            async with httpx.AsyncClient(timeout=120.0) as citizen:
                opened = await citizen.get(citizen_url)
                if opened.status_code != 303:
                    raise RuntimeError(f"the invitation link answered HTTP {opened.status_code}")

        url = f"{server.url}/api/v1/sessions/{session_id}/events"
        return await _stream_run(server, lambda: Watcher(url, auth, b"session.opened"), count, trigger)


def run(mode: Mode) -> list[Figure]:
    raise_fd_limit()
    count = WATCHERS[mode]
    with workdir() as directory:
        with baseline_server(directory) as bare:
            base = asyncio.run(_bare(bare, count))
        with broker_server(directory, "http://127.0.0.1:9") as broker:
            measured = asyncio.run(_broker_run(broker.server, broker.access_token(), count))
    memory = measured.bytes_per_watcher / 1024
    base_memory = base.bytes_per_watcher / 1024
    return [
        Figure.against(
            f"SSE memory per watcher ({count:,} on one session)",
            memory,
            "KiB",
            baseline=base_memory,
            target=f"<={MEMORY_RATIO}x bare",
            ok=memory <= MEMORY_RATIO * base_memory,
            note=(
                f"broker RSS {measured.rss_before / 2**20:.0f} -> {measured.rss_after / 2**20:.0f} MiB; "
                f"opened in {measured.connect_seconds:.1f} s (bare {base.connect_seconds:.1f} s)"
            ),
        ),
        Figure.against(
            f"SSE fan-out of one event to {count:,}",
            measured.fanout_seconds,
            "s",
            baseline=base.fanout_seconds,
            target=f"<={FANOUT_RATIO}x bare",
            ok=measured.fanout_seconds <= FANOUT_RATIO * base.fanout_seconds,
            note="trigger sent -> last watcher read it; citizen opens the link vs bare POST /publish",
        ),
    ]
