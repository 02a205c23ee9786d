"""Fixtures that give each contract test a memory and a Redis adapter (the Redis one on a real server)."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator, Awaitable, Callable
from dataclasses import dataclass
from typing import Any

import pytest
from tests.support.redis_server import RedisServer, redis_server

from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.redis import RedisSessionStore
from databrug.sessions.store import SessionStore

__all__ = ["redis_server"]


@dataclass
class Stores:
    """Two handles on one store: for Redis two clients (as two broker processes), for memory the same one."""

    kind: str
    a: SessionStore
    b: SessionStore
    dump: Callable[[], Awaitable[bytes]]
    """Everything the store holds, as raw bytes (what an attacker with a dump would see)."""


async def _memory() -> AsyncIterator[Stores]:
    store = MemorySessionStore()

    async def dump() -> bytes:
        state = vars(store)
        parts = [repr(state["_tokens"]), repr(state["_rates"])]
        for entry in state["_sessions"].values():
            parts.append(entry.record_json)
            parts.extend(repr(blob) for blob in entry.blobs.values())
            parts.extend(bytes(blob).hex() for blob in entry.blobs.values())
            parts.extend(entry.events)
        return "\n".join(parts).encode()

    yield Stores("memory", store, store, dump)
    await store.close()


async def _redis(server: RedisServer) -> AsyncIterator[Stores]:
    prefix = f"t{uuid.uuid4().hex[:12]}:"
    a = RedisSessionStore.from_url(server.url, prefix=prefix)
    b = RedisSessionStore.from_url(server.url, prefix=prefix)
    raw = RedisSessionStore.from_url(server.url)._redis

    async def dump() -> bytes:
        parts: list[Any] = []
        for key in await raw.keys(f"{prefix}*"):
            parts.append(key)
            parts.append(await raw.dump(key) or b"")
            kind = await raw.type(key)
            if kind == b"string":
                parts.append(await raw.get(key) or b"")
            elif kind == b"hash":
                for field, value in (await raw.hgetall(key)).items():
                    parts.extend((field, value))
            elif kind == b"list":
                parts.extend(await raw.lrange(key, 0, -1))
            elif kind == b"set":
                parts.extend(await raw.smembers(key))
            elif kind == b"zset":
                parts.extend(await raw.zrange(key, 0, -1))
        return b"\n".join(p if isinstance(p, bytes) else str(p).encode() for p in parts)

    yield Stores("redis", a, b, dump)
    await a.close()
    await b.close()
    await raw.aclose()


@pytest.fixture(params=["memory", "redis"])
async def stores(request: pytest.FixtureRequest) -> AsyncIterator[Stores]:
    if request.param == "memory":
        async for pair in _memory():
            yield pair
    else:
        async for pair in _redis(request.getfixturevalue("redis_server")):
            yield pair


@pytest.fixture
async def redis_stores(redis_server: RedisServer) -> AsyncIterator[Stores]:
    async for pair in _redis(redis_server):
        yield pair
