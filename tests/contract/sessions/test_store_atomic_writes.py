"""The writes that carry their index entries and events (one round trip each on Redis), on both adapters:
``create`` with tokens, events and its rate count, ``replace``/``update`` that keep and publish the change's
events."""

from __future__ import annotations

import pytest

from databrug.sessions.errors import RateLimited, SessionExists
from databrug.sessions.events import SessionEvent
from databrug.sessions.model import SessionRecord
from databrug.sessions.store import RateLimit
from databrug.sessions.tokens import PageToken, TokenKind

from .conftest import Stores
from .test_store_contract import event, make_record


async def test_create_indexes_its_tokens_keeps_and_publishes_its_events(stores: Stores) -> None:
    record = make_record()
    page = PageToken.generate()
    async with stores.b.subscribe(record.session_id) as live:
        await stores.a.create(
            record,
            ttl_seconds=60,
            tokens=[(TokenKind.PAGE, page.hash)],
            events=[event(record.session_id, 1)],
            history=10,
        )
        received = await live.next(3)
    assert received is not None
    assert received.seq == 1
    assert await stores.b.find_by_token(TokenKind.PAGE, page.hash) == record.session_id
    assert [e.seq for e in await stores.b.events_after(record.session_id, 0)] == [1]
    await stores.a.delete(record.session_id)
    assert await stores.b.find_by_token(TokenKind.PAGE, page.hash) is None  # the entry belongs to the session


async def test_a_refused_create_writes_nothing(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    page = PageToken.generate()
    with pytest.raises(SessionExists):
        await stores.b.create(
            record,
            ttl_seconds=60,
            tokens=[(TokenKind.PAGE, page.hash)],
            events=[event(record.session_id, 1)],
            history=10,
        )
    assert await stores.a.find_by_token(TokenKind.PAGE, page.hash) is None
    assert await stores.a.events_after(record.session_id, 0) == []


async def test_create_counts_its_rate_hit_and_over_the_limit_writes_nothing(stores: Stores) -> None:
    rate = RateLimit("create:provider-a", limit=2, window_seconds=60)
    made = [make_record(), make_record()]
    for record in made:
        await stores.a.create(record, ttl_seconds=60, rate=rate)
    refused, page = make_record(), PageToken.generate()
    with pytest.raises(RateLimited) as raised:
        await stores.b.create(
            refused,
            ttl_seconds=60,
            tokens=[(TokenKind.PAGE, page.hash)],
            events=[event(refused.session_id, 1)],
            history=10,
            rate=rate,
        )
    assert raised.value.retry_after_seconds == 60
    assert await stores.a.get(refused.session_id) is None
    assert await stores.a.find_by_token(TokenKind.PAGE, page.hash) is None
    assert await stores.a.events_after(refused.session_id, 0) == []
    assert [await stores.a.get(r.session_id) is not None for r in made] == [True, True]
    # the same counter as incr_rate's, shared by both processes; the refused hit was counted too
    assert await stores.b.incr_rate("create:provider-a", 60) == 4
    await stores.a.create(make_record(), ttl_seconds=60, rate=RateLimit("create:provider-b", 2, 60))


async def test_replace_keeps_and_publishes_events_only_when_it_stores(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    async with stores.b.subscribe(record.session_id) as live:
        lost = await stores.a.replace(
            record, expected_version=7, events=[event(record.session_id, 9)], history=5
        )
        assert lost is None
        stored = await stores.a.replace(
            record,
            expected_version=0,
            events=[event(record.session_id, 2), event(record.session_id, 3)],
            history=5,
        )
        assert stored is not None
        assert stored.version == 1
        first, second = await live.next(3), await live.next(3)
    assert first is not None
    assert second is not None
    assert (first.seq, second.seq) == (2, 3)
    assert [e.seq for e in await stores.b.events_after(record.session_id, 0)] == [2, 3]


async def test_the_history_keeps_the_last_events_of_the_writes(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60, events=[event(record.session_id, 1)], history=2)
    await stores.a.replace(record, expected_version=0, events=[event(record.session_id, 2)], history=2)
    await stores.a.replace(
        record, expected_version=1, ttl_seconds=30, events=[event(record.session_id, 3)], history=2
    )
    assert [e.seq for e in await stores.b.events_after(record.session_id, 0)] == [2, 3]


async def test_update_stores_the_events_of_the_attempt_that_won(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    raced = False

    def change(rec: SessionRecord) -> SessionRecord:
        rec.event_seq += 1
        rec.reference = f"ref-{rec.event_seq}"
        return rec

    async def competing_write() -> None:
        current = await stores.b.get(record.session_id)
        assert current is not None
        await stores.b.replace(change(current), expected_version=current.version)

    def events_for(rec: SessionRecord) -> list[SessionEvent]:
        return [event(rec.session_id, rec.event_seq)]

    original_replace = stores.a.replace

    async def replace_after_a_race(*args: object, **kwargs: object) -> SessionRecord | None:
        nonlocal raced
        if not raced:
            raced = True
            await competing_write()  # the first attempt loses its compare-and-set
        return await original_replace(*args, **kwargs)  # type: ignore[arg-type]

    stores.a.replace = replace_after_a_race  # type: ignore[method-assign]
    stored = await stores.a.update(record.session_id, change, events_for=events_for, history=10)
    assert raced
    assert stored.version == 2
    kept = await stores.b.events_after(record.session_id, 0)
    assert [e.seq for e in kept] == [stored.event_seq]  # the lost attempt's event was never kept


async def test_events_without_a_history_are_refused(stores: Stores) -> None:
    record = make_record()
    with pytest.raises(ValueError, match="history"):
        await stores.a.create(record, ttl_seconds=60, events=[event(record.session_id, 1)])
    assert await stores.a.get(record.session_id) is None
