"""Both webhook outboxes (memory, Redis on a real server) keep one session's events in order: only the first
pending event of a session can be claimed, whether the others were added late, are retried, or their lease
lapsed because the process holding it died; other sessions and unordered deliveries are not held up."""

from __future__ import annotations

import uuid
from collections.abc import AsyncIterator
from datetime import UTC, datetime, timedelta

import pytest
from redis import asyncio as aioredis
from tests.support.redis_server import RedisServer, redis_server

from databrug.delivery.outbox import MemoryOutbox, Outbox, PendingDelivery
from databrug.delivery.redis_outbox import RedisOutbox

__all__ = ["redis_server"]

NOW = datetime.now(UTC).replace(microsecond=0)
LEASE = timedelta(seconds=60)


@pytest.fixture(params=["memory", "redis"])
async def outbox(request: pytest.FixtureRequest, redis_server: RedisServer) -> AsyncIterator[Outbox]:
    if request.param == "memory":
        yield MemoryOutbox()
        return
    client = aioredis.from_url(redis_server.url)
    yield RedisOutbox(client, prefix=f"o{uuid.uuid4().hex[:10]}:")
    await client.aclose()


def event(event_id: str, session: str | None, order: float, at: datetime = NOW) -> PendingDelivery:
    return PendingDelivery(
        event_id=event_id,
        provider_id="p",
        url="https://provider.example/hook",
        body=b"{}",
        deadline=at + timedelta(hours=24),
        next_attempt_at=at,
        order_key=session,
        order=order,
    )


async def claimed(outbox: Outbox, at: datetime) -> list[str]:
    return sorted(d.event_id for d in await outbox.claim_due(at, 32, LEASE))


async def test_only_the_first_pending_event_of_a_session_is_claimed(outbox: Outbox) -> None:
    # Two processes enqueued seq 2 before seq 1 (a race); then seq 3 and 3.5 (the package after its step).
    for delivery in (event("s2", "ses_a", 2), event("s1", "ses_a", 1), event("s3", "ses_a", 3)):
        assert await outbox.add(delivery)
    assert await outbox.add(event("ready", "ses_a", 3.5))
    assert await claimed(outbox, NOW) == ["s1"]
    assert await claimed(outbox, NOW + timedelta(seconds=1)) == []  # leased: nobody overtakes it

    # The process holding the lease died: when the lease lapses the same event comes back, not the next.
    assert await claimed(outbox, NOW + LEASE) == ["s1"]
    later = NOW + LEASE + timedelta(seconds=1)
    await outbox.finish("s1", "delivered", 2, later)
    assert await claimed(outbox, later) == ["s2"]

    # A failed attempt waits its backoff; the next event waits with it.
    backoff = later + timedelta(seconds=30)
    await outbox.reschedule("s2", attempts=1, next_attempt_at=backoff, last_status=503)
    assert await claimed(outbox, later + timedelta(seconds=1)) == []
    assert await claimed(outbox, backoff) == ["s2"]
    await outbox.finish("s2", "gave_up", 2, backoff)  # given up: the rest still goes, in order
    assert await claimed(outbox, backoff) == ["s3"]
    await outbox.finish("s3", "delivered", 1, backoff)
    assert await claimed(outbox, backoff) == ["ready"]
    await outbox.finish("ready", "delivered", 1, backoff)
    assert await claimed(outbox, backoff + LEASE) == []


async def test_other_sessions_and_unordered_deliveries_are_not_held_up(outbox: Outbox) -> None:
    for delivery in (
        event("a1", "ses_a", 1),
        event("a2", "ses_a", 2),
        event("b1", "ses_b", 1),
        event("free1", None, 0),
        event("free2", None, 0),
    ):
        assert await outbox.add(delivery)
    assert await claimed(outbox, NOW) == ["a1", "b1", "free1", "free2"]
    await outbox.finish("b1", "delivered", 1, NOW)
    assert await claimed(outbox, NOW) == []  # a1 still leased; ses_b has nothing left
    await outbox.finish("a1", "delivered", 1, NOW)
    assert await claimed(outbox, NOW) == ["a2"]
    assert not await outbox.add(event("a1", "ses_a", 1))  # a repeat is still refused


async def test_a_later_event_added_while_an_earlier_is_retried_waits(outbox: Outbox) -> None:
    assert await outbox.add(event("e1", "ses_c", 1))
    assert await claimed(outbox, NOW) == ["e1"]
    await outbox.reschedule("e1", attempts=1, next_attempt_at=NOW + timedelta(seconds=5), last_status=None)
    assert await outbox.add(event("e2", "ses_c", 2, NOW + timedelta(seconds=1)))
    assert await claimed(outbox, NOW + timedelta(seconds=2)) == []
    assert await claimed(outbox, NOW + timedelta(seconds=5)) == ["e1"]
