"""Pairing the phone: single-use QR tokens, the confirmation code, relayed QR codes, phone-only start."""

from __future__ import annotations

from dataclasses import dataclass

import pytest

from databrug.sessions.clock import ManualClock
from databrug.sessions.errors import (
    InvalidRequest,
    InvalidTransition,
    PairingCodeWrong,
    PairingLocked,
    PairingNotScanned,
    PairingPending,
    PairingTokenExpired,
    PairingTokenInvalid,
    PairingTokenUsed,
    TokenInvalid,
)
from databrug.sessions.events import EventType
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import SessionRecord
from databrug.sessions.service import SessionService
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import PageToken, TokenKind


@dataclass
class Env:
    clock: ManualClock
    store: MemorySessionStore
    service: SessionService

    async def events(self, record: SessionRecord) -> list[EventType]:
        return [e.type for e in await self.store.events_after(record.session_id, 0)]


@pytest.fixture
def env() -> Env:
    clock, store = ManualClock(), MemorySessionStore()
    return Env(clock, store, SessionService(store, clock))


async def opened(env: Env) -> tuple[SessionRecord, PageToken]:
    record, page = await env.service.create_session("gemeentepolis-demo", "APP-1", ["mijnoverheid", "uwv"])
    await env.service.open_page(page)
    return record, page


def wrong(code: str) -> str:
    return f"{(int(code) + 1) % 1_000_000:06d}"


async def test_create_and_open_a_session(env: Env) -> None:
    record, page = await env.service.create_session("gemeentepolis-demo", "APP-1", ["uwv"])
    assert record.state is SessionState.CREATED
    assert await env.store.find_by_token(TokenKind.PAGE, page.hash) == record.session_id
    assert page.reveal() not in (await env.store.get(record.session_id)).model_dump_json()  # type: ignore[union-attr]

    first = await env.service.open_page(page)
    again = await env.service.open_page(page)

    assert first.state is again.state is SessionState.OPENED
    assert await env.events(record) == [EventType.CREATED, EventType.OPENED]  # opening twice is one event


@pytest.mark.parametrize("sources", [[], ["uwv", "uwv"], ["bank"]])
async def test_a_session_needs_distinct_known_sources(env: Env, sources: list[str]) -> None:
    with pytest.raises(InvalidRequest):
        await env.service.create_session("p", "ref", sources)  # type: ignore[arg-type]


async def test_the_scanned_phone_gets_a_code_and_can_act_after_the_computer_confirms_it(env: Env) -> None:
    record, page = await opened(env)
    issued = await env.service.pairing.issue(page)
    qr, expires_at = issued.token, issued.expires_at
    assert (expires_at - env.clock.now()).total_seconds() == 120

    grant = await env.service.pairing.pair(qr)
    assert len(grant.code) == 6
    assert grant.code.isdigit()
    state, seen = await env.service.pairing.phone_status(grant.app_token)
    assert (state, seen.session_id) == ("pending", record.session_id)
    with pytest.raises(PairingPending):
        await env.service.app_session(grant.app_token)

    paired = await env.service.pairing.confirm(page, grant.code)

    assert paired.state is SessionState.PAIRED
    assert paired.paired_via == "qr"
    state, seen = await env.service.pairing.phone_status(grant.app_token)
    assert (state, seen.session_id) == ("confirmed", record.session_id)
    app = await env.service.app_session(grant.app_token)
    assert app.session_id == record.session_id
    assert await env.events(record) == [
        EventType.CREATED,
        EventType.OPENED,
        EventType.PAIRING_SCANNED,
        EventType.PAIRED,
    ]
    with pytest.raises(PairingTokenInvalid):  # the QR token is spent and forgotten
        await env.service.pairing.pair(qr)


async def test_a_relayed_qr_scanned_by_a_second_device_is_refused(env: Env) -> None:
    _, page = await opened(env)
    qr = (await env.service.pairing.issue(page)).token
    first = await env.service.pairing.pair(qr)

    with pytest.raises(PairingTokenUsed) as raised:
        await env.service.pairing.pair(qr)
    assert raised.value.code == "pairing_token_used"

    # the first device still needs the code confirmed on the computer
    with pytest.raises(PairingPending):
        await env.service.app_session(first.app_token)


async def test_a_device_that_scanned_but_was_never_confirmed_cannot_act(env: Env) -> None:
    _, page = await opened(env)
    qr = (await env.service.pairing.issue(page)).token
    intruder = await env.service.pairing.pair(
        qr
    )  # e.g. an attacker scanned a relayed QR; the citizen never sees the code

    with pytest.raises(PairingPending):
        await env.service.app_session(intruder.app_token)

    await env.service.pairing.issue(page)  # the page refreshes its QR: the pending pairing is gone
    with pytest.raises(TokenInvalid):
        await env.service.app_session(intruder.app_token)
    with pytest.raises(TokenInvalid):
        await env.service.pairing.phone_status(intruder.app_token)


async def test_three_wrong_codes_lock_the_pairing(env: Env) -> None:
    record, page = await opened(env)
    qr = (await env.service.pairing.issue(page)).token
    grant = await env.service.pairing.pair(qr)

    left = []
    for _ in range(2):
        with pytest.raises(PairingCodeWrong) as raised:
            await env.service.pairing.confirm(page, wrong(grant.code))
        left.append(raised.value.attempts_left)
    with pytest.raises(PairingLocked):
        await env.service.pairing.confirm(page, wrong(grant.code))

    assert left == [2, 1]
    with pytest.raises(PairingNotScanned):  # the right code is too late now
        await env.service.pairing.confirm(page, grant.code)
    with pytest.raises(TokenInvalid):
        await env.service.app_session(grant.app_token)
    with pytest.raises(PairingTokenInvalid):
        await env.service.pairing.pair(qr)
    assert (await env.service.page_session(page)).state is SessionState.OPENED
    assert EventType.PAIRING_RESET in await env.events(record)

    fresh = await env.service.pairing.pair(
        (await env.service.pairing.issue(page)).token
    )  # a new QR works again
    assert (await env.service.pairing.confirm(page, fresh.code)).state is SessionState.PAIRED


async def test_unreadable_codes_count_as_wrong(env: Env) -> None:
    _, page = await opened(env)
    await env.service.pairing.pair((await env.service.pairing.issue(page)).token)
    with pytest.raises(PairingCodeWrong):
        await env.service.pairing.confirm(page, "abc")


async def test_a_qr_token_expires_after_two_minutes(env: Env) -> None:
    _, page = await opened(env)
    qr = (await env.service.pairing.issue(page)).token
    env.clock.advance(121)
    with pytest.raises(PairingTokenExpired):
        await env.service.pairing.pair(qr)


async def test_an_unconfirmed_code_expires_and_drops_the_pairing(env: Env) -> None:
    _, page = await opened(env)
    grant = await env.service.pairing.pair((await env.service.pairing.issue(page)).token)
    env.clock.advance(121)
    with pytest.raises(PairingTokenExpired):
        await env.service.pairing.confirm(page, grant.code)
    with pytest.raises(TokenInvalid):
        await env.service.app_session(grant.app_token)


async def test_a_refreshed_qr_replaces_the_previous_one(env: Env) -> None:
    _, page = await opened(env)
    old = (await env.service.pairing.issue(page)).token
    env.clock.advance(100)
    new = (await env.service.pairing.issue(page)).token
    with pytest.raises(PairingTokenInvalid):
        await env.service.pairing.pair(old)
    env.clock.advance(100)  # 200 s after the first, 100 s after the refresh: still valid
    grant = await env.service.pairing.pair(new)
    assert (await env.service.pairing.confirm(page, grant.code)).state is SessionState.PAIRED


async def test_confirming_before_any_scan_is_refused(env: Env) -> None:
    _, page = await opened(env)
    await env.service.pairing.issue(page)
    with pytest.raises(PairingNotScanned):
        await env.service.pairing.confirm(page, "000000")


async def test_phone_only_start_skips_qr_and_code(env: Env) -> None:
    record, page = await env.service.create_session("gemeentepolis-demo", "APP-2", ["uwv"])
    stale_qr = (await env.service.pairing.issue(page)).token  # opens the page, too

    app_token = await env.service.pairing.start_on_phone(page)

    app = await env.service.app_session(app_token)
    assert app.record.state is SessionState.PAIRED
    assert app.record.paired_via == "phone"
    with pytest.raises(PairingTokenInvalid):
        await env.service.pairing.pair(stale_qr)
    with pytest.raises(InvalidTransition):
        await env.service.pairing.start_on_phone(page)  # one phone per session
    with pytest.raises(InvalidTransition):
        await env.service.pairing.issue(page)
    assert (await env.events(record))[-1] is EventType.PAIRED


async def test_page_and_app_tokens_are_checked(env: Env) -> None:
    await opened(env)
    with pytest.raises(TokenInvalid):
        await env.service.open_page(PageToken.generate())
    with pytest.raises(TokenInvalid):
        await env.service.pairing.confirm(PageToken.generate(), "123456")
