"""Income relations (UWV polisadministratie) and the wage periods they produce.

A ``Payment`` is one payer paying one person from ``start`` to ``end``; its periods are computed, so the
verzekeringsbericht window and the tax years' wage totals always agree.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal, NamedTuple

from databrug.records import IncomeRelation, WagePeriod
from databrug_sandbox.personas.figures import HOLIDAY_ALLOWANCE_RATE
from databrug_sandbox.personas.model import SANDBOX_REF
from databrug_sandbox.personas.periods import PayFrequency, periods_between

CENT = Decimal("0.01")
EMPLOYEE_LAWS = ("WW", "ZW", "WAO/WIA")

CONTRACT_PERMANENT = "schriftelijke arbeidsovereenkomst voor onbepaalde tijd, geen oproepovereenkomst"
CONTRACT_TEMPORARY = "schriftelijke arbeidsovereenkomst voor bepaalde tijd, geen oproepovereenkomst"
CONTRACT_ON_CALL = "schriftelijke arbeidsovereenkomst voor bepaalde tijd, oproepovereenkomst"
CONTRACT_UNWRITTEN = "niet schriftelijke arbeidsovereenkomst voor onbepaalde tijd, geen oproepovereenkomst"
CONTRACT_PUBLIC = "publiekrechtelijke aanstelling voor onbepaalde tijd"
CONTRACT_PUBLIC_TEMPORARY = "publiekrechtelijke aanstelling voor bepaalde tijd"

# Which of UWV's own payroll numbers carries which benefit is our choice; the numbers themselves are UWV's.
UWV_BENEFITS = {
    "WW": ("WW-Uitkering van UWV", "810220350L02"),
    "WIA": ("WIA (WGA)-Uitkering van UWV", "810220350L04"),
    "ZW": ("Ziektewet- of WAZO-Uitkering van UWV", "810220350L20"),
    "WAJONG": ("WAO- en Wajong-Uitkering van UWV", "810220350L23"),
    "TW": ("Toeslag bij Uitkering (TW) van UWV", "810220350L26"),
    "IVA": ("WIA (IVA)-Uitkering van UWV", "810220350L53"),
}


def money(value: Decimal) -> Decimal:
    return value.quantize(CENT, rounding=ROUND_HALF_UP)


class Line(NamedTuple):
    """One wage period before it becomes a record (cheap to compute for whole tax years)."""

    start: date
    end: date
    hours: Decimal
    sv_wage: Decimal
    car_value: Decimal | None
    car_contribution: Decimal | None

    def record(self) -> WagePeriod:
        return WagePeriod(
            start=self.start,
            end=self.end,
            hours=self.hours,
            sv_wage=self.sv_wage,
            car_private_use_value=self.car_value,
            car_own_contribution=self.car_contribution,
        )


@dataclass(frozen=True)
class CompanyCar:
    private_use_month: Decimal  # bijtelling per month
    own_contribution_month: Decimal


@dataclass(frozen=True)
class Payment:
    kind: Literal["employment", "benefit"]
    payer_name: str
    payroll_tax_number: str
    frequency: PayFrequency
    start: date
    end: date | None
    monthly_amount: Decimal  # gross per month at the reference year's level, without holiday pay or car
    hours_per_week: Decimal
    contract_type: str | None
    insured_laws: tuple[str, ...]
    variation_seed: int
    reference_year: int
    yearly_raise: Decimal = Decimal("0.03")
    year_amounts: dict[int, Decimal] = field(default_factory=dict)  # overrides the raise when given
    step_down: tuple[date, Decimal] | None = None  # from this day on, the amount is multiplied by this
    holiday_pay: bool = True
    on_call: bool = False
    variable_pay: bool = False
    car: CompanyCar | None = None
    # Lines by period start: the same period is asked for by the UWV window and by the tax years.
    _lines: dict[date, Line | None] = field(default_factory=dict, compare=False, repr=False)

    def active_on(self, day: date) -> bool:
        return self.start <= day and (self.end is None or day <= self.end)

    def monthly_in(self, year: int, day: date) -> Decimal:
        if year in self.year_amounts:
            amount = self.year_amounts[year]
        else:
            amount = self.monthly_amount * (1 + self.yearly_raise) ** (year - self.reference_year)
        if self.step_down is not None and day >= self.step_down[0]:
            amount *= self.step_down[1]
        return amount

    def periods(self, first: date, last: date) -> list[Line]:
        """Wage periods that start on or after ``first`` and end on or before ``last``."""
        stop = last if self.end is None else min(last, self.end)
        result: list[Line] = []
        for period_start, period_end in periods_between(self.frequency, max(first, self.start), stop):
            if period_start < first or period_end > last:
                continue
            if period_start not in self._lines:
                self._lines[period_start] = self._line(period_start, period_end)
            line = self._lines[period_start]
            if line is not None:
                result.append(line)
        return result

    def _line(self, period_start: date, period_end: date) -> Line | None:
        start = max(period_start, self.start)
        end = period_end if self.end is None else min(period_end, self.end)
        if end < start:
            return None
        fraction = Decimal((end - start).days + 1) / Decimal((period_end - period_start).days + 1)
        per_period = Decimal(12) / Decimal(13) if self.frequency == "four_weekly" else Decimal(1)
        hours_full = self.hours_per_week * (
            Decimal(4) if self.frequency == "four_weekly" else Decimal(52) / 12
        )
        wobble = (
            random.Random(self.variation_seed * 1_000_003 + period_start.toordinal())  # noqa: S311
            if self.on_call or self.variable_pay
            else None
        )
        factor = fraction
        if self.on_call and wobble is not None:
            factor *= Decimal(wobble.randint(45, 120)) / 100
        wage = self.monthly_in(period_start.year, start) * per_period * factor
        if self.variable_pay and wobble is not None:
            wage *= 1 + Decimal(wobble.randint(-20, 60)) / 1000
        wage += self._holiday_pay(period_start, period_end)
        car_value = car_contribution = None
        if self.car is not None:
            car_value = money(self.car.private_use_month * per_period * fraction)
            car_contribution = money(self.car.own_contribution_month * per_period * fraction)
            wage += car_value - car_contribution
        hours = (hours_full * factor).quantize(Decimal(1), rounding=ROUND_HALF_UP)
        return Line(
            start=start,
            end=end,
            hours=hours.quantize(CENT) if self.hours_per_week else Decimal("0.00"),
            sv_wage=money(wage),
            car_value=car_value,
            car_contribution=car_contribution,
        )

    def _holiday_pay(self, period_start: date, period_end: date) -> Decimal:
        """Holiday allowance: the year's amount in May, or what was saved up when the relation ends."""
        if not self.holiday_pay:
            return Decimal(0)
        may_payday = date(period_start.year, 5, 31)
        if period_start <= may_payday <= period_end and self.active_on(may_payday):
            saved_from = max(self.start, date(period_start.year - 1, 6, 1))
            months = Decimal((may_payday - saved_from).days) / Decimal("30.4375")
            return (
                self.monthly_in(period_start.year - 1, saved_from)
                * HOLIDAY_ALLOWANCE_RATE
                * min(months, Decimal(12))
            )
        if self.end is not None and period_start <= self.end <= period_end:
            last_may = date(
                self.end.year if self.end >= date(self.end.year, 6, 1) else self.end.year - 1, 6, 1
            )
            saved_from = max(self.start, last_may)
            months = Decimal((self.end - saved_from).days + 1) / Decimal("30.4375")
            return self.monthly_in(self.end.year, self.end) * HOLIDAY_ALLOWANCE_RATE * months
        return Decimal(0)

    def year_total(self, year: int) -> Decimal:
        return sum(
            (p.sv_wage for p in self.periods(date(year, 1, 1), date(year, 12, 31))),
            start=Decimal(0),
        )

    def relation(self, first: date, last: date) -> IncomeRelation | None:
        periods = self.periods(first, last)
        if not periods:
            return None
        return IncomeRelation(
            source_ref=SANDBOX_REF,
            kind=self.kind,
            payer_name=self.payer_name,
            payroll_tax_number=self.payroll_tax_number,
            insured_laws=list(self.insured_laws),
            contract_type=self.contract_type,
            periods=[line.record() for line in periods],
        )


def month_end(day: date) -> date:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return following - timedelta(days=1)


def months_before(day: date, months: int) -> date:
    """The first day of the month ``months`` months before ``day``'s month."""
    index = day.year * 12 + day.month - 1 - months
    return date(index // 12, index % 12 + 1, 1)
