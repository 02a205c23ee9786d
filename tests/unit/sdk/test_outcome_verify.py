"""Signed outcomes: made by the broker's receipt key (``delivery.outcome``), checked by the SDK like receipts
(``sdk.outcome``): a tampered payload, another key, another ``typ``, a deletion receipt in its place, or an
outcome about another package are all refused."""

from __future__ import annotations

import base64
from datetime import UTC, date, datetime

import pytest
from tests.support.provider_packages import package_for

from databrug.consent import canonical_json
from databrug.delivery.outcome import sign_outcome
from databrug.delivery.receipts import DeletionReceipt, generate_signing_key, public_jwks, sign_receipt
from databrug.eligibility import RuleParameters
from databrug.records import DataPackage
from databrug.records.outcome import OutcomeStatement, PurposeRef, canonical_bytes, inputs_digest
from databrug.sdk import OutcomeError, outcome_inputs_match, verify_outcome
from databrug.sdk.outcome import MAX_OUTCOME_CHARS
from databrug_sandbox.personas.catalogue import CATALOGUE

KEY = generate_signing_key("receipt-1")
OTHER = generate_signing_key("receipt-1")  # same kid, another key
JWKS = public_jwks(KEY)
PURPOSE = PurposeRef(id="gemeentepolis", version="1")


def _package() -> DataPackage:
    return package_for(CATALOGUE["couple-both-employed"]).model_copy(update={"purpose": PURPOSE})


def _statement(package: DataPackage, **changes: object) -> OutcomeStatement:
    fields: dict[str, object] = {
        "iss": "https://broker.invalid",
        "iat": 1_790_000_000,
        "session_id": "ses_" + "a" * 22,
        "package_id": package.package_id,
        "provider_id": package.provider.id,
        "provider_reference": package.provider_reference,
        "purpose": PURPOSE,
        "rule_id": "gemeentepolis-toets",
        "rule_version": "1.0",
        "parameters": RuleParameters().model_dump(mode="json"),
        "reference_date": date(2026, 11, 2),
        "norms_year": 2026,
        "outcome": "reject",
        "reasons": [{"code": "income_too_high"}],
        "household_kind": "gehuwden",
        "roles": [s.role for s in package.subjects],
        "inputs_digest": inputs_digest(package.subjects),
        "evaluated_at": datetime(2026, 11, 2, 10, tzinfo=UTC),
    }
    return OutcomeStatement.model_validate({**fields, **changes})


def _with(package: DataPackage, signed: str) -> DataPackage:
    return package.model_copy(update={"outcome": signed})


def test_a_signed_outcome_verifies_with_the_brokers_keys() -> None:
    package = _package()
    statement = _statement(package)
    signed = sign_outcome(statement, KEY)
    assert verify_outcome(_with(package, signed), JWKS) == statement
    assert verify_outcome(signed, JWKS) == statement
    assert outcome_inputs_match(package, statement)


def test_a_tampered_payload_is_refused() -> None:
    package = _package()
    header, _, signature = sign_outcome(_statement(package), KEY).split(".")
    forged = _statement(package, outcome="grant", reasons=[])
    payload = base64.urlsafe_b64encode(canonical_json(forged.model_dump(mode="json"))).rstrip(b"=").decode()
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(_with(package, f"{header}.{payload}.{signature}"), JWKS)
    assert refused.value.code == "outcome_invalid"


def test_another_key_is_refused() -> None:
    package = _package()
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(_with(package, sign_outcome(_statement(package), OTHER)), JWKS)
    assert refused.value.code == "outcome_invalid"


def test_a_deletion_receipt_does_not_pass_for_an_outcome() -> None:
    receipt = DeletionReceipt(
        session_id="ses_x",
        package_id="pkg_x",
        provider_id="p",
        ciphertext_sha256="0" * 64,
        deleted_at=datetime(2026, 11, 2, tzinfo=UTC),
        reason="acknowledged",
    )
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(sign_receipt(receipt, KEY), JWKS)
    assert refused.value.code == "outcome_invalid"


def test_another_typ_with_outcome_claims_is_refused() -> None:
    from joserfc import jws

    package = _package()
    payload = canonical_json(_statement(package).model_dump(mode="json"))
    header = {"alg": "ES256", "kid": "receipt-1", "typ": "JWT"}
    token = jws.serialize_compact(header, payload, KEY, algorithms=["ES256"])
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(token, JWKS)
    assert refused.value.code == "outcome_invalid"


@pytest.mark.parametrize(
    "changes",
    [
        {"package_id": "pkg_" + "b" * 24},
        {"provider_id": "another-provider"},
        {"provider_reference": "another-case"},
        {"purpose": PurposeRef(id="schuldhulpverlening", version="1")},
        {"roles": ["applicant"]},
    ],
)
def test_an_outcome_about_another_package_is_refused(changes: dict[str, object]) -> None:
    package = _package()
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(_with(package, sign_outcome(_statement(package, **changes), KEY)), JWKS)
    assert refused.value.code == "outcome_mismatch"


def test_a_package_without_purpose_or_outcome_is_refused() -> None:
    package = _package()
    signed = sign_outcome(_statement(package), KEY)
    with pytest.raises(OutcomeError) as mismatch:
        verify_outcome(_with(package, signed).model_copy(update={"purpose": None}), JWKS)
    assert mismatch.value.code == "outcome_mismatch"
    with pytest.raises(OutcomeError) as missing:
        verify_outcome(package, JWKS)
    assert missing.value.code == "outcome_missing"


@pytest.mark.parametrize(
    "hostile",
    ["", "a.b", "a.b.c", "x" * (MAX_OUTCOME_CHARS + 1), "e30." * 3, "eyJ" + "W" * 4000 + ".e30.AA"],
)
def test_hostile_tokens_are_refused_with_a_typed_error(hostile: str) -> None:
    with pytest.raises(OutcomeError) as refused:
        verify_outcome(hostile, JWKS)
    assert refused.value.code == "outcome_invalid"


def test_malformed_jwks_are_refused_with_a_typed_error() -> None:
    signed = sign_outcome(_statement(_package()), KEY)
    with pytest.raises(OutcomeError):
        verify_outcome(signed, {"keys": [{"kty": "nonsense"}]})


def test_changed_data_no_longer_match_the_inputs_digest() -> None:
    package = _package()
    statement = _statement(package)
    partner = package.subjects[1]
    changed = package.model_copy(
        update={"subjects": [package.subjects[0], partner.model_copy(update={"person": None})]}
    )
    assert not outcome_inputs_match(changed, statement)
    swapped = package.model_copy(update={"subjects": list(reversed(package.subjects))})
    assert outcome_inputs_match(swapped, statement), (
        "sorted by role: the order in the package does not matter"
    )


def test_the_inputs_digest_uses_the_consents_canonical_json() -> None:
    value = {"b": [1, "é", {"z": None, "a": "1.50"}], "a": True}
    assert canonical_bytes(value) == canonical_json(value)
