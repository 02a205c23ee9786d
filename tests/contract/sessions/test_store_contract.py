"""One contract for every SessionStore adapter: memory and Redis (a real redis-server).

``stores.a`` and ``stores.b`` are two handles: for Redis two clients, standing in for two broker processes.
"""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta

import pytest

from databrug.sessions.errors import SessionExists, SessionNotFound
from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.model import SessionRecord
from databrug.sessions.sealing import SealedBytes, new_session_key, seal
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import AppToken, PageToken, PairingToken, TokenKind, new_session_id

from .conftest import Stores

T0 = datetime(2026, 3, 2, 10, 0, tzinfo=UTC)


def make_record(expires_in: float = 3600) -> SessionRecord:
    return SessionRecord(
        session_id=new_session_id(),
        provider_id="gemeentepolis-demo",
        reference="APP-0001",
        created_at=T0,
        updated_at=T0,
        last_activity_at=T0,
        expires_at=T0 + timedelta(seconds=expires_in),
        lifetime_ends_at=T0 + timedelta(seconds=expires_in),
        sources=["mijnoverheid", "uwv"],
        page_token_hash=PageToken.generate().hash,
    )


def event(session_id: str, seq: int, kind: EventType = EventType.SOURCE_COMPLETED) -> SessionEvent:
    return SessionEvent(
        session_id=session_id, seq=seq, type=kind, state=SessionState.COLLECTING, counts={"done": seq}, at=T0
    )


async def test_create_then_get_returns_an_equal_record(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    stored = await stores.b.get(record.session_id)
    assert stored == record.model_copy(update={"version": 0})
    assert await stores.b.get(new_session_id()) is None


async def test_create_refuses_an_existing_id(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    with pytest.raises(SessionExists):
        await stores.b.create(record, ttl_seconds=60)


async def test_replace_is_compare_and_set_on_the_version(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    first = (await stores.a.get(record.session_id)).model_copy(update={"reference": "first"})  # type: ignore[union-attr]
    second = (await stores.b.get(record.session_id)).model_copy(update={"reference": "second"})  # type: ignore[union-attr]

    won = await stores.a.replace(first, expected_version=0)
    lost = await stores.b.replace(second, expected_version=0)

    assert won is not None
    assert won.version == 1
    assert lost is None
    stored = await stores.b.get(record.session_id)
    assert stored is not None
    assert (stored.reference, stored.version) == ("first", 1)


async def test_replace_of_a_missing_session_raises(stores: Stores) -> None:
    with pytest.raises(SessionNotFound):
        await stores.a.replace(make_record(), expected_version=0)


async def test_concurrent_updates_from_two_processes_lose_nothing(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    calls = 0

    def bump(rec: SessionRecord) -> SessionRecord:
        nonlocal calls
        calls += 1
        rec.event_seq += 1
        return rec

    updates = 40
    await asyncio.gather(
        *((stores.a if n % 2 else stores.b).update(record.session_id, bump) for n in range(updates))
    )

    stored = await stores.a.get(record.session_id)
    assert stored is not None
    assert stored.event_seq == updates
    assert stored.version == updates
    assert calls >= updates
    if stores.kind == "redis":  # every writer read version 0 first: the conflicts were real and retried
        assert calls > updates


async def test_update_that_raises_changes_nothing(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)

    def refuse(rec: SessionRecord) -> SessionRecord:
        rec.reference = "changed"
        raise SessionExists("refused on purpose")

    with pytest.raises(SessionExists):
        await stores.a.update(record.session_id, refuse)
    stored = await stores.a.get(record.session_id)
    assert stored is not None
    assert (stored.reference, stored.version) == ("APP-0001", 0)


async def test_update_of_a_missing_session_raises(stores: Stores) -> None:
    with pytest.raises(SessionNotFound):
        await stores.a.update(new_session_id(), lambda rec: rec)


async def test_every_key_of_a_session_expires_with_its_ttl(stores: Stores) -> None:
    record = make_record()
    sid = record.session_id
    token = AppToken.generate()
    await stores.a.create(record, ttl_seconds=0.3)
    await stores.a.index_token(TokenKind.APP, token.hash, sid)
    await stores.a.put_blob(sid, "data/applicant/uwv", SealedBytes(b"\x01sealed"))
    await stores.a.append_event(event(sid, 1), history=10)
    assert await stores.b.find_by_token(TokenKind.APP, token.hash) == sid

    await asyncio.sleep(0.45)

    assert await stores.b.get(sid) is None
    assert await stores.b.find_by_token(TokenKind.APP, token.hash) is None
    assert await stores.b.get_blob(sid, "data/applicant/uwv") is None
    assert await stores.b.events_after(sid, 0) == []
    assert b"sealed" not in await stores.dump()


async def test_replace_with_a_ttl_extends_every_key(stores: Stores) -> None:
    record = make_record()
    sid = record.session_id
    token = PageToken.generate()
    await stores.a.create(record, ttl_seconds=0.3)
    await stores.a.index_token(TokenKind.PAGE, token.hash, sid)
    await stores.a.put_blob(sid, "package", SealedBytes(b"jwe"))
    await stores.a.append_event(event(sid, 1), history=10)

    await stores.a.update(sid, lambda rec: rec, ttl_for=lambda rec: 30)
    await asyncio.sleep(0.45)

    assert await stores.b.get(sid) is not None
    assert await stores.b.find_by_token(TokenKind.PAGE, token.hash) == sid
    assert await stores.b.get_blob(sid, "package") == b"jwe"
    assert [e.seq for e in await stores.b.events_after(sid, 0)] == [1]


async def test_delete_drops_everything_of_the_session_and_nothing_else(stores: Stores) -> None:
    gone, kept = make_record(), make_record()
    tokens = {kind: cls.generate() for kind, cls in ((TokenKind.PAGE, PageToken), (TokenKind.APP, AppToken))}
    for record in (gone, kept):
        await stores.a.create(record, ttl_seconds=60)
        await stores.a.put_blob(record.session_id, "data/applicant/uwv", SealedBytes(b"blob"))
        await stores.a.append_event(event(record.session_id, 1), history=10)
    for kind, token in tokens.items():
        await stores.a.index_token(kind, token.hash, gone.session_id)
    kept_token = PageToken.generate()
    await stores.a.index_token(TokenKind.PAGE, kept_token.hash, kept.session_id)

    await stores.b.delete(gone.session_id)

    assert await stores.a.get(gone.session_id) is None
    for kind, token in tokens.items():
        assert await stores.a.find_by_token(kind, token.hash) is None
    assert await stores.a.blob_names(gone.session_id) == []
    assert await stores.a.events_after(gone.session_id, 0) == []
    assert await stores.a.due(T0 + timedelta(days=1)) == [kept.session_id]
    assert gone.session_id.encode() not in await stores.dump()
    # the other session is untouched
    assert await stores.a.get(kept.session_id) is not None
    assert await stores.a.find_by_token(TokenKind.PAGE, kept_token.hash) == kept.session_id
    assert await stores.a.blob_names(kept.session_id) == ["data/applicant/uwv"]


async def test_token_index_finds_unindexes_and_keeps_kinds_apart(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    pairing = PairingToken.generate()
    await stores.a.index_token(TokenKind.PAIRING, pairing.hash, record.session_id)

    assert await stores.b.find_by_token(TokenKind.PAIRING, pairing.hash) == record.session_id
    assert await stores.b.find_by_token(TokenKind.APP, pairing.hash) is None

    await stores.b.unindex_token(TokenKind.PAIRING, pairing.hash)
    assert await stores.a.find_by_token(TokenKind.PAIRING, pairing.hash) is None
    await stores.b.unindex_token(TokenKind.PAIRING, pairing.hash)  # idempotent


async def test_indexing_a_token_for_a_missing_session_raises(stores: Stores) -> None:
    with pytest.raises(SessionNotFound):
        await stores.a.index_token(TokenKind.APP, AppToken.generate().hash, new_session_id())


async def test_blobs_are_put_listed_read_and_deleted(stores: Stores) -> None:
    record = make_record()
    sid = record.session_id
    await stores.a.create(record, ttl_seconds=60)
    sealed = seal(new_session_key(), sid, "data/partner/uwv", b"x" * 1000)
    await stores.a.put_blob(sid, "data/partner/uwv", sealed)
    await stores.a.put_blob(sid, "data/applicant/uwv", SealedBytes(b"\x00\xff binary"))

    assert await stores.b.blob_names(sid) == ["data/applicant/uwv", "data/partner/uwv"]
    assert await stores.b.get_blob(sid, "data/partner/uwv") == sealed
    assert await stores.b.get_blob(sid, "data/applicant/uwv") == b"\x00\xff binary"
    assert await stores.b.get_blob(sid, "absent") is None

    await stores.b.delete_blob(sid, "data/partner/uwv")
    assert await stores.a.blob_names(sid) == ["data/applicant/uwv"]


async def test_a_blob_for_a_missing_session_is_refused(stores: Stores) -> None:
    with pytest.raises(SessionNotFound):
        await stores.a.put_blob(new_session_id(), "package", SealedBytes(b"x"))


async def test_event_history_is_bounded_and_resumes_after_a_seq(stores: Stores) -> None:
    record = make_record()
    sid = record.session_id
    await stores.a.create(record, ttl_seconds=60)
    for seq in range(1, 11):
        await (stores.a if seq % 2 else stores.b).append_event(event(sid, seq), history=5)

    assert [e.seq for e in await stores.b.events_after(sid, 0)] == [6, 7, 8, 9, 10]
    assert [e.seq for e in await stores.a.events_after(sid, 8)] == [9, 10]
    assert await stores.a.events_after(sid, 10) == []
    assert (await stores.a.events_after(sid, 9))[0] == event(sid, 10)


async def test_live_events_fan_out_across_processes_to_the_right_watchers(stores: Stores) -> None:
    watched, other = make_record(), make_record()
    for record in (watched, other):
        await stores.a.create(record, ttl_seconds=60)

    async with (
        stores.b.subscribe(watched.session_id) as first,
        stores.b.subscribe(watched.session_id) as second,
        stores.a.subscribe(other.session_id) as elsewhere,
    ):
        await stores.a.publish(event(watched.session_id, 1))
        await stores.a.publish(event(other.session_id, 1, EventType.CANCELLED))
        await stores.b.publish(event(watched.session_id, 2))

        got = [await asyncio.wait_for(first.__anext__(), 2) for _ in range(2)]
        assert [e.seq for e in got] == [1, 2]
        assert got[0] == event(watched.session_id, 1)
        assert [(await second.next(2)).seq for _ in range(2)] == [1, 2]  # type: ignore[union-attr]
        only = await elsewhere.next(2)
        assert only is not None
        assert only.session_id == other.session_id
        assert await elsewhere.next(0.2) is None  # nothing of the watched session leaked here


async def test_a_closed_subscription_ends_and_is_forgotten(stores: Stores) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    async with stores.a.subscribe(record.session_id) as live:
        assert stores.a.watcher_count() == 1  # type: ignore[attr-defined]
    assert stores.a.watcher_count() == 0  # type: ignore[attr-defined]
    with pytest.raises(StopAsyncIteration):
        await live.next(0.1)


async def test_rate_counters_count_per_key_within_a_window(stores: Stores) -> None:
    assert [await stores.a.incr_rate("pair:1.2.3.4", 1) for _ in range(3)] == [1, 2, 3]
    assert await stores.b.incr_rate("pair:1.2.3.4", 1) == 4  # shared across processes
    assert await stores.b.incr_rate("pair:5.6.7.8", 1) == 1
    await asyncio.sleep(1.1)
    assert await stores.a.incr_rate("pair:1.2.3.4", 1) == 1


async def test_due_lists_unfinished_sessions_past_their_deadline_oldest_first(stores: Stores) -> None:
    late, later, future, finished = (make_record(expires_in=s) for s in (60, 120, 7200, 30))
    finished.state = SessionState.CANCELLED
    for record in (later, late, future, finished):
        await stores.a.create(record, ttl_seconds=60)

    assert await stores.b.due(T0 + timedelta(seconds=600)) == [late.session_id, later.session_id]
    assert await stores.b.due(T0 + timedelta(seconds=600), limit=1) == [late.session_id]

    def finish(rec: SessionRecord) -> SessionRecord:
        rec.state = SessionState.EXPIRED
        return rec

    await stores.a.update(late.session_id, finish)
    assert await stores.b.due(T0 + timedelta(seconds=600)) == [later.session_id]


async def test_a_store_dump_does_not_reveal_sealed_plaintext(stores: Stores) -> None:
    record = make_record()
    sid = record.session_id
    await stores.a.create(record, ttl_seconds=60)
    marker = b"PLANTED-MARKER-999999990-Jansen"
    key = new_session_key()
    await stores.a.put_blob(
        sid, "data/applicant/mijnoverheid", seal(key, sid, "data/applicant/mijnoverheid", marker)
    )

    dumped = await stores.dump()

    assert sid.encode() in dumped  # the dump really holds the session
    assert marker not in dumped
    assert marker.hex().encode() not in dumped
    assert key not in dumped
    assert key.hex().encode() not in dumped


async def test_ping(stores: Stores) -> None:
    assert await stores.a.ping() is True


async def test_redis_watchers_end_when_the_subscription_drops_and_new_ones_work(redis_stores: Stores) -> None:
    record = make_record()
    await redis_stores.a.create(record, ttl_seconds=60)
    async with redis_stores.b.subscribe(record.session_id) as live:
        client = redis_stores.a._redis  # type: ignore[attr-defined]
        await client.execute_command("CLIENT", "KILL", "TYPE", "pubsub")
        ended = False
        for _ in range(3):
            try:
                await live.next(2)
            except StopAsyncIteration:
                ended = True  # the client then resumes from the history with Last-Event-ID
                break
        assert ended

    async with redis_stores.b.subscribe(record.session_id) as again:
        await redis_stores.a.publish(event(record.session_id, 7))
        received = await again.next(3)
        assert received is not None
        assert received.seq == 7


async def test_a_burst_of_concurrent_requests_waits_for_connections_instead_of_failing(
    stores: Stores,
) -> None:
    record = make_record()
    await stores.a.create(record, ttl_seconds=60)
    found = await asyncio.gather(*(stores.a.get(record.session_id) for _ in range(300)))
    assert all(r is not None and r.session_id == record.session_id for r in found)
