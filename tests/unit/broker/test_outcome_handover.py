"""Outcome-only delivery on fakes: the broker evaluates the purpose's rule on the reviewed data, signs the
outcome with its published receipt key and sends the person records only; with "investigate" the citizen may
send the data too. For every catalogue persona the signed outcome equals the demo provider's own advice on the
data-mode package of the same day (one rule, ``databrug.eligibility``)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import AsyncIterator
from typing import Literal

import pytest
from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    SOURCES,
    Phone,
    World,
    build_world,
    collect_all,
    log_in,
    registration,
    request,
)

from databrug.broker import BrokerError
from databrug.eligibility import Declaration, RuleParameters, assess
from databrug.errors import CodedError
from databrug.records import DataPackage, Role
from databrug.records.outcome import OUTCOME_JWS_TYPE, inputs_digest
from databrug.sdk import OutcomeError, outcome_inputs_match, verify_consents, verify_outcome
from databrug.sdk.crypto import decrypt_package
from databrug.sessions.model import DataRequest
from databrug.sessions.sealing import new_session_key
from databrug.sessions.state import SessionState
from databrug_sandbox.personas.catalogue import CATALOGUE

DEFAULT = RuleParameters()


def data_request(
    delivery: Literal["data", "outcome"], children: int, parameters: RuleParameters = DEFAULT
) -> DataRequest:
    return DataRequest(
        purpose="gemeentepolis",
        purpose_version="1",
        wage_months=12,
        tax_years=2,
        delivery=delivery,
        outcome_parameters=parameters.model_dump(mode="json") if delivery == "outcome" else None,
        declared_children=children,
    )


async def at_review(world: World, asked: DataRequest) -> tuple[Phone, dict[Role, str]]:
    """A session of the world's household under ``asked``, everyone in it logged in and collected."""
    household = world.collector.household
    world.broker.registry.put(registration(KEYS.public_jwks, partner="optional"))
    sessions = world.broker.sessions
    _, page = await sessions.create_session(
        PROVIDER,
        "CASE-1",
        SOURCES,
        partner_mode="optional",
        partner_expected=household.partner is not None,
        request=asked,
    )
    token = await sessions.pairing.start_on_phone(page)
    phone = Phone(token, new_session_key())
    logins: dict[Role, str] = {"applicant": household.applicant.bsn}
    await log_in(world, await sessions.app_session(token), "applicant", household.applicant.bsn)
    await collect_all(world, phone, "applicant", household.applicant.bsn)
    step = await world.broker.finish_sources(await request(world, phone), phone.key, True)
    if household.partner is not None:
        assert step == "partner"
        logins["partner"] = household.partner.bsn
        await log_in(world, await request(world, phone), "partner", household.partner.bsn)
        await collect_all(world, phone, "partner", household.partner.bsn)
        step = await world.broker.finish_sources(await request(world, phone), phone.key, False)
    assert step == "review"
    return phone, logins


async def delivered(
    world: World, phone: Phone, logins: dict[Role, str], send_data: bool = False
) -> DataPackage:
    app = await request(world, phone)
    record, _ = await world.broker.deliver(app, phone.key, "nl", dict(logins), send_data=send_data)
    assert record.state is SessionState.DELIVERED
    ciphertext = await world.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    return decrypt_package(ciphertext, KEYS.private_jwks)


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built = build_world("company-car")
    yield built
    await built.broker.close()


def _children(world: World) -> int:
    return int(world.collector.household.key_facts["children_at_home"])


async def test_an_outcome_only_package_has_the_signed_outcome_and_no_income_pension_or_asset(
    world: World,
) -> None:
    phone, logins = await at_review(world, data_request("outcome", _children(world)))
    preview = await world.broker.outcome_preview(await request(world, phone), phone.key)
    assert preview is not None
    package = await delivered(world, phone, logins)

    assert package.outcome is not None
    statement = verify_outcome(package, world.broker.receipt_keys())
    assert statement.outcome == preview.advice.outcome
    assert [r.code for r in statement.reasons] == [r.code for r in preview.advice.reasons]
    assert (statement.rule_id, statement.rule_version) == ("gemeentepolis-toets", "1.0")
    assert statement.parameters == DEFAULT.model_dump(mode="json")
    assert statement.reference_date == world.broker.now().date()
    assert statement.inputs_digest == preview.inputs_digest
    assert package.purpose is not None
    assert (package.purpose.id, package.purpose.version) == (
        "gemeentepolis",
        "1",
    )
    for subject in package.subjects:
        assert subject.person is not None
        assert subject.incomes.model_dump(exclude_defaults=True) == {}
        assert subject.pensions.model_dump(exclude_defaults=True) == {}
        assert subject.assets.model_dump(exclude_defaults=True) == {}
    assert {e.document_type for e in package.sources} == {"brp-persoon"}
    assert package.documents == []
    assert not outcome_inputs_match(package, statement), "the data the rule ran on did not go"
    assert verify_consents(package) == sorted(logins)
    consent = package.consents[0]
    assert consent.outcome_sha256 == "sha256:" + hashlib.sha256(package.outcome.encode()).hexdigest()
    assert "uitkomst" in consent.statement
    assert "Gemeentepolis-toets" in consent.statement
    assert "UWV" in consent.statement, "the statement names every source the rule read"


async def test_the_signed_outcome_holds_no_income_or_asset_value(world: World) -> None:
    phone, logins = await at_review(world, data_request("outcome", _children(world)))
    preview = await world.broker.outcome_preview(await request(world, phone), phone.key)
    assert preview is not None
    package = await delivered(world, phone, logins)
    assert package.outcome is not None
    header, payload, _ = package.outcome.split(".")
    claims = base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)).decode()
    assert json.loads(base64.urlsafe_b64decode(header + "=" * (-len(header) % 4)))["typ"] == OUTCOME_JWS_TYPE
    advice = preview.advice
    amounts = [str(p.gross_monthly) for p in advice.persons] + [str(advice.income_test.household_net_monthly)]
    amounts += [str(i.amount) for i in advice.asset_test.items if i.amount]
    for amount in amounts:
        assert amount not in claims
    assert world.collector.household.applicant.bsn not in claims


async def test_the_data_go_with_the_outcome_only_when_it_says_investigate(world: World) -> None:
    asked = data_request("outcome", _children(world))
    phone, logins = await at_review(world, asked)
    preview = await world.broker.outcome_preview(await request(world, phone), phone.key)
    assert preview is not None
    assert preview.advice.outcome != "investigate"
    with pytest.raises(BrokerError) as refused:
        await world.broker.deliver(await request(world, phone), phone.key, "nl", dict(logins), send_data=True)
    assert refused.value.code == "outcome_data_not_allowed"
    assert (await request(world, phone)).record.state is SessionState.REVIEW


async def test_with_investigate_the_citizen_may_send_the_bounded_data_too(world: World) -> None:
    # Declaring other children than the BRP shows makes the rule say "investigate" (children_differ).
    phone, logins = await at_review(world, data_request("outcome", _children(world) + 3))
    package = await delivered(world, phone, logins, send_data=True)
    statement = verify_outcome(package, world.broker.receipt_keys())
    assert statement.outcome == "investigate"
    assert "children_differ" in [r.code for r in statement.reasons]
    assert package.subjects[0].incomes.relations, "the data went too"
    assert outcome_inputs_match(package, statement)
    assert statement.inputs_digest == inputs_digest(package.subjects)
    assert verify_consents(package) == sorted(logins)
    assert "ook deze gegevens" in package.consents[0].statement


async def test_send_data_is_refused_for_a_data_mode_session(world: World) -> None:
    phone, logins = await at_review(world, data_request("data", _children(world)))
    assert await world.broker.outcome_preview(await request(world, phone), phone.key) is None
    with pytest.raises(BrokerError) as refused:
        await world.broker.deliver(await request(world, phone), phone.key, "nl", dict(logins), send_data=True)
    assert refused.value.code == "outcome_data_not_allowed"


async def test_a_data_mode_package_has_no_outcome_but_purpose_and_erasure(world: World) -> None:
    phone, logins = await at_review(world, data_request("data", _children(world)))
    app = await request(world, phone)
    _, receipt = await world.broker.deliver(app, phone.key, "nl", dict(logins))
    ciphertext = await world.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    package = decrypt_package(ciphertext, KEYS.private_jwks)
    assert package.outcome is None
    with pytest.raises(OutcomeError) as missing:
        verify_outcome(package, world.broker.receipt_keys())
    assert missing.value.code == "outcome_missing"
    assert package.erasure is not None
    assert receipt.erasure is not None
    assert package.erasure.token_sha256 == hashlib.sha256(receipt.erasure.token.encode()).hexdigest()
    assert package.erasure.retention_days == receipt.erasure.retention_days == 365
    assert receipt.erasure.purpose == package.purpose
    assert package.consents[0].outcome_sha256 is None


async def test_a_consent_for_another_outcome_is_refused_by_the_sdk(world: World) -> None:
    phone, logins = await at_review(world, data_request("outcome", _children(world)))
    package = await delivered(world, phone, logins)
    assert package.outcome is not None
    other = package.model_copy(update={"outcome": package.outcome[:-4] + "AAAA"})
    with pytest.raises(OutcomeError):
        verify_outcome(other, world.broker.receipt_keys())
    from databrug.sdk import PackageError

    with pytest.raises(PackageError) as refused:
        verify_consents(other)
    assert refused.value.code == "consent_mismatch"
    without = package.model_copy(update={"outcome": None})
    with pytest.raises(PackageError):
        verify_consents(without)


@pytest.mark.parametrize("key", sorted(CATALOGUE))
async def test_every_persona_gets_the_outcome_the_provider_would_compute_on_the_data(key: str) -> None:
    world = build_world(key)
    try:
        children = int(world.collector.household.key_facts["children_at_home"])
        phone, logins = await at_review(world, data_request("data", children))
        as_data = await delivered(world, phone, logins)
        declaration = Declaration(partner=world.collector.household.partner is not None, children=children)
        provider_advice = assess(as_data, declaration, DEFAULT)

        phone, logins = await at_review(world, data_request("outcome", children))
        preview = await world.broker.outcome_preview(await request(world, phone), phone.key)
        as_outcome = await delivered(world, phone, logins)
        statement = verify_outcome(as_outcome, world.broker.receipt_keys())
    finally:
        await world.broker.close()

    assert preview is not None
    assert statement.outcome == preview.advice.outcome == provider_advice.outcome
    assert [r.model_dump(exclude_none=True) for r in statement.reasons] == [
        r.model_dump(exclude_none=True) for r in provider_advice.reasons
    ]
    assert statement.reference_date == provider_advice.reference_date
    assert statement.household_kind == provider_advice.household.kind
    assert statement.inputs_digest == inputs_digest(as_data.subjects), "the same data, bounded alike"


@pytest.mark.parametrize(
    "asked",
    [
        # parameters out of the rule's bounds, or unknown ones (the broker checks again, whatever was stored)
        data_request("outcome", 0).model_copy(update={"outcome_parameters": {"percentage": 500}}),
        data_request("outcome", 0).model_copy(update={"outcome_parameters": {"percentage": "x" * 5000}}),
        data_request("outcome", 0).model_copy(update={"outcome_parameters": {"sneaky": True}}),
        # a purpose whose template has no rule, or a version that was never published
        data_request("outcome", 0).model_copy(update={"purpose": "schuldhulpverlening"}),
        data_request("outcome", 0).model_copy(update={"purpose_version": "9"}),
    ],
)
async def test_no_outcome_is_made_for_a_request_the_rule_cannot_take(
    world: World, asked: DataRequest
) -> None:
    phone, logins = await at_review(world, asked)
    # An unpublished version is already refused by the review's bounding (purpose_not_registered).
    codes = {"outcome_unavailable", "purpose_not_registered"}
    with pytest.raises(CodedError) as refused:
        await world.broker.outcome_preview(await request(world, phone), phone.key)
    assert refused.value.code in codes
    with pytest.raises(CodedError) as not_sent:
        await world.broker.deliver(await request(world, phone), phone.key, "nl", dict(logins))
    assert not_sent.value.code == refused.value.code
    assert (await request(world, phone)).record.state is SessionState.REVIEW
