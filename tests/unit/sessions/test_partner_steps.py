"""The partner as the seed says (issue 15): a partner expected at creation, going on without a partner who
cannot log in (the reason kept), skipping an optional one, and going back from the review to the sources."""

from __future__ import annotations

import pytest
from tests.support.subjects import SUBJECT

from databrug.records import SourceName
from databrug.sessions.clock import ManualClock
from databrug.sessions.errors import InvalidRequest, InvalidTransition, PartnerRequired
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import PartnerMode
from databrug.sessions.service import AppSession, SessionService
from databrug.sessions.state import SessionState

S = SessionState
SOURCES: list[SourceName] = ["mijnoverheid", "uwv"]


@pytest.fixture
def service() -> SessionService:
    return SessionService(MemorySessionStore(), ManualClock())


async def applicant_done(
    service: SessionService, partner_mode: PartnerMode = "optional", partner_expected: bool = False
) -> AppSession:
    _, page = await service.create_session(
        "p", "APP-1", SOURCES, partner_mode=partner_mode, partner_expected=partner_expected
    )
    app = await service.app_session(await service.pairing.start_on_phone(page))
    await service.mark_authenticated(app, "applicant", "substantieel", SUBJECT["applicant"])
    for source in SOURCES:
        await service.source_started(app, "applicant", source)
        await service.source_completed(app, "applicant", source, 1)
    return app


async def state_of(service: SessionService, app: AppSession) -> SessionState:
    record = await service.store.get(app.session_id)
    assert record is not None
    return record.state


async def test_a_partner_expected_at_creation_is_kept_and_required_before_review(
    service: SessionService,
) -> None:
    app = await applicant_done(service, partner_expected=True)
    assert app.record.partner_expected
    with pytest.raises(PartnerRequired):
        await service.to_review(app)
    assert (await service.require_partner(app)).state is S.PARTNER_PENDING


async def test_an_optional_partner_not_expected_may_go_to_review(service: SessionService) -> None:
    app = await applicant_done(service)
    assert not app.record.partner_expected
    assert (await service.to_review(app)).state is S.REVIEW


async def test_a_partner_cannot_be_expected_by_a_provider_that_takes_none(service: SessionService) -> None:
    with pytest.raises(InvalidRequest):
        await service.create_session("p", "APP-1", SOURCES, partner_mode="off", partner_expected=True)


@pytest.mark.parametrize("mode", ["required", "optional"])
async def test_without_a_partner_who_cannot_log_in_the_reason_is_recorded(
    service: SessionService, mode: PartnerMode
) -> None:
    app = await applicant_done(service, partner_mode=mode, partner_expected=True)
    await service.require_partner(app)
    record = await service.partner_absent(app, "no_sms_check")
    assert record.state is S.REVIEW
    assert record.partner_absent == "no_sms_check"


async def test_only_a_partner_neither_required_nor_expected_may_be_skipped(service: SessionService) -> None:
    expected = await applicant_done(service, partner_expected=True)
    await service.require_partner(expected)
    with pytest.raises(PartnerRequired):
        await service.partner_absent(expected, "skipped")
    assert await state_of(service, expected) is S.PARTNER_PENDING

    named_in_data = await applicant_done(service)
    await service.require_partner(named_in_data)
    assert (await service.partner_absent(named_in_data, "skipped")).partner_absent == "skipped"


async def test_the_partner_step_is_left_for_the_review_only_with_a_reason(service: SessionService) -> None:
    app = await applicant_done(service)
    await service.require_partner(app)
    with pytest.raises(PartnerRequired):
        await service.to_review(app)
    assert await state_of(service, app) is S.PARTNER_PENDING


async def test_going_on_without_the_partner_only_from_the_partner_step(service: SessionService) -> None:
    app = await applicant_done(service, partner_expected=True)
    with pytest.raises(InvalidTransition):
        await service.partner_absent(app, "not_present")


async def test_back_from_review_to_the_applicants_sources_and_forward_again(service: SessionService) -> None:
    app = await applicant_done(service)
    await service.to_review(app)
    back = await service.back_to_sources(app)
    assert back.state is S.COLLECTING
    assert back.subjects["applicant"].sources["uwv"].records == 1  # nothing collected is lost
    assert (await service.to_review(app)).state is S.REVIEW


async def test_back_from_review_to_the_partners_sources(service: SessionService) -> None:
    app = await applicant_done(service, partner_expected=True)
    await service.require_partner(app)
    await service.mark_authenticated(app, "partner", "substantieel", SUBJECT["partner"])
    await service.source_started(app, "partner", "uwv")
    await service.source_completed(app, "partner", "uwv", 2)
    await service.to_review(app)
    assert (await service.back_to_sources(app)).state is S.PARTNER_COLLECTING


async def test_back_from_review_after_going_on_without_the_partner_asks_for_them_again(
    service: SessionService,
) -> None:
    app = await applicant_done(service, partner_expected=True)
    await service.require_partner(app)
    await service.partner_absent(app, "not_present")
    back = await service.back_to_sources(app)
    assert back.state is S.PARTNER_PENDING
    assert back.partner_absent is None  # the partner may log in now; the reason no longer holds


async def test_back_only_from_the_review(service: SessionService) -> None:
    app = await applicant_done(service)
    with pytest.raises(InvalidTransition):
        await service.back_to_sources(app)
