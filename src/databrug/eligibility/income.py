"""Monthly gross income per person from the package, the way a municipality counts it.

- Wages and benefits (UWV verzekeringsbericht, including pensions and AOW being paid, whose payer is the fund
  or the SVB): for each relation still running (last period ending within 62 days before the reference
  date) the mean of its last three periods, SV-wage minus the company-car addition (not cash), four-weekly
  periods × 13/12.
- Self-employed profit: the last tax year's business profit / 12.
- Past the AOW age without any running benefit relation: the projected AOW and the pensions whose start age
  is reached (Mijnpensioenoverzicht), marked as projected.
- Excluded: allowances (zorgtoeslag, huurtoeslag, kindgebonden budget, kinderopvangtoeslag) — listed, not
  counted.
"""

from __future__ import annotations

from datetime import date, timedelta
from decimal import Decimal

from databrug.eligibility.model import IncomeItem, PeriodUsed
from databrug.eligibility.tax import cents
from databrug.records import IncomeRelation, Role, Subject, WagePeriod

RUNNING_WITHIN = timedelta(days=62)
PERIODS_AVERAGED = 3
ZERO = Decimal(0)


def is_four_weekly(relation: IncomeRelation) -> bool:
    """A 28-day period that is neither February nor cut at a month's edges."""
    return any(
        (p.end - p.start).days + 1 == 28 and p.start.day != 1 and (p.end + timedelta(days=1)).day != 1
        for p in relation.periods
    )


def cash_wage(period: WagePeriod) -> Decimal:
    car = (period.car_private_use_value or ZERO) - (period.car_own_contribution or ZERO)
    return period.sv_wage - car


def is_running(relation: IncomeRelation, day: date) -> bool:
    return bool(relation.periods) and max(p.end for p in relation.periods) >= day - RUNNING_WITHIN


def relation_item(relation: IncomeRelation, role: Role, day: date) -> tuple[IncomeItem, Decimal]:
    """The item for the dossier and the exact (unrounded) monthly amount."""
    periods = sorted(relation.periods, key=lambda p: p.end)
    last = periods[-PERIODS_AVERAGED:]
    four_weekly = is_four_weekly(relation)
    running = is_running(relation, day)
    exact = ZERO
    if running and last:
        exact = sum((cash_wage(p) for p in last), start=ZERO) / len(last)
        if four_weekly:
            exact = exact * 13 / 12
    item = IncomeItem(
        role=role,
        category=relation.kind,
        label=relation.payer_name,
        monthly_gross=cents(exact),
        counted=running,
        reason=("four_weekly_mean" if four_weekly else "monthly_mean") if running else "ended",
        source_ref=relation.source_ref,
        periods=[PeriodUsed(start=p.start, end=p.end, amount=cash_wage(p)) for p in last],
        four_weekly=four_weekly,
    )
    return item, exact


def pension_items(subject: Subject, age_months: int, has_partner: bool) -> list[IncomeItem]:
    """Projected AOW and pensions for someone past their start age whose payments the UWV data lacks."""
    items: list[IncomeItem] = []
    state = subject.pensions.state_pension
    role = subject.role
    if state is not None and age_months >= state.start_age.years * 12 + state.start_age.months:
        yearly = (state.projected_together if has_partner else state.projected_single) or ZERO
        items.append(
            IncomeItem(
                role=role,
                category="state_pension",
                label="AOW",
                monthly_gross=cents(yearly / 12),
                counted=True,
                reason="projected_past_start_age",
                source_ref=state.source_ref,
                projected=True,
            )
        )
    for scheme in subject.pensions.schemes:
        start = scheme.start_age
        if start is None or age_months < start.years * 12 + start.months:
            continue
        items.append(
            IncomeItem(
                role=role,
                category="pension",
                label=scheme.provider,
                monthly_gross=cents((scheme.projected_yearly or ZERO) / 12),
                counted=True,
                reason="projected_past_start_age",
                source_ref=scheme.source_ref,
                projected=True,
            )
        )
    return items


def person_income(
    subject: Subject, day: date, age_months: int | None, aow: bool, has_partner: bool
) -> tuple[list[IncomeItem], Decimal, Decimal]:
    """Items, monthly gross counted, monthly labour income (wages + profit) — both rounded to cents."""
    items: list[IncomeItem] = []
    gross = ZERO
    labour = ZERO
    running_benefits = 0
    for relation in subject.incomes.relations:
        item, exact = relation_item(relation, subject.role, day)
        items.append(item)
        if item.counted:
            gross += exact
            if relation.kind == "employment":
                labour += exact
            else:
                running_benefits += 1
    years = sorted(subject.incomes.tax_years, key=lambda t: t.year)
    if years and years[-1].business_profit is not None:
        profit = years[-1].business_profit / 12
        gross += profit
        labour += profit
        items.append(
            IncomeItem(
                role=subject.role,
                category="business_profit",
                label=str(years[-1].year),
                monthly_gross=cents(profit),
                counted=True,
                reason="profit_last_tax_year",
                source_ref=years[-1].source_ref,
            )
        )
    if aow and age_months is not None and running_benefits == 0:
        for item in pension_items(subject, age_months, has_partner):
            items.append(item)
            gross += item.monthly_gross
    for allowance in subject.incomes.allowances:
        if allowance.year != day.year:
            continue
        items.append(
            IncomeItem(
                role=subject.role,
                category="allowance",
                label=allowance.kind,
                monthly_gross=allowance.monthly_amount,
                counted=False,
                reason="allowance_excluded",
                source_ref=allowance.source_ref,
            )
        )
    return items, cents(gross), cents(labour)
