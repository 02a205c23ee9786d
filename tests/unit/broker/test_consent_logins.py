"""Each person's consent with their own login, on fakes: the keyed subject hash checks the BSN a phone
presents, a later login must be the same person, the partner is never the applicant, a consent needs a
login within the window (or a new one from the review), and the consent record says how it was given."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    Phone,
    World,
    collect_all,
    log_in,
    logged_in,
    phone_cookies,
    registration,
    render,
    request,
)

from databrug.broker import BrokerError
from databrug.broker.login import subject_hash
from databrug.errors import CodedError
from databrug.records import Role
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.sdk.crypto import decrypt_package
from databrug.sessions.state import SessionState
from databrug.web.app import create_app
from databrug_sandbox.personas.catalogue import CATALOGUE

COUPLE = CATALOGUE["couple-both-employed"]
APPLICANT, PARTNER = COUPLE.applicant.bsn, COUPLE.partner.bsn  # type: ignore[union-attr]
WINDOW = CONSENT_LOGIN_WINDOW.total_seconds()


async def couple_in_review(world: World) -> Phone:
    """Applicant and partner logged in on one phone, each collected, now at the review."""
    world.broker.registry.put(registration(KEYS.public_jwks, partner="required"))
    phone = await logged_in(world, partner_mode="required")
    await collect_all(world, phone, "applicant", APPLICANT)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, True) == "partner"
    await log_in(world, await request(world, phone), "partner", PARTNER)
    await collect_all(world, phone, "partner", PARTNER)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, False) == "review"
    return phone


def test_the_subject_hash_is_keyed_bound_to_the_session_and_holds_no_bsn() -> None:
    one = subject_hash(b"secret-one", "ses_a", APPLICANT)
    assert one == subject_hash(b"secret-one", "ses_a", APPLICANT)
    assert len(one) == 64
    assert APPLICANT not in one
    others = {
        subject_hash(b"secret-two", "ses_a", APPLICANT),
        subject_hash(b"secret-one", "ses_b", APPLICANT),
        subject_hash(b"secret-one", "ses_a", PARTNER),
    }
    assert one not in others
    assert len(others) == 3


async def test_the_record_keeps_the_hash_and_the_broker_checks_the_phones_bsn(couple: World) -> None:
    phone = await logged_in(couple)
    app = await request(couple, phone)
    stored = app.record.subjects["applicant"]
    assert stored.subject_hash == subject_hash(couple.broker.secret, app.session_id, APPLICANT)
    assert APPLICANT not in app.record.model_dump_json(), "the session record holds no BSN"
    couple.broker.check_subject(app, "applicant", APPLICANT)
    wrong: list[tuple[Role, str]] = [
        ("applicant", PARTNER),
        ("applicant", "999999990"),
        ("partner", APPLICANT),
    ]
    for role, bsn in wrong:
        with pytest.raises(BrokerError) as refused:
            couple.broker.check_subject(app, role, bsn)
        assert refused.value.code == "digid_token_invalid"


async def test_a_forged_bsn_is_refused_at_consent_and_nothing_is_recorded(couple: World) -> None:
    phone = await couple_in_review(couple)
    forged: dict[Role, str | None] = {"applicant": APPLICANT, "partner": APPLICANT}
    with pytest.raises(BrokerError) as refused:
        await couple.broker.deliver(await request(couple, phone), phone.key, "nl", forged)
    assert refused.value.code == "digid_token_invalid"
    with pytest.raises(BrokerError) as missing:
        await couple.broker.deliver(await request(couple, phone), phone.key, "nl", {"partner": None})
    assert missing.value.code == "consent_login_required"
    app = await request(couple, phone)
    assert app.record.state is SessionState.REVIEW
    assert all(s.consented_at is None for s in app.record.subjects.values())


async def test_the_partner_cannot_be_the_applicant_whatever_the_phone_sends(couple: World) -> None:
    couple.broker.registry.put(registration(KEYS.public_jwks, partner="required"))
    phone = await logged_in(couple, partner_mode="required")
    await collect_all(couple, phone, "applicant", APPLICANT)
    await couple.broker.finish_sources(await request(couple, phone), phone.key, True)
    with pytest.raises(CodedError) as refused:  # no applicant cookie involved: the record decides
        await log_in(couple, await request(couple, phone), "partner", APPLICANT)
    assert refused.value.code == "partner_mismatch"
    app = await request(couple, phone)
    assert app.record.state is SessionState.PARTNER_PENDING
    assert app.record.subjects["partner"].subject_hash is None


async def test_a_fast_journey_consents_without_a_new_login_and_records_how(couple: World) -> None:
    phone = await couple_in_review(couple)
    couple.clock.advance(WINDOW - 60)  # the applicant logged in first, still within the window
    app = await request(couple, phone)
    assert couple.broker.logins_to_renew(app) == []
    record, _ = await couple.broker.deliver(
        app, phone.key, "nl", {"applicant": APPLICANT, "partner": PARTNER}
    )
    assert record.state is SessionState.DELIVERED
    ciphertext = await couple.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    package = decrypt_package(ciphertext, KEYS.private_jwks)
    for consent in package.consents:
        login = consent.authentication
        assert login is not None
        assert login.method == "digid_login"
        assert login.level == "substantieel"
        assert login.authenticated_at == app.record.subjects[consent.subject].authenticated_at
        assert login.authenticated_at <= consent.given_at


async def test_a_stale_login_needs_a_new_one_of_the_same_person_before_consent(couple: World) -> None:
    phone = await couple_in_review(couple)
    couple.clock.advance(WINDOW + 1)
    app = await request(couple, phone)
    assert couple.broker.logins_to_renew(app) == ["applicant", "partner"]
    both: dict[Role, str | None] = {"applicant": APPLICANT, "partner": PARTNER}
    with pytest.raises(BrokerError) as refused:  # the applicant's phone cannot consent for the partner
        await couple.broker.deliver(app, phone.key, "nl", both)
    assert refused.value.code == "consent_login_required"
    app = await request(couple, phone)
    assert app.record.state is SessionState.REVIEW
    assert all(s.consented_at is None for s in app.record.subjects.values()), "nothing recorded"
    assert "consent.recorded" not in await couple.events()

    with pytest.raises(CodedError) as other:  # a new login to consent must be the same person
        await log_in(couple, app, "partner", "999999990", to_consent=True)
    assert other.value.code == "login_mismatch"
    with pytest.raises(CodedError) as swapped:
        await log_in(couple, app, "partner", APPLICANT, to_consent=True)
    assert swapped.value.code == "login_mismatch"
    assert (await request(couple, phone)).record.subjects["partner"].authenticated_by == "digid_login"

    await log_in(couple, app, "applicant", APPLICANT, to_consent=True)
    await log_in(couple, app, "partner", PARTNER, to_consent=True)
    app = await request(couple, phone)
    assert app.record.state is SessionState.REVIEW, "a new login at the review stays at the review"
    assert couple.broker.logins_to_renew(app) == []
    await couple.broker.deliver(app, phone.key, "nl", both)
    ciphertext = await couple.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    package = decrypt_package(ciphertext, KEYS.private_jwks)
    assert {c.authentication.method for c in package.consents if c.authentication} == {
        "digid_reauthentication"
    }
    assert len(package.consents) == 2


async def test_a_login_to_consent_is_only_for_someone_at_the_review(couple: World) -> None:
    phone = await logged_in(couple)
    app = await request(couple, phone)
    with pytest.raises(BrokerError) as early:
        await couple.broker.start_login(app, "applicant", "consent")
    assert early.value.code == "invalid_request"
    with pytest.raises(CodedError) as recorded:
        await log_in(couple, app, "applicant", APPLICANT, to_consent=True)
    assert recorded.value.code == "invalid_transition"
    await collect_all(couple, phone, "applicant", APPLICANT)
    await couple.broker.finish_sources(await request(couple, phone), phone.key, True)
    with pytest.raises(BrokerError) as nobody:  # partner_mode "off": the partner never logged in
        await couple.broker.start_login(await request(couple, phone), "partner", "consent")
    assert nobody.value.code == "invalid_request"


async def test_a_phone_forging_its_login_cookie_is_refused_through_the_app(couple: World) -> None:
    """The phone seals its own login cookie (it holds the key), so it can write any BSN in it: fetch, upload
    and consent each check that BSN against the session's record, and keep nothing."""
    phone = await logged_in(couple)
    app = await request(couple, phone)
    own = APPLICANT
    forged = phone_cookies(phone, app.session_id, {"applicant": PARTNER})  # a BSN the portals would serve
    transport = httpx.ASGITransport(app=create_app(couple.broker, background=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=forged) as web:
        fetched = await web.post("/app/sources/uwv/fetch")
        _, document = render(COUPLE.partner, "uwv")  # type: ignore[arg-type]
        uploaded = await web.post("/app/sources/uwv/upload", files={"document": ("uwv.pdf", document)})
        for answer in (fetched, uploaded):
            assert answer.status_code == 401
            assert 'data-code="digid_token_invalid"' in answer.text
        assert couple.collector.fetched == [], "nothing fetched with the forged BSN"
        progress = (await request(couple, phone)).record.subjects["applicant"].sources.values()
        assert all(p.records == 0 for p in progress), "nothing kept"

    await collect_all(couple, phone, "applicant", own)
    await couple.broker.finish_sources(await request(couple, phone), phone.key, True)
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=forged) as web:
        refused = await web.post("/app/consent", data={"consent_applicant": "yes"})
        assert refused.status_code == 401
        assert (await request(couple, phone)).record.state is SessionState.REVIEW
    genuine = phone_cookies(phone, app.session_id, {"applicant": own})
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=genuine) as web:
        sent = await web.post("/app/consent", data={"consent_applicant": "yes"})
        assert (sent.status_code, sent.headers["location"]) == (303, "/app/done")
