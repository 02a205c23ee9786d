"""Memory per active session in the store, documents excluded (issue 9, item 1: ≤ 64 KB at 10,000 sessions).

Each session is brought to a realistic mid-journey state through ``SessionService`` (as the web layer does):
created, paired on the phone, applicant logged in, all four sources started and completed — so the record
carries its tokens' index entries, per-source progress and an event history of a dozen events. No collected
blob is stored: that is the citizen's sealed documents, which the figure excludes.

Memory store: ``tracemalloc`` traced bytes after minus before, divided by the sessions (the store's own
Python objects only). Redis: ``INFO memory`` ``used_memory`` after minus before, divided likewise.
``--quick`` makes 1,000 sessions (Redis: 300), ``--full`` 10,000 (Redis: 2,000).
"""

from __future__ import annotations

import asyncio
import gc
import tracemalloc
from typing import get_args

import redis.asyncio as aioredis
from tests.support.subjects import SUBJECT

from bench import Figure, Mode
from bench.support import redis_server, workdir
from databrug.records import SourceName
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.redis import RedisSessionStore
from databrug.sessions.service import SessionService

SESSIONS: dict[Mode, int] = {"quick": 1_000, "full": 10_000}
# Each Redis session costs dozens of round trips; used_memory is exact, so fewer sessions suffice quickly.
REDIS_SESSIONS: dict[Mode, int] = {"quick": 300, "full": 2_000}
TARGET_BYTES = 64 * 1024
SOURCES: list[SourceName] = list(get_args(SourceName))
RECORDS_PER_SOURCE = 3


async def _fill(service: SessionService, count: int) -> str:
    """``count`` sessions brought mid-journey; the last one's id."""
    session_id = ""
    for index in range(count):
        _, page = await service.create_session(
            "robot", f"bench-{index:06d}", SOURCES, partner_mode="optional"
        )
        app = await service.app_session(await service.pairing.start_on_phone(page))
        await service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
        for source in SOURCES:
            await service.source_started(app, "applicant", source)
            await service.source_completed(app, "applicant", source, RECORDS_PER_SOURCE)
        session_id = app.session_id
    return session_id


async def _one_session_size() -> tuple[int, int]:
    """The JSON size of one such record, and its number of events."""
    store = MemorySessionStore()
    session_id = await _fill(SessionService(store), 1)
    record = await store.get(session_id)
    assert record is not None
    return len(record.model_dump_json()), len(await store.events_after(session_id, 0))


def _memory_store(count: int) -> float:
    store = MemorySessionStore()
    service = SessionService(store)
    asyncio.run(_fill(service, 10))  # warm up: imports, interned strings, pydantic's caches
    gc.collect()
    tracemalloc.start()
    try:
        before = tracemalloc.get_traced_memory()[0]
        asyncio.run(_fill(service, count))
        gc.collect()
        after = tracemalloc.get_traced_memory()[0]
    finally:
        tracemalloc.stop()
    return (after - before) / count


async def _redis_store(url: str, count: int) -> float:
    client = aioredis.Redis.from_url(url, decode_responses=False)
    try:
        store = RedisSessionStore(client, prefix="benchmem:")
        service = SessionService(store)
        await _fill(service, 10)
        before = (await client.info("memory"))["used_memory"]
        await _fill(service, count)
        after = (await client.info("memory"))["used_memory"]
        return int(after - before) / count
    finally:
        await client.aclose()


def run(mode: Mode) -> list[Figure]:
    count = SESSIONS[mode]
    memory = _memory_store(count)
    record_bytes, events = asyncio.run(_one_session_size())
    redis_count = REDIS_SESSIONS[mode]
    with workdir() as directory, redis_server(directory) as server:
        in_redis = asyncio.run(_redis_store(server.url, redis_count))
    note = f"{count:,} sessions mid-journey, {events} events each; record JSON {record_bytes} B"
    return [
        Figure.against(
            "memory per session (memory store)",
            memory / 1024,
            "KiB",
            target="<=64 KB",
            ok=memory <= TARGET_BYTES,
            note=f"tracemalloc; {note}",
        ),
        Figure.against(
            "memory per session (Redis)",
            in_redis / 1024,
            "KiB",
            target="<=64 KB",
            ok=in_redis <= TARGET_BYTES,
            note=f"INFO used_memory delta; {redis_count:,} sessions",
        ),
    ]
