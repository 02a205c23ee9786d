"""Check an outcome-only delivery: the broker's signed outcome of a published rule, inside your package.

A session that asks for ``delivery="outcome"`` gets a package with the person records only and
``package.outcome``: a compact JWS (ES256, ``typ`` ``databrug-outcome+jwt``) signed with the broker's receipt
key, the one at ``/.well-known/databrug-receipt-keys.json`` that also signs deletion receipts. Its claims
(``OutcomeStatement``) say the outcome (grant, reject, investigate), the reason codes, the rule and its
version, the parameters you set, the peildatum, and ``inputs_digest``: the SHA-256 of the data the rule ran
on.

``verify_outcome(package, broker_jwks)`` checks the signature, the type, that the signing key is one of the
broker's, and that the claims are about this package (package id, provider, your reference, purpose, the
people in it). When the citizen also sent the data (after "investigate"), ``outcome_inputs_match`` tells you
whether it is the data the outcome was computed on.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any

from pydantic import ValidationError

from databrug.records import DataPackage
from databrug.records.outcome import OUTCOME_JWS_TYPE, OutcomeStatement, inputs_digest
from databrug.sdk.errors import PackageError
from databrug.sdk.signed import UnverifiedToken, verified_payload

OUTCOME_ALG = "ES256"
MAX_OUTCOME_CHARS = 20_000  # as the package's field allows; a signed outcome is about 2 KiB


class OutcomeError(PackageError):
    """The signed outcome is missing (``outcome_missing``), does not verify (``outcome_invalid``) or is about
    another package (``outcome_mismatch``)."""


def verify_outcome(package_or_jws: DataPackage | str, broker_jwks: Mapping[str, Any]) -> OutcomeStatement:
    """The outcome's claims if it is signed by one of ``broker_jwks`` (and, given a package, about that
    package); ``OutcomeError`` otherwise."""
    package = package_or_jws if isinstance(package_or_jws, DataPackage) else None
    token = package.outcome if package is not None else package_or_jws
    if token is None:
        raise OutcomeError("outcome_missing", "the package carries no signed outcome")
    if not isinstance(token, str) or len(token) > MAX_OUTCOME_CHARS:
        raise OutcomeError(
            "outcome_invalid", f"a signed outcome is a text of at most {MAX_OUTCOME_CHARS} chars"
        )
    try:
        payload = verified_payload(token, broker_jwks, alg=OUTCOME_ALG, typ=OUTCOME_JWS_TYPE)
    except UnverifiedToken as exc:
        raise OutcomeError(
            "outcome_invalid",
            "the outcome's signature does not verify with the broker's keys"
            if exc.reason == "signature"
            else "not a signed outcome",
        ) from exc
    try:
        statement = OutcomeStatement.model_validate_json(payload)
    except ValidationError as exc:
        raise OutcomeError("outcome_invalid", "the outcome's claims are malformed") from exc
    if package is not None:
        _check_about(package, statement)
    return statement


def _check_about(package: DataPackage, statement: OutcomeStatement) -> None:
    checks = {
        "package id": statement.package_id == package.package_id,
        "provider": statement.provider_id == package.provider.id,
        "reference": statement.provider_reference == package.provider_reference,
        "purpose": package.purpose is not None and statement.purpose == package.purpose,
        "people": sorted(statement.roles) == sorted(s.role for s in package.subjects),
    }
    wrong = [name for name, ok in checks.items() if not ok]
    if wrong:
        raise OutcomeError("outcome_mismatch", f"the outcome is about another package ({', '.join(wrong)})")


def outcome_inputs_match(package: DataPackage, statement: OutcomeStatement) -> bool:
    """Whether the package's subjects are exactly the data the outcome was computed on (its
    ``inputs_digest``): true for a package that carries the data too, false for an outcome-only one."""
    return inputs_digest(package.subjects) == statement.inputs_digest
