"""Household type (leefvorm) from the BRP data and what the applicant declared."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from typing import Literal

from databrug.eligibility.model import Finding, HouseholdFacts
from databrug.records import DataPackage, FuzzyDate, Person

HouseholdKind = Literal["alleenstaande", "alleenstaande_ouder", "gehuwden"]


@dataclass(frozen=True)
class Declaration:
    """What the application form said about the household."""

    partner: bool
    children: int


def age_in_months(birth: FuzzyDate | None, day: date) -> int | None:
    if birth is None or birth.date is None:
        return None
    born = birth.date
    months = (day.year - born.year) * 12 + day.month - born.month
    return months - (1 if day.day < born.day else 0)


def children_under_18(people: list[Person], day: date) -> int:
    seen: set[str] = set()
    count = 0
    for person in people:
        for child in person.children:
            key = child.bsn or repr(child.birth)
            months = age_in_months(child.birth, day)
            if key in seen or months is None or months >= 18 * 12:
                continue
            seen.add(key)
            count += 1
    return count


def assess_household(
    package: DataPackage, declaration: Declaration, day: date, aow_age_months: int
) -> tuple[HouseholdFacts, list[Finding]]:
    findings: list[Finding] = []
    applicant = package.subject("applicant")
    partner = package.subject("partner")
    people = [s.person for s in (applicant, partner) if s is not None and s.person is not None]
    ages: dict[str, int] = {}
    aow = False
    for subject in (applicant, partner):
        if subject is None:
            continue
        if subject.person is None:
            findings.append(Finding(code="brp_missing", role=subject.role))
            continue
        if subject.person.in_research:
            findings.append(Finding(code="brp_in_research", role=subject.role))
        months = age_in_months(subject.person.birth, day)
        if months is None:
            findings.append(Finding(code="birth_date_unknown", role=subject.role))
            continue
        ages[subject.role] = months // 12
        aow = aow or months >= aow_age_months

    brp_partner = bool(applicant and applicant.person and applicant.person.current_partner)
    fiscal_partner = bool(applicant and any(t.fiscal_partner_bsn for t in applicant.incomes.tax_years))
    delivered = partner is not None
    if declaration.partner and not delivered:
        findings.append(Finding(code="partner_declared_not_delivered", role="partner"))
    elif brp_partner and not delivered:
        findings.append(Finding(code="partner_in_brp_not_delivered", role="partner"))
    elif fiscal_partner and not delivered:
        findings.append(Finding(code="fiscal_partner_not_delivered", role="partner"))
    if delivered and not declaration.partner:
        findings.append(Finding(code="partner_delivered_not_declared", role="partner"))

    at_home = children_under_18(people, day)
    if declaration.children != at_home:
        findings.append(Finding(code="children_differ", detail=f"{declaration.children}/{at_home}"))
    has_partner = delivered or declaration.partner or brp_partner
    children = max(at_home, declaration.children)
    kind: HouseholdKind = (
        "gehuwden" if has_partner else "alleenstaande_ouder" if children > 0 else "alleenstaande"
    )
    facts = HouseholdFacts(
        kind=kind,
        aow=aow,
        partner_declared=declaration.partner,
        partner_delivered=delivered,
        partner_in_brp=brp_partner,
        declared_children=declaration.children,
        children_at_home=at_home,
        ages=ages,
    )
    return facts, findings
