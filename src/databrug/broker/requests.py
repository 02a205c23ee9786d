"""What a new session asks for, within its purpose template: checked once, at creation, into the
``DataRequest`` the session keeps (docs/purposes.md). Over-asking is ``purpose_exceeded`` with the fields
at fault; a purpose the registration does not name is ``purpose_not_registered``."""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any, Literal

from pydantic import ValidationError

from databrug import purposes
from databrug.eligibility import RuleParameters
from databrug.purposes import PurposeExceeded, PurposeNotRegistered, PurposeUnknown
from databrug.records import SourceName
from databrug.registrations.model import ProviderRegistration
from databrug.sessions.model import DataRequest


def session_request(
    registration: ProviderRegistration,
    sources: Sequence[SourceName],
    *,
    purpose: str | None = None,
    wage_months: int | None = None,
    tax_years: int | None = None,
    documents: bool | None = None,
    delivery: Literal["data", "outcome"] = "data",
    parameters: Mapping[str, Any] | None = None,
    declared_children: int | None = None,
) -> DataRequest:
    """The request for a session of ``registration``; what the provider leaves out is the template's maximum
    (history), or what the registration wants (originals, where the template allows them)."""
    chosen = purpose or registration.purposes[0]
    if chosen not in registration.purposes:
        raise PurposeNotRegistered()
    try:
        bounds = purposes.template(chosen)
    except PurposeUnknown:
        raise PurposeNotRegistered() from None
    if documents is None:
        documents = registration.want_documents and bounds.originals_allowed
    elif documents and not registration.want_documents:
        raise PurposeExceeded(["documents"], bounds.ref)
    wage_months = bounds.max_wage_months if wage_months is None else wage_months
    tax_years = bounds.max_tax_years if tax_years is None else tax_years
    purposes.check_request(
        bounds,
        sources=sources,
        wage_months=wage_months,
        tax_years=tax_years,
        documents=documents,
        delivery=delivery,
        parameters=parameters,
    )
    outcome_parameters = None
    if delivery == "outcome":
        try:
            rule_parameters = RuleParameters.model_validate(dict(parameters or {}))
        except ValidationError as exc:
            fields = sorted({"outcome.parameters." + ".".join(map(str, e["loc"])) for e in exc.errors()})
            raise PurposeExceeded(fields, bounds.ref) from None
        outcome_parameters = rule_parameters.model_dump(mode="json")
    return DataRequest(
        purpose=bounds.id,
        purpose_version=bounds.version,
        wage_months=wage_months,
        tax_years=tax_years,
        include_documents=documents,
        delivery=delivery,
        outcome_parameters=outcome_parameters,
        declared_children=declared_children if delivery == "outcome" else None,
    )
