"""Sample series (source health) on both adapters: shared across processes, capped, expiring; on Redis the
write is one round trip and reads nothing, and one read answers every series."""

from __future__ import annotations

import asyncio
from typing import Any

from databrug.sessions.redis import RedisSessionStore

from .conftest import Stores


async def test_samples_are_shared_capped_and_oldest_first(stores: Stores) -> None:
    for i in range(7):
        await stores.a.add_sample("source-health:uwv", f"s{i}", keep=5, ttl_seconds=60)
    await stores.b.add_sample("source-health:uwv", "s7", keep=5, ttl_seconds=60)
    await stores.b.add_sample("source-health:belastingdienst", "b0", keep=5, ttl_seconds=60)
    found = await stores.a.samples(
        ["source-health:uwv", "source-health:belastingdienst", "source-health:none"]
    )
    assert found == {
        "source-health:uwv": ["s3", "s4", "s5", "s6", "s7"],
        "source-health:belastingdienst": ["b0"],
        "source-health:none": [],
    }
    assert await stores.b.samples([]) == {}


async def test_a_series_expires_after_its_last_write(stores: Stores) -> None:
    await stores.a.add_sample("source-health:uwv", "old", keep=5, ttl_seconds=0.3)
    await asyncio.sleep(0.2)
    await stores.a.add_sample("source-health:uwv", "new", keep=5, ttl_seconds=0.3)  # renews the series
    await asyncio.sleep(0.2)
    assert await stores.b.samples(["source-health:uwv"]) == {"source-health:uwv": ["old", "new"]}
    await asyncio.sleep(0.25)
    assert await stores.b.samples(["source-health:uwv"]) == {"source-health:uwv": []}
    await stores.a.add_sample("source-health:uwv", "again", keep=5, ttl_seconds=60)
    assert await stores.b.samples(["source-health:uwv"]) == {"source-health:uwv": ["again"]}


async def test_samples_do_not_touch_sessions_or_rates(stores: Stores) -> None:
    await stores.a.add_sample("pair:1.2.3.4", "x", keep=1, ttl_seconds=60)
    assert await stores.a.incr_rate("pair:1.2.3.4", 60) == 1  # another key space


class Counting:
    """Wraps the pipelined connection of a Redis store: how many commands, and which."""

    def __init__(self, store: RedisSessionStore) -> None:
        self.sent: list[tuple[Any, ...]] = []
        wire = store._wire
        original = wire.execute

        async def execute(*args: Any) -> Any:
            self.sent.append(args)
            return await original(*args)

        wire.execute = execute  # type: ignore[method-assign]


async def test_redis_write_is_one_round_trip_and_reads_nothing(redis_stores: Stores) -> None:
    store = redis_stores.a
    assert isinstance(store, RedisSessionStore)
    await store.add_sample("source-health:uwv", "warm", keep=3, ttl_seconds=60)  # the script is loaded
    await store.samples(["source-health:uwv"])
    counting = Counting(store)
    await store.add_sample("source-health:uwv", "one", keep=3, ttl_seconds=60)
    assert len(counting.sent) == 1
    assert counting.sent[0][0] == "EVALSHA"
    found = await store.samples([f"source-health:{name}" for name in ("a", "b", "c", "uwv")])
    assert len(counting.sent) == 2  # one read for every series
    assert found["source-health:uwv"] == ["warm", "one"]
    ttl = await store._redis.pttl(f"{store._prefix}sample:source-health:uwv")
    assert 0 < ttl <= 60_000
