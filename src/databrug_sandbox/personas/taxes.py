"""Belastingdienst: tax years (verzamelinkomen, boxes, wages per withholding agent) and allowances."""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal

from databrug.records import Allowance, TaxYear, WageStatement
from databrug.records.income import AllowanceKind
from databrug_sandbox.personas import figures
from databrug_sandbox.personas.housing import Dwelling
from databrug_sandbox.personas.income import Payment, money
from databrug_sandbox.personas.model import SANDBOX_REF

# Zelfstandigenaftrek per year, and the MKB-winstvrijstelling rate applied after it.
SELF_EMPLOYED_DEDUCTION = {2022: 6310, 2023: 5030, 2024: 3750, 2025: 2470, 2026: 1200}
SME_EXEMPTION = Decimal("0.127")
AOW_AGE_RATE = Decimal("0.1907")


@dataclass(frozen=True)
class TaxSituation:
    """What one adult's tax returns are computed from."""

    payments: list[Payment]
    business_profit: dict[int, Decimal]
    dividend: dict[int, Decimal]
    dwelling: Dwelling | None  # owners only
    home_share: Decimal
    savings: Decimal
    partner_bsn: str | None
    partner_from_year: int
    aow_from_year: int  # first year in which the AOW age is reached

    def income(self, year: int) -> Decimal:
        """Gross yearly income: wages and benefits plus business profit (the toetsingsinkomen's base)."""
        wages = sum((p.year_total(year) for p in self.payments), start=Decimal(0))
        return wages + self.business_profit.get(year, Decimal(0))


def _whole(value: Decimal) -> Decimal:
    return value.quantize(Decimal(1))


def tax_years(situation: TaxSituation, years: list[int], reference_year: int) -> list[TaxYear]:
    result: list[TaxYear] = []
    for year in years:
        statements = _wage_statements(situation, year)
        profit = situation.business_profit.get(year)
        taxable_profit = Decimal(0)
        if profit is not None:
            after_deduction = max(profit - SELF_EMPLOYED_DEDUCTION.get(year, 1200), Decimal(0))
            taxable_profit = after_deduction * (1 - SME_EXEMPTION)
        own_home = Decimal(0)
        if situation.dwelling is not None:
            forfait = situation.dwelling.woz_for_tax_year(year) * figures.EIGENWONINGFORFAIT_RATE
            debt = situation.dwelling.debt_at_start(year, reference_year)
            interest = debt * situation.dwelling.mortgage_rate
            own_home = (forfait - interest) * situation.home_share
        wages = sum((s.wage for s in statements), start=Decimal(0))
        if not statements and profit is None and situation.dwelling is None:
            continue
        box1 = _whole(max(wages + taxable_profit + own_home, Decimal(0)))
        box2 = situation.dividend.get(year)
        threshold = figures.year_figure(figures.BOX3_THRESHOLD, year)
        box3 = None
        if situation.savings > threshold:
            rate = figures.BOX3_SAVINGS_RETURN.get(year, Decimal("0.0128"))
            box3 = _whole((situation.savings - threshold) * rate)
        total = box1 + (box2 or 0) + (box3 or 0)
        partner = situation.partner_bsn if year >= situation.partner_from_year else None
        result.append(
            TaxYear(
                source_ref=SANDBOX_REF,
                year=year,
                verzamelinkomen=total,
                box1_income=box1,
                box2_income=box2,
                box3_income=box3,
                business_profit=_whole(profit) if profit is not None else None,
                wages=statements,
                fiscal_partner_bsn=partner,
            )
        )
    return result


def _wage_statements(situation: TaxSituation, year: int) -> list[WageStatement]:
    totals = [(p, _whole(p.year_total(year))) for p in situation.payments]
    totals = [(p, wage) for p, wage in totals if wage > 0]
    if not totals:
        return []
    main = max(range(len(totals)), key=lambda i: totals[i][1])
    rate = AOW_AGE_RATE if year >= situation.aow_from_year else figures.BOX1_RATE
    statements = []
    for index, (payment, wage) in enumerate(totals):
        credits = Decimal(0)
        if index == main:
            credits = figures.EMPLOYMENT_CREDITS if payment.kind == "employment" else figures.BENEFIT_CREDITS
        withheld = _whole(max(wage * rate - credits, Decimal(0)))
        statements.append(
            WageStatement(
                payer_name=payment.payer_name,
                payroll_tax_number=payment.payroll_tax_number,
                wage=wage,
                withheld_tax=withheld,
            )
        )
    return statements


@dataclass(frozen=True)
class AllowanceSituation:
    household_income: dict[int, Decimal]  # per year, all adults together
    couple: bool
    children_under_18: int
    household_savings: Decimal
    monthly_rent: Decimal | None  # tenants only, reference year


def allowances(situation: AllowanceSituation, reference_year: int) -> list[Allowance]:
    result: list[Allowance] = []
    for year in (reference_year - 1, reference_year):
        status: Literal["voorschot", "definitief"] = "voorschot" if year == reference_year else "definitief"
        income = _whole(situation.household_income.get(year, Decimal(0)))
        rent = None
        if situation.monthly_rent is not None:
            # Rents rise by about 5% a year on 1 July; the older year's allowance used the lower rent.
            rent = money(situation.monthly_rent / Decimal("1.05") ** (reference_year - year))
        amounts: tuple[tuple[AllowanceKind, Decimal], ...] = (
            ("zorgtoeslag", _zorgtoeslag(situation, income)),
            ("huurtoeslag", _huurtoeslag(situation, income, rent)),
            ("kindgebonden_budget", _kindgebonden(situation, income)),
        )
        for kind, amount in amounts:
            if amount <= 0:
                continue
            result.append(
                Allowance(
                    source_ref=SANDBOX_REF,
                    kind=kind,
                    year=year,
                    monthly_amount=money(amount),
                    status=status,
                    assessment_income=income,
                    monthly_rent=rent if kind == "huurtoeslag" else None,
                )
            )
    return result


def _zorgtoeslag(situation: AllowanceSituation, income: Decimal) -> Decimal:
    if situation.household_savings > figures.ZORGTOESLAG_ASSET_LIMIT * (2 if situation.couple else 1):
        return Decimal(0)
    maximum, full_until, zero_at = (
        figures.ZORGTOESLAG_COUPLE if situation.couple else figures.ZORGTOESLAG_SINGLE
    )
    if income <= full_until:
        return maximum
    share = max(zero_at - income, Decimal(0)) / (zero_at - full_until)
    return maximum * share


def _huurtoeslag(situation: AllowanceSituation, income: Decimal, rent: Decimal | None) -> Decimal:
    # Since 2025 there is no hard income limit: the own share (basishuur) rises with income until
    # nothing is left. A rent above the limit or savings above the asset limit rule it out.
    if rent is None or rent > figures.HUURTOESLAG_MAX_RENT:
        return Decimal(0)
    if situation.household_savings > figures.HUURTOESLAG_ASSET_LIMIT * (2 if situation.couple else 1):
        return Decimal(0)
    income_share = figures.HUURTOESLAG_COUPLE_SHARE if situation.couple else figures.HUURTOESLAG_SINGLE_SHARE
    base_rent = figures.HUURTOESLAG_BASE_RENT + max(income - 20000, Decimal(0)) / 12 * income_share
    return max(min(rent, figures.HUURTOESLAG_CAPPED_RENT) - base_rent, Decimal(0))


def _kindgebonden(situation: AllowanceSituation, income: Decimal) -> Decimal:
    if not situation.children_under_18:
        return Decimal(0)
    yearly = figures.KINDGEBONDEN_PER_CHILD_YEAR * situation.children_under_18
    if not situation.couple:
        yearly += figures.KINDGEBONDEN_SINGLE_PARENT_YEAR
    threshold = (
        figures.KINDGEBONDEN_THRESHOLD_COUPLE if situation.couple else figures.KINDGEBONDEN_THRESHOLD_SINGLE
    )
    yearly -= max(income - threshold, Decimal(0)) * figures.KINDGEBONDEN_TAPER
    return max(yearly / 12, Decimal(0))
