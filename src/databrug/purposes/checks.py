"""Does a registration or a session's request fit its purpose templates? Refusals name the fields at fault."""

from __future__ import annotations

from collections.abc import Iterable, Mapping, Sequence
from typing import Any, Literal

from databrug.purposes.catalogue import template
from databrug.purposes.errors import PurposeExceeded
from databrug.purposes.model import PurposeTemplate
from databrug.records import SourceName


def check_registration(
    purposes: Sequence[str],
    sources: Iterable[SourceName],
    want_documents: bool,
    retention_days: int,
    third_parties: Sequence[str],
) -> None:
    """A registration must fit EACH purpose it names: its sources, originals, retention and third parties hold
    for every session it creates, whichever purpose that session names. ``PurposeUnknown`` for a purpose no
    template has, ``PurposeExceeded`` (every field at fault, per purpose) for asking more."""
    if len(set(purposes)) != len(purposes):
        raise ValueError("purposes must be distinct")
    asked = list(sources)
    for purpose in purposes:
        bounds = template(purpose)
        fields = [f"sources.{s}" for s in asked if s not in bounds.sources]
        if want_documents and not bounds.originals_allowed:
            fields.append("want_documents")
        if retention_days > bounds.max_retention_days:
            fields.append("retention_days")
        if third_parties and not bounds.third_parties_allowed:
            fields.append("third_parties")
        if fields:
            raise PurposeExceeded(fields, bounds.ref)


def check_request(
    bounds: PurposeTemplate,
    *,
    sources: Iterable[SourceName],
    wage_months: int,
    tax_years: int,
    documents: bool,
    delivery: Literal["data", "outcome"],
    parameters: Mapping[str, Any] | None,
) -> None:
    """One session's request against its template; ``PurposeExceeded`` names every field asking too much.

    ``parameters`` are checked against the template's published bounds only (names and values); the rule's
    own model validates them too (``databrug.eligibility.RuleParameters``, in the broker)."""
    fields = [f"sources.{s}" for s in sources if s not in bounds.sources]
    if wage_months > bounds.max_wage_months:
        fields.append("history.wage_months")
    if tax_years > bounds.max_tax_years:
        fields.append("history.tax_years")
    if documents and not bounds.originals_allowed:
        fields.append("documents")
    if delivery == "outcome":
        if bounds.rule is None:
            fields.append("delivery")
        elif parameters is not None:
            for name, value in parameters.items():
                bound = bounds.rule.parameters.get(name)
                if bound is None or not bound.allows(value):
                    fields.append(f"outcome.parameters.{name}" if bound else "outcome.parameters")
    if fields:
        raise PurposeExceeded(list(dict.fromkeys(fields)), bounds.ref)
