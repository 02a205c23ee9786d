"""The review step's rules on fakes: whether a partner is needed, who may log in as which person, what the
review shows, and that none of it but the review itself opens the sealed records."""

from __future__ import annotations

import pytest
from tests.unit.broker.fakes import (
    KEYS,
    World,
    collect_all,
    log_in,
    logged_in,
    opened,
    registration,
    request,
)

from databrug.broker import BrokerError
from databrug.broker.review import Reviewing
from databrug.sessions.errors import SessionError
from databrug.sessions.state import SessionState
from databrug_sandbox.personas.catalogue import CATALOGUE

COUPLE = CATALOGUE["couple-both-employed"]
APPLICANT, PARTNER = COUPLE.applicant.bsn, COUPLE.partner.bsn  # type: ignore[union-attr]


async def test_the_partner_the_data_names_is_required_checked_and_reviewed(couple: World) -> None:
    couple.broker.registry.put(registration(KEYS.public_jwks, partner="optional"))
    phone = await logged_in(couple, partner_mode="optional")
    await collect_all(couple, phone, "applicant", APPLICANT)
    review = Reviewing(couple.broker.sessions, couple.broker.vault)

    app = await request(couple, phone)
    assert await couple.broker.expected_partner(app, phone.key) == PARTNER
    await review.check_login(app, phone.key, "applicant", APPLICANT)
    await log_in(couple, app, "applicant", APPLICANT)
    with pytest.raises(SessionError) as other:
        await log_in(couple, app, "applicant", PARTNER)
    assert other.value.code == "login_mismatch"
    assert await couple.broker.finish_sources(app, phone.key, True) == "partner"
    assert not opened(couple), "the partner rule reads the indexes, not the records"

    app = await request(couple, phone)
    assert app.record.state is SessionState.PARTNER_PENDING
    for wrong in (APPLICANT, "999999990"):
        with pytest.raises(BrokerError) as refused:
            await review.check_login(app, phone.key, "partner", wrong)
        assert refused.value.code == "partner_mismatch"
    await review.check_login(app, phone.key, "partner", PARTNER)
    assert not opened(couple)
    await log_in(couple, app, "partner", PARTNER)
    await collect_all(couple, phone, "partner", PARTNER)
    assert await couple.broker.finish_sources(await request(couple, phone), phone.key, False) == "review"

    app = await request(couple, phone)
    people = await couple.broker.people(app, phone.key)
    assert [person.subject.role for person in people] == ["applicant", "partner"]
    assert set(opened(couple).values()) == {1}
    assert len(opened(couple)) == 8  # four sources, two people, each blob once


async def test_no_partner_is_asked_for_when_the_provider_wants_none(couple: World) -> None:
    phone = await logged_in(couple, partner_mode="off")
    await collect_all(couple, phone, "applicant", APPLICANT)
    assert await couple.broker.finish_sources(await request(couple, phone), phone.key, True) == "review"
    assert (await request(couple, phone)).record.state is SessionState.REVIEW
