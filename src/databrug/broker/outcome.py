"""Outcome-only delivery: the purpose's published rule evaluated by the broker on the citizen's reviewed data.

The same function serves the review (``Broker.outcome_preview``: the citizen sees the outcome and its inputs
before consenting) and the handover (the signed outcome in the package), on the same template-bounded subjects
the review shows, with the rule the demo provider uses too (``databrug.eligibility.assess``), for the broker
clock's day. The statement it yields holds codes, the parameters and a digest of the inputs: no values.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import date, datetime

from pydantic import ValidationError

from databrug import purposes
from databrug.broker.errors import BrokerError
from databrug.eligibility import RULE_ID, RULE_VERSION, Advice, Declaration, RuleParameters, assess
from databrug.purposes.errors import PurposeUnknown
from databrug.records import DataPackage, ProviderRef, Role, SourceEntry, Subject
from databrug.records.outcome import OutcomeReason, OutcomeStatement, PurposeRef, inputs_digest
from databrug.sessions.model import DataRequest, SessionRecord


@dataclass(frozen=True)
class OutcomePreview:
    advice: Advice
    parameters: RuleParameters
    rule_id: str
    rule_version: str
    reference_date: date
    purpose: PurposeRef
    roles: tuple[Role, ...]
    inputs_digest: str
    """``sha256:`` over the subjects the rule ran on (``databrug.records.outcome.inputs_digest``)."""


def outcome_request(record: SessionRecord) -> DataRequest | None:
    """The session's request when it asks for the outcome instead of the data, else None."""
    request = record.request
    return request if request is not None and request.delivery == "outcome" else None


def rule_parameters(request: DataRequest) -> RuleParameters:
    """The rule's parameters the session gave (checked against the template when it was created)."""
    try:
        return RuleParameters.model_validate(request.outcome_parameters or {})
    except ValidationError as exc:
        raise BrokerError("outcome_unavailable", "the session's rule parameters are not valid") from exc


def _check_rule(request: DataRequest) -> None:
    try:
        published = purposes.template(request.purpose, request.purpose_version)
    except PurposeUnknown as exc:
        raise BrokerError("outcome_unavailable", "the session's purpose template is not published") from exc
    rule = published.rule
    if rule is None or (rule.id, rule.version) != (RULE_ID, RULE_VERSION):
        raise BrokerError("outcome_unavailable", "the session's purpose has no rule the broker evaluates")


def evaluate_outcome(
    record: SessionRecord,
    provider: ProviderRef,
    package_id: str,
    subjects: Sequence[Subject],
    entries: Sequence[SourceEntry],
    now: datetime,
) -> OutcomePreview:
    """``assess`` on the (bounded) subjects and their source entries, as a package created ``now`` would be
    assessed by the provider; ``outcome_unavailable`` for a session that does not ask for the outcome."""
    request = outcome_request(record)
    if request is None:
        raise BrokerError("outcome_unavailable", "this session asks for the data, not an outcome")
    _check_rule(request)
    parameters = rule_parameters(request)
    as_received = DataPackage(
        package_id=package_id,
        created_at=now,
        provider=provider,
        provider_reference=record.reference,
        subjects=list(subjects),
        sources=[e for e in entries if e.subject in {s.role for s in subjects}],
    )
    declaration = Declaration(partner=record.partner_expected, children=request.declared_children or 0)
    day = now.date()
    return OutcomePreview(
        advice=assess(as_received, declaration, parameters, reference_date=day),
        parameters=parameters,
        rule_id=RULE_ID,
        rule_version=RULE_VERSION,
        reference_date=day,
        purpose=PurposeRef(id=request.purpose, version=request.purpose_version),
        roles=tuple(s.role for s in subjects),
        inputs_digest=inputs_digest(subjects),
    )


def outcome_statement(
    preview: OutcomePreview, record: SessionRecord, package_id: str, issuer: str, now: datetime
) -> OutcomeStatement:
    """The claims to sign: codes, parameters and the inputs' digest, never an income or asset value."""
    advice = preview.advice
    return OutcomeStatement(
        iss=issuer,
        iat=int(now.timestamp()),
        session_id=record.session_id,
        package_id=package_id,
        provider_id=record.provider_id,
        provider_reference=record.reference,
        purpose=preview.purpose,
        rule_id=preview.rule_id,
        rule_version=preview.rule_version,
        parameters=preview.parameters.model_dump(mode="json"),
        reference_date=preview.reference_date,
        norms_year=advice.norms_year,
        outcome=advice.outcome,
        reasons=[OutcomeReason(code=r.code, role=r.role, detail=r.detail) for r in advice.reasons],
        household_kind=advice.household.kind,
        roles=list(preview.roles),
        inputs_digest=preview.inputs_digest,
        evaluated_at=now,
    )
