"""The advice: grant, reject or investigate, with every step of the computation kept for the dossier.

Order of reasons: data problems first (they make the outcome "investigate"), then the income and asset
tests. A rejection needs complete, consistent data; with any data problem the advice is "investigate" and
the reasons also say which test would fail.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databrug.eligibility.assets import bank_items, home_equity_items, vehicle_items
from databrug.eligibility.household import (
    Declaration,
    HouseholdKind,
    age_in_months,
    assess_household,
)
from databrug.eligibility.income import person_income
from databrug.eligibility.model import (
    Advice,
    AssetTest,
    Finding,
    IncomeTest,
    Outcome,
    PersonIncome,
)
from databrug.eligibility.norms import Norms, load_norms
from databrug.eligibility.parameters import RuleParameters
from databrug.eligibility.tax import cents, estimate_net
from databrug.records import DataPackage

ZERO = Decimal(0)
REQUIRED_DOCUMENTS = ("brp-persoon", "verzekeringsbericht", "belastinggegevens")


def income_limit(
    norms: Norms, parameters: RuleParameters, kind: HouseholdKind, aow: bool
) -> tuple[Decimal, Decimal, Decimal]:
    """(norm incl. VT, norm applied, limit): excl. VT = norm × 0.95 rounded first, as published tables do."""
    norm = norms.norm(kind, aow)
    applied = (
        norm if parameters.includes_holiday_allowance else cents(norm * (1 - norms.holiday_allowance_share))
    )
    return norm, applied, cents(applied * parameters.percentage / 100)


def asset_limit(norms: Norms, parameters: RuleParameters, kind: HouseholdKind) -> Decimal:
    if kind == "alleenstaande":
        return (
            parameters.asset_limit_single
            if parameters.asset_limit_single is not None
            else norms.asset_limits[kind]
        )
    override = parameters.asset_limit_family
    return override if override is not None else norms.asset_limits[kind]


def _data_findings(package: DataPackage) -> list[Finding]:
    findings: list[Finding] = []
    for subject in package.subjects:
        entries = [e for e in package.sources if e.subject == subject.role]
        delivered = {e.document_type for e in entries}
        for document in REQUIRED_DOCUMENTS:
            if document not in delivered:
                findings.append(Finding(code="document_missing", role=subject.role, detail=document))
        for entry in entries:
            if entry.status == "partial":
                findings.append(Finding(code="source_partial", role=subject.role, detail=entry.document_type))
    return findings


def assess(
    package: DataPackage,
    declaration: Declaration,
    parameters: RuleParameters,
    reference_date: date | None = None,
    norms: Norms | None = None,
) -> Advice:
    norms = norms or load_norms()
    day = reference_date or package.created_at.date()
    household, findings = assess_household(package, declaration, day, norms.aow_age_months)
    findings += _data_findings(package)

    persons: list[PersonIncome] = []
    has_partner = household.kind == "gehuwden"
    for subject in package.subjects:
        months = age_in_months(subject.person.birth, day) if subject.person else None
        own_aow = months is not None and months >= norms.aow_age_months
        items, gross, labour = person_income(subject, day, months, own_aow, has_partner)
        if gross == 0 and any(i.reason == "ended" for i in items):
            findings.append(Finding(code="income_ended_no_current_income", role=subject.role))
        persons.append(
            PersonIncome(
                role=subject.role,
                age=None if months is None else months // 12,
                aow=own_aow,
                gross_monthly=gross,
                labour_monthly=labour,
                net=estimate_net(gross, labour, norms.tax, own_aow),
                items=items,
            )
        )

    norm, applied, limit = income_limit(norms, parameters, household.kind, household.aow)
    net = sum((p.net.net_monthly for p in persons), start=ZERO)
    income_test = IncomeTest(
        norm_including_holiday_allowance=norm,
        norm_applied=applied,
        includes_holiday_allowance=parameters.includes_holiday_allowance,
        percentage=parameters.percentage,
        limit=limit,
        household_gross_monthly=sum((p.gross_monthly for p in persons), start=ZERO),
        household_net_monthly=net,
        passed=net <= limit,
    )

    assets = bank_items(package) + home_equity_items(
        package, parameters.home_equity_rule, norms.home_equity_exemption
    )
    assets += vehicle_items(package)
    counted = sum((i.counted_amount for i in assets), start=ZERO)
    a_limit = asset_limit(norms, parameters, household.kind)
    asset_test = AssetTest(
        applied=parameters.asset_test,
        home_equity_rule=parameters.home_equity_rule,
        home_equity_exemption=norms.home_equity_exemption,
        limit=a_limit,
        total_counted=counted,
        items=assets,
        passed=not parameters.asset_test or counted <= a_limit,
    )

    reasons = list(findings)
    if not income_test.passed:
        reasons.append(Finding(code="income_too_high"))
    if not asset_test.passed:
        reasons.append(Finding(code="assets_too_high"))
    outcome: Outcome = (
        "investigate" if findings else "reject" if not (income_test.passed and asset_test.passed) else "grant"
    )
    return Advice(
        outcome=outcome,
        reasons=reasons,
        reference_date=day,
        norms_year=norms.year,
        household=household,
        persons=persons,
        income_test=income_test,
        asset_test=asset_test,
        sources=[
            norms.bijstandsnormen_source,
            norms.asset_limits_source,
            norms.tax.source,
            norms.aow_age_source,
        ],
    )
