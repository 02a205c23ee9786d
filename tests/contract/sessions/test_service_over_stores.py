"""The session service over each store adapter, with the computer page and the phone served by two
different "processes" (two store handles; for Redis two clients on one real server)."""

from __future__ import annotations

import asyncio

import pytest
from tests.support.subjects import SUBJECT

from databrug.sessions.clock import ManualClock
from databrug.sessions.errors import RateLimited, SourcesPending
from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.model import SourceStatus
from databrug.sessions.sealing import new_session_key
from databrug.sessions.service import SessionService
from databrug.sessions.state import SessionState
from databrug.sessions.watch import SessionWatch

from .conftest import Stores


async def next_event(watch: SessionWatch) -> SessionEvent:
    event = await watch.next(3)
    assert event is not None, "no event arrived within 3 s"
    return event


async def test_the_page_follows_a_phone_served_by_another_process(stores: Stores) -> None:
    clock = ManualClock()
    page_side = SessionService(stores.a, clock)
    phone_side = SessionService(stores.b, clock)
    record, page = await page_side.create_session("gemeentepolis-demo", "APP-1", ["uwv", "mijnoverheid"])
    await page_side.open_page(page)
    qr = (await page_side.pairing.issue(page)).token

    async with page_side.watch(record.session_id, after_seq=2) as watch:
        grant = await phone_side.pairing.pair(qr)
        assert (await next_event(watch)).type is EventType.PAIRING_SCANNED

        await page_side.pairing.confirm(page, grant.code)
        assert (await next_event(watch)).type is EventType.PAIRED

        app = await phone_side.app_session(grant.app_token)
        await phone_side.mark_authenticated(app, "applicant", "substantieel", SUBJECT["applicant"])
        await phone_side.source_started(app, "applicant", "uwv")
        await phone_side.source_completed(app, "applicant", "uwv", 5)
        seen = [await next_event(watch) for _ in range(3)]
        assert [e.type for e in seen] == [
            EventType.AUTHENTICATED,
            EventType.SOURCE_STARTED,
            EventType.SOURCE_COMPLETED,
        ]
        assert seen[-1].state is SessionState.COLLECTING
        assert seen[-1].counts["done"] == 1
        assert seen[-1].counts["records"] == 5
        assert [e.seq for e in seen] == [5, 6, 7]


async def test_a_reconnecting_page_resumes_after_its_last_event_id(stores: Stores) -> None:
    clock = ManualClock()
    service = SessionService(stores.a, clock)
    other = SessionService(stores.b, clock)
    _, page = await service.create_session("p", "r", ["uwv"])
    app = await other.app_session(await other.pairing.start_on_phone(page))
    await other.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])  # seq 3

    async with service.watch(app.session_id, after_seq=2) as watch:
        resumed = await next_event(watch)
        assert (resumed.seq, resumed.type) == (3, EventType.AUTHENTICATED)
        await other.source_started(app, "applicant", "uwv")
        assert (await next_event(watch)).seq == 4
        assert await watch.next(0.1) is None


async def test_concurrent_progress_from_two_processes_is_all_counted(stores: Stores) -> None:
    clock = ManualClock()
    one, two = SessionService(stores.a, clock), SessionService(stores.b, clock)
    _, page = await one.create_session(
        "p", "r", ["uwv", "mijnoverheid", "belastingdienst", "mijnpensioenoverzicht"]
    )
    app = await one.app_session(await one.pairing.start_on_phone(page))
    await one.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    sources = app.record.sources

    await asyncio.gather(
        *((one if i % 2 else two).source_started(app, "applicant", s) for i, s in enumerate(sources))
    )
    await asyncio.gather(
        *((two if i % 2 else one).source_completed(app, "applicant", s, i + 1) for i, s in enumerate(sources))
    )

    record = await one.provider_session(app.session_id, "p")
    assert record.counts()["done"] == 4
    assert record.counts()["records"] == 1 + 2 + 3 + 4
    seqs = [e.seq for e in await stores.a.events_after(app.session_id, 0)]
    assert sorted(seqs) == list(range(1, record.event_seq + 1))  # no seq was handed out twice


async def test_sealed_data_survives_the_store_and_expiry_drops_it(stores: Stores) -> None:
    clock = ManualClock()
    service = SessionService(stores.a, clock)
    _, page = await service.create_session("p", "r", ["uwv"])
    app = await service.app_session(await service.pairing.start_on_phone(page))
    key = new_session_key()
    await service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await service.save_collected(app, key, "applicant", "uwv", b"PLANTED-MARKER records")
    assert b"PLANTED-MARKER" not in await stores.dump()
    assert await SessionService(stores.b, clock).load_collected(app, key, "applicant", "uwv") == (
        b"PLANTED-MARKER records"
    )

    clock.advance(service.settings.idle_timeout_seconds + 1)
    assert await SessionService(stores.b, clock).expire_due() == [app.session_id]
    assert await stores.a.blob_names(app.session_id) == []


async def test_a_store_dump_holds_no_token_in_clear(stores: Stores) -> None:
    clock = ManualClock()
    service = SessionService(stores.a, clock)
    _, page = await service.create_session("p", "r", ["uwv"])
    qr = (await service.pairing.issue(page)).token
    grant = await service.pairing.pair(qr)
    fresh_qr = (await service.pairing.issue(page)).token  # a refresh, then a second, confirmed pairing
    second = await service.pairing.pair(fresh_qr)
    await service.pairing.confirm(page, second.code)

    dumped = await stores.dump()

    assert b"ses_" in dumped
    for token in (page, qr, fresh_qr, grant.app_token, second.app_token):
        assert token.reveal().encode() not in dumped
    for live in (page, second.app_token):
        assert live.hash.encode() in dumped
    for spent in (qr, fresh_qr, grant.app_token):  # replaced or used: not even their hashes stay
        assert spent.hash.encode() not in dumped


async def test_a_fetch_cut_off_by_a_crash_is_released_by_the_other_process(stores: Stores) -> None:
    # Process A starts fetching and dies (it never records the end); B's expiry sweep releases the source
    # once the fetch's lease ends, and the citizen fetches it again through B.
    clock = ManualClock()
    crashed, survivor = SessionService(stores.a, clock), SessionService(stores.b, clock)
    lease = survivor.settings.fetch_lease_seconds
    _, page = await crashed.create_session("p", "r", ["uwv", "mijnoverheid"])
    app = await crashed.app_session(await crashed.pairing.start_on_phone(page))
    await crashed.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    started = await crashed.source_started(app, "applicant", "uwv")

    clock.advance(lease - 1)  # within the lease: a live fetch is left alone
    assert await survivor.expire_due() == []
    record = await survivor.store.get(app.session_id)
    assert record is not None
    assert record.subjects["applicant"].sources["uwv"].status is SourceStatus.FETCHING

    clock.advance(1)
    async with survivor.watch(app.session_id, after_seq=record.event_seq) as watch:
        assert await survivor.expire_due() == []  # released, not expired
        event = await next_event(watch)
    assert (event.type, event.source, event.code) == (EventType.SOURCE_FAILED, "uwv", "source_interrupted")
    record = await survivor.store.get(app.session_id)
    assert record is not None
    assert record.state is SessionState.COLLECTING
    progress = record.subjects["applicant"].sources["uwv"]
    assert (progress.status, progress.error_code, progress.records) == (
        SourceStatus.FAILED,
        "source_interrupted",
        0,
    )
    assert progress.fetching_until is None
    assert record.counts()["done"] == 0  # nothing half-done recorded as done
    assert record.expires_at == started.expires_at  # the broker's own step moves no idle deadline

    again = app  # the app's capability holds in any process
    await survivor.source_started(again, "applicant", "uwv")
    done = await survivor.source_completed(again, "applicant", "uwv", 3)
    assert done.subjects["applicant"].sources["uwv"].status is SourceStatus.DONE
    clock.advance(lease + 1)
    assert await survivor.expire_due() == []  # nothing left to release: the index holds the deadline again
    after = await survivor.store.get(app.session_id)
    assert after is not None
    assert after.version == done.version


async def test_going_on_past_a_dead_fetch_releases_it_instead_of_busy(stores: Stores) -> None:
    clock = ManualClock()
    service = SessionService(stores.a, clock)
    _, page = await service.create_session("p", "r", ["uwv", "mijnoverheid"])
    app = await service.app_session(await service.pairing.start_on_phone(page))
    await service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await service.source_started(app, "applicant", "mijnoverheid")
    await service.source_completed(app, "applicant", "mijnoverheid", 2)
    await service.source_started(app, "applicant", "uwv")
    with pytest.raises(SourcesPending):  # a live fetch still holds the citizen up
        await service.to_review(app)
    clock.advance(service.settings.fetch_lease_seconds)
    record = await service.to_review(app)
    assert record.state is SessionState.REVIEW
    assert record.subjects["applicant"].sources["uwv"].error_code == "source_interrupted"


async def test_rate_limit_keys_hold_no_client_address(stores: Stores) -> None:
    # Two processes with the broker secret share the count; the store (and Redis's disk) sees no address.
    one = SessionService(stores.a, pairing_secret=b"s" * 32)
    two = SessionService(stores.b, pairing_secret=b"s" * 32)
    address = "203.0.113.77"
    for service in (one, two, one):
        await service.check_rate(f"pair:{address}", 3, 60)
    with pytest.raises(RateLimited):
        await two.check_rate(f"pair:{address}", 3, 60)
    await one.check_rate("pair:203.0.113.78", 3, 60)  # another address has its own count
    dump = await stores.dump()
    assert address.encode() not in dump
    assert b"203.0.113" not in dump
