"""The seeded household generator: a plan plus a ``random.Random`` give a complete, coherent household.

Deterministic by construction: every choice comes from ``random.Random(seed)`` (or from a seed drawn
from it), dates are computed from the household's reference date, never from the clock, and nothing
iterates over a set.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from datetime import date, timedelta
from decimal import Decimal
from functools import cache
from typing import Literal

from databrug.records import (
    Address,
    Assets,
    FuzzyDate,
    Incomes,
    PartnerLink,
    Pensions,
    Person,
    PersonName,
    Relative,
    Subject,
)
from databrug.records.person import MaritalStatus
from databrug_sandbox.personas import figures
from databrug_sandbox.personas.housing import Dwelling, bank_balances, dwelling, vehicles
from databrug_sandbox.personas.identifiers import (
    APPLICANT,
    FIRST_CHILD,
    FORMER_PARTNER,
    PARTNER,
    eleven_proof_number,
    generated_bsn,
)
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
from databrug_sandbox.personas.key_facts import compute_key_facts
from databrug_sandbox.personas.lexicon import City, Employer, Surname, lexicon
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount, Household
from databrug_sandbox.personas.people import (
    Birth,
    address,
    age_on,
    birth,
    child_name,
    earlier_addresses,
    person_name,
    surname_of,
    without_validity,
)
from databrug_sandbox.personas.plan import AdultPlan, HouseholdPlan, Housing, IncomeKind, PartnerKind
from databrug_sandbox.personas.retirement import (
    Employment,
    aow_age,
    reaches,
    schemes,
    state_pension,
    survivor_pensions,
)
from databrug_sandbox.personas.taxes import AllowanceSituation, TaxSituation, allowances, tax_years

REFERENCE_DATE = date(2026, 11, 1)
FULL_TIME_HOURS = Decimal(38)
_WAGE_RANGES = {"minimum": (0, 0), "low": (2400, 2950), "median": (3300, 4400), "high": (5500, 8200)}
_LOW_PAID_SECTORS = ("retail", "cleaning", "hospitality", "temp", "care", "transport")
_HIGH_PAID_SECTORS = ("ict", "services", "finance", "energy", "government", "education")


@dataclass(frozen=True)
class Identity:
    """How a household's people are numbered and logged in: catalogue and generated ones differ."""

    key: str
    title: str
    bsn: Callable[[int], str]  # slot -> BSN (see identifiers.py)
    username: Callable[[Literal["applicant", "partner"]], str]
    seed: int | None = None


@dataclass
class _Adult:
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


def build_household(plan: HouseholdPlan, rng: random.Random, identity: Identity) -> Household:
    return _Builder(plan, rng, identity).build()


class _Builder:
    def __init__(self, plan: HouseholdPlan, rng: random.Random, identity: Identity) -> None:
        self.plan = plan
        self.rng = rng
        self.identity = identity
        self.ref = REFERENCE_DATE
        self.words = lexicon()
        self.city: City = (
            self.words.cities[plan.city % len(self.words.cities)]
            if plan.city is not None
            else rng.choice(self.words.cities)
        )
        self.window_start = months_before(self.ref, rng.randint(24, 36))
        self.window_end = self.ref - timedelta(days=1)
        self.tax_years = list(range(self.ref.year - rng.choice((2, 3)), self.ref.year))

    # -- people -------------------------------------------------------------------------------------

    def _adult(self, role: Literal["applicant", "partner"], plan: AdultPlan, slot: int) -> _Adult:
        born = birth(self.rng, plan.age, self.ref, plan.born_abroad)
        return _Adult(role, plan, self.identity.bsn(slot), person_name(self.rng, plan.gender), born)

    def build(self) -> Household:
        plan, rng, ref = self.plan, self.rng, self.ref
        applicant = self._adult("applicant", plan.applicant, APPLICANT)
        partner = self._adult("partner", plan.partner, PARTNER) if plan.partner else None
        adults = [a for a in (applicant, partner) if a is not None]
        youngest = min(a.plan.age for a in adults)

        together_since: date | None = None
        if partner is not None:
            together_since = ref - timedelta(days=rng.randint(400, max(401, (youngest - 20) * 365)))
        moved_in = self._moved_in(together_since, youngest)
        current = address(rng, self.city, moved_in)
        home = dwelling(rng, plan, self.city, without_validity(current), ref)

        former = self._former_partner(applicant) if plan.applicant.divorced else None
        children = self._children(applicant, partner, former)
        children_at_home = sum(
            1 for c in children if c.birth and c.birth.date and age_on(c.birth.date, ref) < 18
        )

        for adult in adults:
            self._income(adult, couple=partner is not None and partner.plan.income == "bijstand")
        pensions = {a.role: self._pensions(a, partner is not None, children_at_home) for a in adults}
        for adult in adults:
            self._retiree_payments(adult, pensions[adult.role])

        balances = {a.role: bank_balances(rng, a.plan.savings, ref) for a in adults}
        cars = {a.role: vehicles(rng, a.plan.vehicles, ref) for a in adults}
        savings = {a.role: sum((b.balance for b in balances[a.role]), start=Decimal(0)) for a in adults}
        share = Decimal(1) / len(adults)

        household_income: dict[int, Decimal] = {}
        taxes = {}
        for adult in adults:
            other = partner if adult is applicant else applicant
            situation = TaxSituation(
                payments=adult.payments,
                business_profit=adult.business_profit,
                dividend=adult.dividend,
                dwelling=home if home.relation == "owner" else None,
                home_share=share,
                savings=savings[adult.role],
                partner_bsn=other.bsn if other is not None else None,
                partner_from_year=together_since.year if together_since else 9999,
                aow_from_year=reaches(adult.birth.day, aow_age(adult.birth.day)).year,
            )
            taxes[adult.role] = tax_years(situation, self.tax_years, ref.year)
            for year in (ref.year - 1, ref.year):
                household_income[year] = household_income.get(year, Decimal(0)) + situation.income(year)
        granted = allowances(
            AllowanceSituation(
                household_income=household_income,
                couple=partner is not None,
                children_under_18=children_at_home,
                household_savings=sum(savings.values(), start=Decimal(0)),
                monthly_rent=home.monthly_rent,
            ),
            ref.year,
        )

        citizens: dict[str, Citizen] = {}
        for adult in adults:
            other = partner if adult is applicant else applicant
            person = self._person(adult, other, together_since, current, moved_in, children, former)
            subject = Subject(
                role=adult.role,
                person=person,
                incomes=Incomes(
                    relations=[
                        r
                        for p in adult.payments
                        if (r := p.relation(self.window_start, self.window_end)) is not None
                    ],
                    tax_years=taxes[adult.role],
                    allowances=granted if adult is applicant else [],
                ),
                pensions=pensions[adult.role],
                assets=Assets(
                    homes=[home.home()],
                    mortgages=home.mortgages(self.tax_years, ref.year, share),
                    vehicles=cars[adult.role],
                    bank_balances=balances[adult.role],
                ),
            )
            citizens[adult.role] = Citizen(
                digid=self._account(adult),
                facts=subject,
                tax_years_available=tuple(t.year for t in taxes[adult.role]),
                extra=self._extra(adult, home),
            )
        household = Household(
            key=self.identity.key,
            title=self.identity.title,
            applicant=citizens["applicant"],
            partner=citizens.get("partner"),
            partner_kind=plan.partner_kind,
            reference_date=ref,
            seed=self.identity.seed,
        )
        return household.with_key_facts(compute_key_facts(household))

    def _extra(self, adult: _Adult, home: Dwelling) -> dict[str, object]:
        extra: dict[str, object] = {"income_kind": adult.plan.income}
        if home.monthly_rent is not None:
            extra["monthly_rent"] = str(home.monthly_rent)
        return extra

    def _account(self, adult: _Adult) -> DigidAccount:
        return DigidAccount(
            username=self.identity.username(adult.role),
            password=f"Proef-{adult.bsn[-4:]}",
            sms_enabled=adult.plan.sms_enabled,
            phone=f"06-0000{adult.bsn[-4:]}",
        )

    def _moved_in(self, together_since: date | None, youngest: int) -> date:
        earliest = self.ref - timedelta(days=(youngest - 18) * 365)
        if together_since is not None:
            earliest = max(earliest, together_since - timedelta(days=365))
        latest = self.ref - timedelta(days=120)
        span = max((latest - earliest).days, 1)
        return earliest + timedelta(days=self.rng.randint(0, min(span, 365 * 25)))

    def _former_partner(self, applicant: _Adult) -> PartnerLink:
        gender: Literal["man", "vrouw"] = "vrouw" if applicant.plan.gender == "man" else "man"
        ex_birth = birth(self.rng, applicant.plan.age + self.rng.randint(-4, 4), self.ref, False)
        dissolved = self.ref - timedelta(days=self.rng.randint(400, 365 * 6))
        married = dissolved - timedelta(days=self.rng.randint(365 * 3, 365 * 15))
        married = max(married, applicant.birth.day + timedelta(days=365 * 20))
        return PartnerLink(
            bsn=self.identity.bsn(FORMER_PARTNER),
            name=person_name(self.rng, gender),
            birth=_full(ex_birth.day),
            kind="huwelijk",
            since=_full(married),
            dissolved_on=_full(dissolved),
        )

    def _children(
        self, applicant: _Adult, partner: _Adult | None, former: PartnerLink | None
    ) -> list[Relative]:
        if not self.plan.children:
            return []
        parents = [a for a in (applicant, partner) if a is not None]
        father = next((a for a in parents if a.plan.gender == "man"), None)
        family: Surname = surname_of(father.name if father else applicant.name)
        if father is None and former is not None and former.name is not None:
            family = surname_of(former.name)
        mother_age = min(a.plan.age for a in parents)
        retired = applicant.plan.income == "retired"
        result = []
        for index in range(self.plan.children):
            if retired:
                age = self.rng.randint(28, 46)
            else:
                age = self.rng.randint(0, max(0, min(17, mother_age - 21)))
            born = self.ref - timedelta(days=age * 365 + self.rng.randint(20, 340))
            result.append(
                Relative(
                    bsn=self.identity.bsn(FIRST_CHILD + index),
                    name=child_name(self.rng, family),
                    birth=_full(born),
                )
            )
        result.sort(key=lambda c: c.birth.date if c.birth and c.birth.date else date.min)
        return result

    def _person(
        self,
        adult: _Adult,
        other: _Adult | None,
        together_since: date | None,
        current_address: Address,
        moved_in: date,
        children: list[Relative],
        former: PartnerLink | None,
    ) -> Person:
        partners: list[PartnerLink] = []
        kind = self.plan.partner_kind
        if other is not None and together_since is not None and kind in ("gehuwd", "geregistreerd"):
            partners.append(
                PartnerLink(
                    bsn=other.bsn,
                    name=other.name,
                    birth=_full(other.birth.day),
                    kind="huwelijk" if kind == "gehuwd" else "geregistreerd_partnerschap",
                    since=_full(together_since),
                )
            )
        if former is not None and adult.role == "applicant":
            partners.append(former)
        status: MaritalStatus = "ongehuwd"
        if any(p.dissolved_on is not None for p in partners):
            status = "gescheiden"
        if kind == "gehuwd" and other is not None:
            status = "gehuwd"
        elif kind == "geregistreerd" and other is not None:
            status = "geregistreerd_partnerschap"
        history = earlier_addresses(self.rng, moved_in, adult.birth.day, self.rng.randint(0, 3), self.city)
        own_children = children if (adult.role == "applicant" or self.plan.partner_kind != "none") else []
        return Person(
            source_ref=SANDBOX_REF,
            bsn=adult.bsn,
            name=adult.name,
            gender=adult.plan.gender,
            birth=_full(adult.birth.day),
            birth_place=adult.birth.place,
            birth_country=adult.birth.country,
            nationalities=list(adult.birth.nationalities),
            addresses=[current_address, *history],
            marital_status=status,
            partners=partners,
            children=own_children,
        )

    # -- income -------------------------------------------------------------------------------------

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
        adult: _Adult,
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

    def _earlier_start(self, adult: _Adult, before: date, min_years: int, max_years: int) -> date:
        adult_from = adult.birth.day + timedelta(days=365 * 18 + 30)
        start = before - timedelta(days=self.rng.randint(365 * min_years, 365 * max_years))
        return date(max(start, adult_from).year, max(start, adult_from).month, 1)

    def _uwv_benefit(
        self, adult: _Adult, law: str, start: date, end: date | None, monthly: Decimal, step: bool
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

    def _income(self, adult: _Adult, couple: bool) -> None:
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

    def _bijstand(self, adult: _Adult, couple: bool) -> None:
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

    def _pensions(self, adult: _Adult, has_partner: bool, children_at_home: int) -> Pensions:
        plan = adult.plan
        age = age_on(adult.birth.day, self.ref)
        retired = plan.income == "retired"
        own = schemes(
            self.rng,
            adult.birth.day,
            self.ref,
            list(reversed(adult.jobs)),  # current job first
            plan.pension_schemes,
            plan.indicative_schemes,
            retired,
            plan.divorced,
        )
        insured_from = self.rng.randint(19, 32) if plan.born_abroad else 15
        return Pensions(
            state_pension=state_pension(adult.birth.day, self.ref, insured_from) if age >= 25 else None,
            schemes=own,
            survivor_pensions=survivor_pensions(
                self.rng, own, has_partner, 0 if retired else children_at_home
            ),
        )

    def _retiree_payments(self, adult: _Adult, pensions: Pensions) -> None:
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


def _full(day: date) -> FuzzyDate:
    return FuzzyDate(date=day)


# -- random plans --------------------------------------------------------------------------------

_PARTNER_KINDS: tuple[PartnerKind, ...] = ("none", "gehuwd", "geregistreerd", "samenwonend")
_HOUSING: tuple[Housing, ...] = ("owner", "social_rent", "private_rent")
_WORKING_INCOMES: tuple[IncomeKind, ...] = (
    "employed",
    "job_change",
    "ww",
    "wia",
    "bijstand",
    "self_employed",
    "none",
)


def draw_plan(rng: random.Random) -> HouseholdPlan:
    """A random but plausible household plan."""
    partner_kind = rng.choices(_PARTNER_KINDS, weights=(45, 30, 8, 17))[0]
    retired = rng.random() < 0.18
    applicant = _draw_adult(rng, retired, rng.choice(("man", "vrouw")))
    if applicant.income == "none":
        # Someone applying on their own without any income is, in practice, on municipal benefit.
        applicant = replace(applicant, income="bijstand")
    partner = None
    if partner_kind != "none":
        gender: Literal["man", "vrouw"] = "vrouw" if applicant.gender == "man" else "man"
        if rng.random() < 0.05:
            gender = applicant.gender
        partner = _draw_adult(rng, retired, gender, near_age=applicant.age)
    if partner is not None and "bijstand" in (applicant.income, partner.income):
        # Bijstand is means-tested for the couple: the other partner has no income or shares the benefit.
        shared: IncomeKind = "bijstand" if rng.random() < 0.5 else "none"
        if applicant.income == "bijstand" and partner.income != "bijstand":
            partner = replace(partner, income=shared, company_car=False)
        elif partner.income == "bijstand" and applicant.income != "bijstand":
            applicant = replace(applicant, income="bijstand", company_car=False)
            partner = replace(partner, income=shared)
    housing = rng.choices(_HOUSING, weights=(45, 38, 17))[0]
    incomes = [a.income for a in (applicant, partner) if a is not None]
    if any(i in ("bijstand", "ww") for i in incomes) and housing == "owner" and rng.random() < 0.7:
        housing = "social_rent"
    children = 0
    if not retired:
        children = rng.choices((0, 1, 2, 3, 4), weights=(40, 22, 25, 10, 3))[0]
        if applicant.age < 24:
            children = 0
    else:
        children = rng.choices((0, 1, 2, 3), weights=(20, 25, 40, 15))[0]
    return HouseholdPlan(
        applicant=applicant,
        partner=partner,
        partner_kind=partner_kind,
        children=children,
        housing=housing,
        home_value=rng.choice(("low", "median", "median", "high")),
        mortgage_share=rng.choice((0.0, 0.3, 0.5, 0.7, 0.85, 0.95)),
    )


def _draw_adult(
    rng: random.Random, retired: bool, gender: Literal["man", "vrouw"], near_age: int | None = None
) -> AdultPlan:
    if near_age is not None:
        age = max(19, near_age + rng.randint(-6, 6))
    else:
        age = rng.randint(68, 84) if retired else rng.randint(19, 66)
    income: IncomeKind = "retired"
    if retired:
        age = max(age, 68)
    else:
        age = min(age, 66)
        income = rng.choices(_WORKING_INCOMES, weights=(50, 12, 6, 5, 10, 9, 8))[0]
        if age < 22 and income in ("job_change", "ww", "wia", "self_employed"):
            income = "employed"  # too young for a work history that long
    max_schemes = 0 if age < 23 else min(12, (age - 20) // 3 + 1)
    schemes_count = rng.randint(0 if income in ("bijstand", "none") else 1, max(1, max_schemes))
    if income == "self_employed":
        schemes_count = rng.randint(0, min(3, max_schemes))
    indicative = rng.randint(0, min(2, schemes_count))
    return AdultPlan(
        gender=gender,
        age=age,
        income=income,
        wage_level=rng.choice(("minimum", "low", "median", "median", "high")),
        part_time=rng.random() < 0.3,
        four_weekly=rng.random() < 0.3,
        company_car=rng.random() < 0.08,
        pension_schemes=schemes_count,
        indicative_schemes=indicative,
        savings=rng.choices(("none", "low", "medium", "high"), weights=(20, 40, 30, 10))[0],
        vehicles=rng.choices((0, 1, 2), weights=(40, 50, 10))[0],
        sms_enabled=rng.random() > 0.1,
        born_abroad=rng.random() < 0.2,
        divorced=rng.random() < 0.1 and age >= 30,
        on_call=income == "employed" and rng.random() < 0.08,
        second_job=income == "employed" and rng.random() < 0.12,
        full_disability=income == "wia" and rng.random() < 0.3,
        tw_supplement=income == "ww" and rng.random() < 0.3,
    )


_PARTNER_WORDS = {
    "gehuwd": "married couple",
    "geregistreerd": "registered partners",
    "samenwonend": "cohabiting couple",
    "none": "single",
}
_HOUSING_WORDS = {"owner": "own home", "social_rent": "social rent", "private_rent": "private rent"}


def describe(plan: HouseholdPlan) -> str:
    """A one-line description such as 'married couple (employed + none), 2 children, own home'."""
    incomes = " + ".join(a.income.replace("_", " ") for a in (plan.applicant, plan.partner) if a is not None)
    children = f", {plan.children} child{'ren' if plan.children != 1 else ''}" if plan.children else ""
    return f"{_PARTNER_WORDS[plan.partner_kind]} ({incomes}){children}, {_HOUSING_WORDS[plan.housing]}"


def generate_household(seed: int, *, key: str | None = None) -> Household:
    """The household of ``seed`` (≥ 0): same seed, same household, on every machine."""
    if seed < 0:
        raise ValueError("seeds are non-negative (they appear in DigiD usernames)")
    rng = random.Random(seed)  # noqa: S311 -- reproducible synthetic data, not secrets
    plan = draw_plan(rng)
    identity = Identity(
        key=key or f"gen-{seed}",
        title=describe(plan),
        bsn=lambda slot: generated_bsn(seed, slot),
        username=lambda role: f"gen-{seed}-{'a' if role == 'applicant' else 'p'}",
        seed=seed,
    )
    return build_household(plan, rng, identity)
