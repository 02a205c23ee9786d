"""The rest of a session's life: login, sources, partner, review, consent, delivery, endings, expiry."""

from __future__ import annotations

import asyncio
import json
from dataclasses import dataclass

import pytest
from tests.support.subjects import SUBJECT

from databrug.records import SourceName
from databrug.sessions.clock import ManualClock
from databrug.sessions.errors import (
    InvalidRequest,
    InvalidTransition,
    PartnerNotAllowed,
    PartnerRequired,
    RateLimited,
    SealedDataInvalid,
    SessionCancelled,
    SessionExpired,
    SessionNotFound,
    SourceNotRequested,
    SourcesPending,
)
from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import PartnerMode, SourceStatus
from databrug.sessions.sealing import new_session_key
from databrug.sessions.service import AppSession, SessionService, SessionSettings
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import PageToken

SOURCES: list[SourceName] = ["mijnoverheid", "uwv", "belastingdienst"]
PROVIDER = "gemeentepolis-demo"
SETTINGS = SessionSettings(idle_timeout_seconds=1800, lifetime_seconds=3 * 86400, pickup_window_seconds=86400)


@dataclass
class Env:
    clock: ManualClock
    store: MemorySessionStore
    service: SessionService

    async def events(self, session_id: str) -> list[SessionEvent]:
        return await self.store.events_after(session_id, 0)


@pytest.fixture
def env() -> Env:
    clock, store = ManualClock(), MemorySessionStore()
    return Env(clock, store, SessionService(store, clock, SETTINGS))


async def paired(env: Env, partner_mode: PartnerMode = "off") -> tuple[AppSession, PageToken]:
    _, page = await env.service.create_session(PROVIDER, "APP-7", SOURCES, partner_mode=partner_mode)
    app = await env.service.app_session(await env.service.pairing.start_on_phone(page))
    return app, page


async def collect(env: Env, app: AppSession, role: str, counts: dict[SourceName, int]) -> None:
    for source, records in counts.items():
        await env.service.source_started(app, role, source)  # type: ignore[arg-type]
        await env.service.source_completed(app, role, source, records)  # type: ignore[arg-type]


async def test_the_whole_journey_with_a_partner(env: Env) -> None:
    app, _ = await paired(env, partner_mode="required")
    sid = app.session_id
    key = new_session_key()

    await env.service.mark_authenticated(app, "applicant", "substantieel", SUBJECT["applicant"])
    await collect(env, app, "applicant", {"mijnoverheid": 3, "uwv": 2})
    await env.service.source_skipped(app, "applicant", "belastingdienst")
    await env.service.save_collected(app, key, "applicant", "uwv", b"applicant uwv records")
    with pytest.raises(PartnerRequired):
        await env.service.to_review(app)

    await env.service.require_partner(app)
    await env.service.mark_authenticated(app, "partner", "midden", SUBJECT["partner"])
    await collect(env, app, "partner", {"mijnoverheid": 1})
    await env.service.source_failed(app, "partner", "uwv", "source_unavailable")
    await env.service.save_collected(app, key, "partner", "mijnoverheid", b"partner brp")
    review = await env.service.to_review(app)
    assert review.state is SessionState.REVIEW
    assert review.counts() == {
        "waiting": 1,
        "fetching": 0,
        "done": 3,
        "failed": 1,
        "skipped": 1,
        "records": 6,
    }

    with pytest.raises(InvalidRequest):  # the partner logged in, so the partner must consent too
        await env.service.deliver(app, ["applicant"], b"eyJhbGciOi.jwe.ciphertext")
    nothing = await env.service.provider_session(sid, PROVIDER)
    assert nothing.state is SessionState.REVIEW
    assert all(subject.consented_at is None for subject in nothing.subjects.values())
    assert not any(name.startswith("package") for name in await env.store.blob_names(sid))
    assert await env.service.load_collected(app, key, "partner", "mijnoverheid") == b"partner brp"

    seq = nothing.event_seq
    delivered = await env.service.deliver(app, ["applicant", "partner"], b"eyJhbGciOi.jwe.ciphertext")
    assert delivered.state is SessionState.DELIVERED
    assert all(subject.consented_at == delivered.delivered_at for subject in delivered.subjects.values())
    steps = [(e.seq, e.type, e.state, e.subject) for e in await env.events(sid)][-3:]
    assert steps == [
        (seq + 1, EventType.CONSENT_RECORDED, SessionState.REVIEW, "applicant"),
        (seq + 2, EventType.CONSENTED, SessionState.CONSENTED, "partner"),
        (seq + 3, EventType.DELIVERED, SessionState.DELIVERED, None),
    ], "one update, the steps' events in order"
    assert [n.split("/")[0] for n in await env.store.blob_names(sid)] == ["package"], "collected data dropped"
    assert await env.service.load_package(sid, PROVIDER) == b"eyJhbGciOi.jwe.ciphertext"

    done = await env.service.acknowledge(sid, PROVIDER)
    assert done.state is SessionState.ACKNOWLEDGED
    assert await env.store.blob_names(sid) == []

    events = await env.events(sid)
    assert [e.seq for e in events] == list(range(1, len(events) + 1))
    types = [e.type for e in events]
    for expected in (
        EventType.PAIRED,
        EventType.AUTHENTICATED,
        EventType.SOURCE_STARTED,
        EventType.SOURCE_COMPLETED,
        EventType.SOURCE_SKIPPED,
        EventType.PARTNER_REQUIRED,
        EventType.SOURCE_FAILED,
        EventType.REVIEW,
        EventType.CONSENT_RECORDED,
        EventType.CONSENTED,
        EventType.DELIVERED,
        EventType.ACKNOWLEDGED,
    ):
        assert expected in types
    failed = next(e for e in events if e.type is EventType.SOURCE_FAILED)
    assert (failed.subject, failed.source, failed.code) == ("partner", "uwv", "source_unavailable")


async def test_events_carry_states_and_counts_only(env: Env) -> None:
    app, _ = await paired(env)
    await env.service.mark_authenticated(app, "applicant", "substantieel", SUBJECT["applicant"])
    await collect(env, app, "applicant", {"uwv": 4})
    allowed = {"session_id", "seq", "type", "state", "counts", "at", "subject", "source", "code"}
    for event in await env.events(app.session_id):
        data = json.loads(event.to_json())
        assert set(data) <= allowed
        assert "APP-7" not in event.to_json()  # not even the provider's reference
        assert all(isinstance(v, int) for v in data["counts"].values())


async def test_without_partner_review_follows_collecting(env: Env) -> None:
    app, _ = await paired(env, partner_mode="off")
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await collect(env, app, "applicant", {"uwv": 1})
    with pytest.raises(PartnerNotAllowed):
        await env.service.require_partner(app)
    with pytest.raises(PartnerNotAllowed):
        await env.service.mark_authenticated(app, "partner", "midden", SUBJECT["partner"])
    assert (await env.service.to_review(app)).state is SessionState.REVIEW
    assert (await env.service.deliver(app, ["applicant"], b"jwe")).state is SessionState.DELIVERED


async def test_optional_partner_may_be_skipped(env: Env) -> None:
    app, _ = await paired(env, partner_mode="optional")
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await collect(env, app, "applicant", {"uwv": 1})
    assert (await env.service.to_review(app)).state is SessionState.REVIEW


async def test_sources_follow_the_rules(env: Env) -> None:
    app, _ = await paired(env)
    with pytest.raises(InvalidTransition):  # not logged in yet
        await env.service.source_started(app, "applicant", "uwv")
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    with pytest.raises(SourceNotRequested):
        await env.service.source_started(app, "applicant", "mijnpensioenoverzicht")
    record = await env.service.source_started(app, "applicant", "uwv")
    assert record.state is SessionState.COLLECTING
    with pytest.raises(SourcesPending):
        await env.service.to_review(app)
    await env.service.source_failed(app, "applicant", "uwv", "source_maintenance")
    retried = await env.service.source_started(app, "applicant", "uwv")  # a retry stays in collecting
    progress = retried.subjects["applicant"].sources["uwv"]
    assert (retried.state, progress.status, progress.attempts, progress.error_code) == (
        SessionState.COLLECTING,
        SourceStatus.FETCHING,
        2,
        None,
    )


async def test_consent_needs_review_and_a_logged_in_person(env: Env) -> None:
    app, _ = await paired(env, partner_mode="optional")
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    with pytest.raises(InvalidTransition):
        await env.service.deliver(app, ["applicant"], b"jwe")
    await collect(env, app, "applicant", {"uwv": 1})
    await env.service.to_review(app)
    for who in (["partner"], ["applicant", "partner"], ["applicant", "applicant"], []):
        with pytest.raises(InvalidRequest):  # only, and all, who logged in
            await env.service.deliver(app, who, b"jwe")  # type: ignore[arg-type]
    assert await env.store.blob_names(app.session_id) == [], "a refused delivery leaves no package behind"
    await env.service.deliver(app, ["applicant"], b"jwe")
    with pytest.raises(InvalidTransition):  # a second "send" (a double tap) changes nothing
        await env.service.deliver(app, ["applicant"], b"other jwe")
    assert await env.service.load_package(app.session_id, PROVIDER) == b"jwe"


async def test_sealed_data_needs_the_apps_key_and_is_dropped_on_cancel(env: Env) -> None:
    _, page = await env.service.create_session(PROVIDER, "APP-7", SOURCES)
    app_token = await env.service.pairing.start_on_phone(page)
    app = await env.service.app_session(app_token)
    key = new_session_key()
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await env.service.save_collected(app, key, "applicant", "uwv", b"secret records")
    with pytest.raises(SealedDataInvalid):
        await env.service.load_collected(app, new_session_key(), "applicant", "uwv")

    cancelled = await env.service.cancel_by_citizen(app)

    assert cancelled.state is SessionState.CANCELLED
    assert await env.store.blob_names(app.session_id) == []
    with pytest.raises(SessionCancelled):
        await env.service.app_session(app_token)
    with pytest.raises(InvalidTransition):
        await env.service.cancel(app.session_id)


async def test_an_idle_session_expires_and_its_data_is_dropped(env: Env) -> None:
    _, page = await env.service.create_session(PROVIDER, "APP-8", SOURCES)
    app_token = await env.service.pairing.start_on_phone(page)
    app = await env.service.app_session(app_token)
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await env.service.save_collected(app, new_session_key(), "applicant", "uwv", b"records")

    env.clock.advance(1700)
    await env.service.source_started(app, "applicant", "uwv")  # activity moves the idle deadline
    env.clock.advance(1700)
    assert await env.service.expire_due() == []

    env.clock.advance(101)
    assert await env.service.expire_due() == [app.session_id]

    with pytest.raises(SessionExpired):
        await env.service.app_session(app_token)
    assert await env.store.blob_names(app.session_id) == []
    assert (await env.service.provider_session(app.session_id, PROVIDER)).state is SessionState.EXPIRED
    assert (await env.events(app.session_id))[-1].type is EventType.EXPIRED
    assert await env.service.expire_due() == []


async def test_an_unfinished_invitation_expires_at_the_end_of_its_lifetime(env: Env) -> None:
    record, page = await env.service.create_session(PROVIDER, "APP-9", SOURCES, ttl_seconds=3600)
    await env.service.open_page(page)
    env.clock.advance(3599)
    assert await env.service.expire_due() == []
    assert (
        await env.service.open_page(page)
    ).state is SessionState.OPENED  # an open page is not idle-expired
    env.clock.advance(2)
    assert await env.service.expire_due() == [record.session_id]
    with pytest.raises(SessionExpired):
        await env.service.open_page(page)


async def test_a_passed_deadline_is_enforced_on_access_even_before_the_sweep(env: Env) -> None:
    app, page = await paired(env)
    env.clock.advance(1801)
    with pytest.raises(SessionExpired):
        await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    with pytest.raises(SessionExpired):
        await env.service.open_page(page)
    assert (await env.events(app.session_id))[-1].type is EventType.EXPIRED


async def test_an_unpicked_package_expires_after_the_pickup_window(env: Env) -> None:
    app, _ = await paired(env)
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    await collect(env, app, "applicant", {"uwv": 1})
    await env.service.to_review(app)
    await env.service.deliver(app, ["applicant"], b"jwe")
    env.clock.advance(86399)
    assert await env.service.expire_due() == []
    env.clock.advance(2)
    assert await env.service.expire_due() == [app.session_id]
    assert await env.store.blob_names(app.session_id) == []


async def test_a_provider_sees_only_its_own_sessions(env: Env) -> None:
    app, _ = await paired(env)
    with pytest.raises(SessionNotFound):
        await env.service.provider_session(app.session_id, "another-provider")
    with pytest.raises(SessionNotFound):
        await env.service.cancel_by_provider(app.session_id, "another-provider")
    assert (await env.service.cancel_by_provider(app.session_id, PROVIDER)).state is SessionState.CANCELLED


async def test_watch_replays_history_after_a_seq_then_follows_live(env: Env) -> None:
    app, _ = await paired(env)  # seq 1 created, 2 paired
    async with env.service.watch(app.session_id, after_seq=1) as events:
        first = await events.next(1)
        assert first is not None
        assert (first.seq, first.type) == (2, EventType.PAIRED)
        await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
        live = await asyncio.wait_for(events.__anext__(), 1)
        assert (live.seq, live.type) == (3, EventType.AUTHENTICATED)
        assert await events.next(0.05) is None


async def test_rate_limits_raise_after_the_limit(env: Env) -> None:
    for _ in range(3):
        await env.service.check_rate("confirm:203.0.113.7", limit=3, window_seconds=60)
    with pytest.raises(RateLimited) as raised:
        await env.service.check_rate("confirm:203.0.113.7", limit=3, window_seconds=60)
    assert raised.value.retry_after_seconds == 60


@pytest.mark.parametrize("code", ["Jansen, 999990019 not found", "", "x" * 65])
async def test_failure_codes_must_look_like_codes_so_no_value_reaches_an_event(env: Env, code: str) -> None:
    app, _ = await paired(env)
    await env.service.mark_authenticated(app, "applicant", "midden", SUBJECT["applicant"])
    with pytest.raises(InvalidRequest):
        await env.service.source_failed(app, "applicant", "uwv", code)
    with pytest.raises(InvalidRequest):
        await env.service.fail(app.session_id, code)
    with pytest.raises(InvalidRequest):
        await env.service.source_completed(app, "applicant", "uwv", -1)


async def test_touch_keeps_a_reading_citizen_from_idling_out(env: Env) -> None:
    app, _ = await paired(env)
    before = (await env.events(app.session_id))[-1].seq
    env.clock.advance(1700)
    await env.service.touch(app)
    env.clock.advance(1700)
    assert await env.service.expire_due() == []
    assert (await env.events(app.session_id))[-1].seq == before  # touching is not an event
