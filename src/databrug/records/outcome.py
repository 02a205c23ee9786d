"""What a package says about its purpose, its outcome and its erasure (docs/purposes.md).

- ``PurposeRef``: the published purpose template the request stayed within (id and version).
- ``OutcomeStatement``: the claims of an outcome the broker computed on the citizen's data with a published
  rule and signed with its published key; the package carries it as a compact JWS (``DataPackage.outcome``).
  It holds codes, the rule's (non-personal) parameters and a digest of the inputs: never an income or asset
  value.
- ``ErasureCommitment``: the SHA-256 of the erasure token only the citizen's receipt holds, and the retention
  the provider committed to; the provider erases the case when shown the token.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import date
from typing import TYPE_CHECKING, Annotated, Any, Literal

from pydantic import Field

from databrug.records.base import Instant, Record
from databrug.records.provenance import Role

if TYPE_CHECKING:  # package.py imports this module
    from databrug.records.package import Subject

OUTCOME_JWS_TYPE = "databrug-outcome+jwt"
"""The ``typ`` header of a signed outcome (a receipt's is another: one cannot pass for the other)."""

Sha256Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
RuleOutcome = Literal["grant", "reject", "investigate"]


class PurposeRef(Record):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    version: str = Field(pattern=r"^[0-9]+(\.[0-9]+){0,2}$")


class OutcomeReason(Record):
    """Why the outcome is what it is: a stable code of the rule, for one person or the household."""

    code: str = Field(pattern=r"^[a-z][a-z0-9_]{1,62}$")
    role: Role | None = None
    detail: str | None = Field(
        default=None, max_length=64, description="A document type or a count, never a value"
    )


class OutcomeStatement(Record):
    """The signed claims (JWS payload) of an outcome-only delivery."""

    iss: str = Field(description="The broker's URL")
    iat: int = Field(description="Signed at (seconds since the epoch)")
    session_id: str
    package_id: str
    provider_id: str
    provider_reference: str
    purpose: PurposeRef
    rule_id: str
    rule_version: str
    parameters: dict[str, Any] = Field(description="The rule's parameters as the provider set them")
    reference_date: date = Field(description="Peildatum: the day the rule was evaluated for")
    norms_year: int
    outcome: RuleOutcome
    reasons: list[OutcomeReason] = Field(default_factory=list)
    household_kind: Literal["alleenstaande", "alleenstaande_ouder", "gehuwden"]
    roles: list[Role] = Field(min_length=1, description="Whose data the outcome rests on")
    inputs_digest: Sha256Digest = Field(
        description="SHA-256 over the canonical JSON of the subjects the rule ran on (inputs_digest)"
    )
    evaluated_at: Instant


class ErasureCommitment(Record):
    token_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] = Field(
        description="SHA-256 (hex) of the erasure token in the citizen's receipt"
    )
    retention_days: int = Field(
        ge=1, le=36500, description="How long the provider committed to keep the case"
    )


def canonical_bytes(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same canonical form as ``databrug.consent.canonical_json``
    (records import nothing of ours, so it is repeated here; a test keeps the two equal)."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def inputs_digest(subjects: Iterable[Subject]) -> str:
    """``sha256:<hex>`` over the canonical JSON of the list of subjects the rule ran on, sorted by role, each
    ``model_dump(mode="json", exclude_defaults=True)`` (as the consent's data digest dumps a subject, so an
    optional field added to the model later leaves the digest of data not using it unchanged).

    A provider recomputes it from a package that carries the data (``databrug.sdk.outcome_inputs_match``)."""
    dumped = [
        s.model_dump(mode="json", exclude_defaults=True) for s in sorted(subjects, key=lambda s: s.role)
    ]
    return "sha256:" + hashlib.sha256(canonical_bytes(dumped)).hexdigest()


def outcome_sha256(signed: str) -> str:
    """``sha256:<hex>`` of a signed outcome (the compact JWS, ASCII): what each person's consent commits to
    (``ConsentRecord.outcome_sha256``)."""
    return "sha256:" + hashlib.sha256(signed.encode("ascii")).hexdigest()
