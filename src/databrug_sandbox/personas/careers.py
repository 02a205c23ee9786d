"""Careers: who pays a person, from when to when, and how much (employers, UWV, municipality, SVB, funds).

Part of building a household (generator.py): the same ``random.Random`` flows through, in the same order.
"""

from __future__ import annotations

import random
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Literal

from databrug.records import Pensions, PersonName
from databrug_sandbox.personas import figures
from databrug_sandbox.personas.identifiers import eleven_proof_number
from databrug_sandbox.personas.income import (
    CONTRACT_ON_CALL,
    CONTRACT_PERMANENT,
    CONTRACT_PUBLIC,
    CONTRACT_TEMPORARY,
    CONTRACT_UNWRITTEN,
    EMPLOYEE_LAWS,
    UWV_BENEFITS,
    CompanyCar,
    Payment,
    month_end,
    months_before,
)
from databrug_sandbox.personas.lexicon import City, Employer, lexicon
from databrug_sandbox.personas.people import Birth
from databrug_sandbox.personas.plan import AdultPlan, HouseholdPlan
from databrug_sandbox.personas.retirement import Employment, aow_age, reaches

FULL_TIME_HOURS = Decimal(38)
_WAGE_RANGES = {"minimum": (0, 0), "low": (2400, 2950), "median": (3300, 4400), "high": (5500, 8200)}
_LOW_PAID_SECTORS = ("retail", "cleaning", "hospitality", "temp", "care", "transport")
_HIGH_PAID_SECTORS = ("ict", "services", "finance", "energy", "government", "education")


@dataclass
class Adult:
    """One grown-up of the household while it is being built."""

    role: Literal["applicant", "partner"]
    plan: AdultPlan
    bsn: str
    name: PersonName
    birth: Birth
    payments: list[Payment] = field(default_factory=list)
    jobs: list[Employment] = field(default_factory=list)
    business_profit: dict[int, Decimal] = field(default_factory=dict)
    dividend: dict[int, Decimal] = field(default_factory=dict)


@cache
def _payer_number(kind: str, index: int) -> str:
    """A stable payroll tax number per payer, the same in every household."""
    base = {"employer": 1000, "municipality": 2000, "pension": 3000, "svb": 4000}[kind]
    return eleven_proof_number(random.Random(base + index)) + "L01"  # noqa: S311 -- synthetic, not secret


def _employer_number(employer: Employer) -> str:
    return _payer_number("employer", lexicon().employers.index(employer))


class Careers:
    """Fills in each adult's payments (and business profit) for one household."""

    def __init__(
        self,
        plan: HouseholdPlan,
        rng: random.Random,
        reference: date,
        city: City,
        window_start: date,
    ) -> None:
        self.plan = plan
        self.rng = rng
        self.ref = reference
        self.words = lexicon()
        self.city = city
        self.window_start = window_start

    def _employer(self, adult: AdultPlan, four_weekly: bool, exclude: Employer | None = None) -> Employer:
        pay = "four_weekly" if four_weekly else "monthly"
        candidates = [
            e
            for e in self.words.employers
            if e.pay == pay and (e.cars or not adult.company_car) and e is not exclude
        ]
        if adult.on_call:
            candidates = [e for e in self.words.employers if e.sector == "temp"]
        if adult.wage_level in ("minimum", "low"):
            preferred = [e for e in candidates if e.sector in _LOW_PAID_SECTORS]
        elif adult.wage_level == "high":
            preferred = [e for e in candidates if e.sector in _HIGH_PAID_SECTORS]
        else:
            preferred = candidates
        return self.rng.choice(preferred or candidates)

    def _monthly_wage(self, adult: AdultPlan, hours: Decimal) -> Decimal:
        if adult.wage_level == "minimum":
            full = (
                figures.year_figure(figures.MINIMUM_WAGE_MONTH, self.ref.year)
                * Decimal(self.rng.randint(100, 104))
                / 100
            )
        else:
            low, high = _WAGE_RANGES[adult.wage_level]
            full = Decimal(self.rng.randint(low, high))
        return (full * hours / FULL_TIME_HOURS).quantize(Decimal(1))

    def _hours(self, adult: AdultPlan) -> Decimal:
        if adult.part_time:
            return Decimal(self.rng.choice((16, 20, 24, 28)))
        return Decimal(self.rng.choice((36, 38, 40)))

    def _job(
        self,
        adult: Adult,
        employer: Employer,
        start: date,
        end: date | None,
        monthly: Decimal | None = None,
        hours: Decimal | None = None,
    ) -> Payment:
        plan = adult.plan
        hours = hours if hours is not None else self._hours(plan)
        monthly = monthly if monthly is not None else self._monthly_wage(plan, hours)
        on_call = employer.sector == "temp"
        if employer.public:
            contract = CONTRACT_PUBLIC
        elif on_call:
            contract = CONTRACT_ON_CALL
        else:
            contract = self.rng.choice((CONTRACT_PERMANENT,) * 8 + (CONTRACT_TEMPORARY, CONTRACT_UNWRITTEN))
        car = None
        if plan.company_car and employer.cars:
            catalogue_value = Decimal(self.rng.randrange(32_000, 56_000, 500))
            car = CompanyCar(
                private_use_month=(catalogue_value * figures.CAR_ADDITION_RATE / 12).quantize(
                    Decimal("0.01")
                ),
                own_contribution_month=Decimal(self.rng.choice((0, 0, 50, 75, 100, 150))),
            )
        payment = Payment(
            kind="employment",
            payer_name=employer.name,
            payroll_tax_number=_employer_number(employer),
            frequency=employer.pay,
            start=start,
            end=end,
            monthly_amount=monthly,
            hours_per_week=hours,
            contract_type=contract,
            insured_laws=EMPLOYEE_LAWS,
            variation_seed=self.rng.randrange(2**31),
            reference_year=self.ref.year,
            yearly_raise=Decimal(self.rng.randint(20, 50)) / 1000,
            on_call=on_call,
            variable_pay=employer.sector in ("transport", "hospitality", "care") and not on_call,
            car=car,
        )
        adult.jobs.append(
            Employment(
                employer.pension, start, end, monthly * Decimal(12) * (1 + figures.HOLIDAY_ALLOWANCE_RATE)
            )
        )
        return payment

    def _earlier_start(self, adult: Adult, before: date, min_years: int, max_years: int) -> date:
        adult_from = adult.birth.day + timedelta(days=365 * 18 + 30)
        start = before - timedelta(days=self.rng.randint(365 * min_years, 365 * max_years))
        return date(max(start, adult_from).year, max(start, adult_from).month, 1)

    def _uwv_benefit(
        self, adult: Adult, law: str, start: date, end: date | None, monthly: Decimal, step: bool
    ) -> Payment:
        name, number = UWV_BENEFITS[law]
        return Payment(
            kind="benefit",
            payer_name=name,
            payroll_tax_number=number,
            frequency="monthly",
            start=start,
            end=end,
            monthly_amount=monthly.quantize(Decimal("0.01")),
            hours_per_week=Decimal(0),
            contract_type=None,
            insured_laws=(),
            variation_seed=self.rng.randrange(2**31),
            reference_year=self.ref.year,
            yearly_raise=Decimal("0.02"),
            step_down=(month_end(start) + timedelta(days=32 + 1), Decimal(70) / Decimal(75))
            if step
            else None,
        )

    def income(self, adult: Adult, couple: bool) -> None:
        plan, rng, ref = adult.plan, self.rng, self.ref
        kind = plan.income
        if kind in ("employed", "job_change", "ww"):
            employer = self._employer(plan, plan.four_weekly and kind != "job_change")
            if kind == "employed":
                start = self._earlier_start(adult, ref, 1, 18)
                adult.payments.append(self._job(adult, employer, start, None))
                if plan.second_job:
                    other = self._employer(plan, not plan.four_weekly, exclude=employer)
                    hours = Decimal(rng.choice((8, 12, 16)))
                    second_start = self._earlier_start(adult, ref, 0, 4)
                    monthly = self._monthly_wage(replace(plan, part_time=False), hours)
                    adult.payments.append(self._job(adult, other, second_start, None, monthly, hours))
            elif kind == "job_change":
                old_employer = self._employer(plan, not plan.four_weekly)
                new_employer = self._employer(plan, plan.four_weekly, exclude=old_employer)
                change = month_end(months_before(ref, rng.randint(8, 16)))
                gap = timedelta(days=rng.choice((1, 1, 1, 15, 32)))
                first = self._job(adult, old_employer, self._earlier_start(adult, change, 2, 10), change)
                raise_factor = Decimal(rng.randint(102, 115)) / 100
                adult.payments.append(first)
                adult.payments.append(
                    self._job(
                        adult,
                        new_employer,
                        change + gap,
                        None,
                        monthly=(first.monthly_amount * raise_factor).quantize(Decimal(1)),
                        hours=first.hours_per_week,
                    )
                )
            else:
                lost = month_end(months_before(ref, rng.randint(4, 10)))
                job = self._job(adult, employer, self._earlier_start(adult, lost, 2, 12), lost)
                adult.payments.append(job)
                daily_cap = Decimal("5900")
                ww = min(job.monthly_amount, daily_cap) * Decimal("0.75")
                adult.payments.append(
                    self._uwv_benefit(adult, "WW", lost + timedelta(days=1), None, ww, True)
                )
                if plan.tw_supplement:
                    supplement = Decimal(rng.randint(60, 320))
                    adult.payments.append(
                        self._uwv_benefit(adult, "TW", lost + timedelta(days=1), None, supplement, False)
                    )
        elif kind == "wia":
            stopped = self._earlier_start(adult, self.window_start, 1, 5)
            former_wage = self._monthly_wage(plan, FULL_TIME_HOURS)
            if plan.full_disability:
                full = Decimal("0.75") * former_wage
                adult.payments.append(self._uwv_benefit(adult, "IVA", stopped, None, full, False))
            else:
                share = Decimal("0.5") if plan.part_time else Decimal(1)
                partial = Decimal("0.70") * former_wage * share
                adult.payments.append(self._uwv_benefit(adult, "WIA", stopped, None, partial, False))
            if plan.part_time and not plan.full_disability:
                employer = self._employer(plan, plan.four_weekly)
                start = self._earlier_start(adult, self.window_start, 0, 2)
                adult.payments.append(self._job(adult, employer, start, None))
        elif kind == "bijstand":
            self._bijstand(adult, couple)
        elif kind == "self_employed":
            base = Decimal(rng.randint(24_000, 68_000))
            for year in range(ref.year - 4, ref.year + 1):
                adult.business_profit[year] = (base * Decimal(rng.randint(85, 118)) / 100).quantize(
                    Decimal(1)
                )
            if plan.wage_level == "high" and rng.random() < 0.5:
                for year in range(ref.year - 4, ref.year + 1):
                    adult.dividend[year] = Decimal(rng.randrange(4_000, 20_000, 500))
        # "retired" and "none": the payments come from the pensions (see _retiree_payments) or not at all.

    def _bijstand(self, adult: Adult, couple: bool) -> None:
        municipality = self.words.cities.index(self.city)
        start = self._earlier_start(adult, self.window_start, 0, 7)
        factor = figures.BIJSTAND_COUPLE_FACTOR / 2 if couple else Decimal(1)
        if self.plan.partner is not None and not couple:
            factor = figures.BIJSTAND_COUPLE_FACTOR  # the whole couple norm to the one who applied
        amounts = {
            year: (Decimal(value) * factor).quantize(Decimal("0.01"))
            for year, value in figures.BIJSTAND_SINGLE_MONTH.items()
        }
        adult.payments.append(
            Payment(
                kind="benefit",
                payer_name=self.city.municipality,
                payroll_tax_number=_payer_number("municipality", municipality),
                frequency="monthly",
                start=start,
                end=None,
                monthly_amount=amounts[max(amounts)],
                hours_per_week=Decimal(0),
                contract_type=None,
                insured_laws=(),
                variation_seed=self.rng.randrange(2**31),
                reference_year=self.ref.year,
                year_amounts=amounts,
                holiday_pay=False,
            )
        )

    def retiree_payments(self, adult: Adult, pensions: Pensions) -> None:
        if adult.plan.income != "retired":
            return
        couple = self.plan.partner is not None
        born = adult.birth.day
        aow_start = reaches(born, aow_age(born))
        table = figures.AOW_TOGETHER_YEAR if couple else figures.AOW_SINGLE_YEAR
        amounts = {year: (Decimal(v) / 12).quantize(Decimal("0.01")) for year, v in table.items()}
        adult.payments.append(
            Payment(
                kind="benefit",
                payer_name="Sociale Verzekeringsbank",
                payroll_tax_number=_payer_number("svb", 0),
                frequency="monthly",
                start=aow_start,
                end=None,
                monthly_amount=amounts[max(amounts)],
                hours_per_week=Decimal(0),
                contract_type=None,
                insured_laws=(),
                variation_seed=self.rng.randrange(2**31),
                reference_year=self.ref.year,
                year_amounts=amounts,
                holiday_pay=False,
            )
        )
        providers = [p.name for p in self.words.pension_providers]
        for scheme in pensions.schemes:
            start_age = scheme.start_age or aow_age(born)
            yearly = scheme.projected_yearly or Decimal(0)
            adult.payments.append(
                Payment(
                    kind="benefit",
                    payer_name=scheme.provider,
                    payroll_tax_number=_payer_number("pension", providers.index(scheme.provider)),
                    frequency="monthly",
                    start=reaches(born, start_age),
                    end=None,
                    monthly_amount=(yearly / 12).quantize(Decimal("0.01")),
                    hours_per_week=Decimal(0),
                    contract_type=None,
                    insured_laws=(),
                    variation_seed=self.rng.randrange(2**31),
                    reference_year=self.ref.year,
                    yearly_raise=Decimal("0.01"),
                    holiday_pay=False,
                )
            )
