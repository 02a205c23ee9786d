"""Key facts of a household, computed from its records, for tests, docs and the ``personas --json`` output.

Definitions (tests rely on them; docs/personas.md repeats them):

- ``gross_monthly_income``: per person, for each income relation that is still running (a period ending
  within 62 days before the reference date) the mean of its last three periods' SV-wage without the
  company-car addition, four-weekly amounts times 13/12; plus the last tax year's business profit / 12.
  Each payment counts once (pensions being paid are UWV relations, not MPO amounts).
- ``children_at_home``: children under 18 on the reference date (the BRP lists older children too).
- ``home_equity``: latest WOZ value minus the mortgage debt of the last tax year (owners; 0 for tenants).
- ``total_assets``: bank balances on 1 January plus positive home equity.

Money values are strings with two decimals, so the JSON output stays exact.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal
from typing import Any

from databrug.records import UWV_BENEFIT_PAYROLL_NUMBERS, IncomeRelation, Subject, WagePeriod
from databrug_sandbox.personas.model import Citizen, Household

CENT = Decimal("0.01")
RUNNING_WITHIN = timedelta(days=62)


def _money(value: Decimal) -> str:
    return str(value.quantize(CENT))


def _age(born: date, day: date) -> int:
    return day.year - born.year - ((day.month, day.day) < (born.month, born.day))


def is_four_weekly(relation: IncomeRelation) -> bool:
    """A 28-day period that is not a calendar month (February) nor cut at a month's edges."""
    return any(
        (p.end - p.start).days + 1 == 28 and p.start.day != 1 and (p.end + timedelta(days=1)).day != 1
        for p in relation.periods
    )


def cash_wage(period: WagePeriod) -> Decimal:
    car = (period.car_private_use_value or 0) - (period.car_own_contribution or 0)
    return period.sv_wage - car


def relation_monthly_income(relation: IncomeRelation, reference: date) -> Decimal:
    """Mean of the last three periods (cash wage), as a monthly amount; 0 when the relation has ended."""
    periods = sorted(relation.periods, key=lambda p: p.end)
    if not periods or periods[-1].end < reference - RUNNING_WITHIN:
        return Decimal(0)
    last = periods[-3:]
    mean = sum((cash_wage(p) for p in last), start=Decimal(0)) / len(last)
    if is_four_weekly(relation):
        mean = mean * 13 / 12
    return mean


def person_monthly_income(subject: Subject, reference: date) -> Decimal:
    total = sum(
        (relation_monthly_income(r, reference) for r in subject.incomes.relations),
        start=Decimal(0),
    )
    years = sorted(subject.incomes.tax_years, key=lambda t: t.year)
    if years and years[-1].business_profit is not None:
        total += years[-1].business_profit / 12
    return total.quantize(CENT)


def _uwv_benefit_names(subject: Subject) -> list[str]:
    return [
        r.payer_name.split("-Uitkering")[0]
        for r in subject.incomes.relations
        if r.payroll_tax_number in UWV_BENEFIT_PAYROLL_NUMBERS
    ]


def _last_end(relation: IncomeRelation) -> str | None:
    return max(p.end for p in relation.periods).isoformat() if relation.periods else None


def _person_facts(citizen: Citizen, reference: date) -> dict[str, Any]:
    subject = citizen.facts
    person = subject.person
    assert person is not None
    assert person.birth is not None
    assert person.birth.date is not None
    relations = subject.incomes.relations
    employments = [r for r in relations if r.kind == "employment"]
    years = sorted(subject.incomes.tax_years, key=lambda t: t.year)
    return {
        "role": subject.role,
        "bsn": person.bsn,
        "name": person.name.display,
        "username": citizen.digid.username,
        "password": citizen.digid.password,
        "sms_enabled": citizen.digid.sms_enabled,
        "age": _age(person.birth.date, reference),
        "marital_status": person.marital_status,
        "income_relations": len(relations),
        # when each relation's last period ended: what a purpose that keeps N months of wages still sends
        "income_relation_ends": [
            max(p.end for p in r.periods).isoformat() if r.periods else None for r in relations
        ],
        "employment_relations": len(employments),
        "benefit_relations": len(relations) - len(employments),
        "uwv_benefits": _uwv_benefit_names(subject),
        "municipal_benefit": any(r.payer_name.startswith("Gemeente ") for r in relations),
        "four_weekly_periods": any(is_four_weekly(r) for r in relations),
        "company_car": any(p.car_private_use_value for r in relations for p in r.periods),
        "job_change": len(employments) > 1,
        "self_employed": any(t.business_profit is not None for t in years),
        "tax_years": [t.year for t in years],
        "verzamelinkomen_last_year": _money(years[-1].verzamelinkomen) if years else None,
        "state_pension": subject.pensions.state_pension is not None,
        "pension_schemes": len(subject.pensions.schemes),
        "indicative_schemes": sum(1 for s in subject.pensions.schemes if s.kind == "indicative"),
        "survivor_pensions": len(subject.pensions.survivor_pensions),
        "vehicles": len(subject.assets.vehicles),
        "bank_balance": _money(sum((b.balance for b in subject.assets.bank_balances), start=Decimal(0))),
        "gross_monthly_income": _money(person_monthly_income(subject, reference)),
    }


def compute_key_facts(household: Household) -> dict[str, Any]:
    reference = household.reference_date
    citizens = household.citizens()
    applicant = household.applicant.facts
    assert applicant.person is not None
    children: dict[str, date] = {}
    for citizen in citizens:
        assert citizen.facts.person is not None
        for child in citizen.facts.person.children:
            if child.bsn and child.birth and child.birth.date:
                children[child.bsn] = child.birth.date
    at_home = sum(1 for born in children.values() if _age(born, reference) < 18)
    home = applicant.assets.homes[0]
    woz = max(home.woz_values, key=lambda v: v.reference_date).value if home.woz_values else Decimal(0)
    last_mortgage_year = max((m.year for c in citizens for m in c.facts.assets.mortgages), default=None)
    debt = sum(
        (
            m.debt_at_start_of_year
            for c in citizens
            for m in c.facts.assets.mortgages
            if m.year == last_mortgage_year
        ),
        start=Decimal(0),
    )
    equity = woz - debt if home.relation != "tenant" else Decimal(0)
    balances = sum(
        (b.balance for c in citizens for b in c.facts.assets.bank_balances),
        start=Decimal(0),
    )
    current_allowances = [a for a in applicant.incomes.allowances if a.year == reference.year]
    rent = next((a.monthly_rent for a in current_allowances if a.monthly_rent is not None), None)
    partner_bsn = household.partner.bsn if household.partner else None
    people = [_person_facts(c, reference) for c in citizens]
    return {
        "household_size": len(citizens) + at_home,
        "adults": len(citizens),
        "children": len(children),
        "children_at_home": at_home,
        "partner_expected": household.partner is not None,
        "partner_kind": household.partner_kind,
        "partner_in_brp": applicant.person.current_partner is not None,
        "fiscal_partner_in_tax_data": partner_bsn is not None
        and any(t.fiscal_partner_bsn == partner_bsn for t in applicant.incomes.tax_years),
        "divorced": any(p.dissolved_on is not None for p in applicant.person.partners),
        "housing": "tenant" if home.relation == "tenant" else "owner",
        "monthly_rent": _money(rent) if rent is not None else None,
        "woz_value": _money(woz),
        "mortgage_debt": _money(debt),
        "home_equity": _money(equity),
        "bank_balance_total": _money(balances),
        "total_assets": _money(balances + max(equity, Decimal(0))),
        "allowances": sorted({a.kind for a in current_allowances}),
        "gross_monthly_income": _money(
            sum((Decimal(p["gross_monthly_income"]) for p in people), start=Decimal(0))
        ),
        "people": people,
    }
