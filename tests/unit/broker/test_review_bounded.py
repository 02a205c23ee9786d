"""The review reads each person's data through the session's purpose template and request: what the review
page shows, the consent covers and the package holds is the bounded data, originals only when asked for."""

from __future__ import annotations

from datetime import date

from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    SOURCES,
    Phone,
    World,
    collect_all,
    log_in,
    registration,
    request,
)

from databrug.purposes import bounded_subject, months_before, template
from databrug.sessions.model import DataRequest
from databrug.sessions.sealing import new_session_key
from databrug_sandbox.personas.catalogue import CATALOGUE

APPLICANT = CATALOGUE["couple-both-employed"].applicant.bsn


def _request(purpose: str, *, wage_months: int, tax_years: int, documents: bool) -> DataRequest:
    return DataRequest(
        purpose=purpose,
        purpose_version="1",
        wage_months=wage_months,
        tax_years=tax_years,
        include_documents=documents,
    )


async def _collected(world: World, asked: DataRequest | None) -> Phone:
    world.broker.registry.put(
        registration(KEYS.public_jwks).model_copy(
            update={"purposes": ["schuldhulpverlening"], "want_documents": True}
        )
    )
    sessions = world.broker.sessions
    _, page = await sessions.create_session(PROVIDER, "CASE-1", SOURCES, request=asked)
    token = await sessions.pairing.start_on_phone(page)
    app = await sessions.app_session(token)
    await log_in(world, app, "applicant", APPLICANT)
    phone = Phone(token, new_session_key())
    await collect_all(world, phone, "applicant", APPLICANT)
    return phone


def _today(world: World) -> date:
    return world.broker.now().date()


async def test_the_review_shows_only_the_history_asked_for_and_no_originals(couple: World) -> None:
    asked = _request("schuldhulpverlening", wage_months=2, tax_years=1, documents=False)
    phone = await _collected(couple, asked)
    subject, entries, originals = await couple.broker.subject_data(
        await request(couple, phone), phone.key, "applicant"
    )
    day = _today(couple)
    periods = [p for r in subject.incomes.relations for p in r.periods]
    assert periods, "recent wage periods stay"
    assert all(p.end >= months_before(day, 2) for p in periods)
    assert all(t.year >= day.year - 1 for t in subject.incomes.tax_years)
    assert originals == []
    assert entries, "the provenance stays: the consent names every source used"


async def test_originals_go_only_when_the_request_includes_them(couple: World) -> None:
    asked = _request("schuldhulpverlening", wage_months=24, tax_years=3, documents=True)
    phone = await _collected(couple, asked)
    _, _, originals = await couple.broker.subject_data(await request(couple, phone), phone.key, "applicant")
    assert originals, "the registration wants originals and the request includes them"


async def test_the_review_people_are_the_bounded_subjects(couple: World) -> None:
    asked = _request("gemeentepolis", wage_months=12, tax_years=2, documents=False)
    phone = await _collected(couple, asked)
    people = await couple.broker.people(await request(couple, phone), phone.key)
    [person] = people
    full = CATALOGUE["couple-both-employed"].applicant.facts
    assert full.pensions.survivor_pensions, "the persona has survivor pensions to leave out"
    assert person.subject.pensions.survivor_pensions == []
    assert person.subject.person is not None
    assert person.subject.person.nationalities == []
    assert person.originals == []
    bounded = bounded_subject(template("gemeentepolis"), asked, person.subject, _today(couple))
    assert bounded == person.subject, "bounding is applied once and is stable"


async def test_a_session_from_before_purposes_reads_as_collected(couple: World) -> None:
    phone = await _collected(couple, None)
    subject, _, originals = await couple.broker.subject_data(
        await request(couple, phone), phone.key, "applicant"
    )
    assert subject.pensions.survivor_pensions
    assert originals
