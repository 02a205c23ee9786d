"""The seeded household generator: a plan plus a ``random.Random`` give a complete, coherent household.

Deterministic by construction: every choice comes from ``random.Random(seed)`` (or from a seed drawn
from it), dates are computed from the household's reference date, never from the clock, and nothing
iterates over a set.
"""

from __future__ import annotations

import random
from collections.abc import Callable
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from databrug.records import (
    Address,
    Allowance,
    Assets,
    FuzzyDate,
    Incomes,
    PartnerLink,
    Pensions,
    Person,
    Relative,
    Role,
    Subject,
    TaxYear,
)
from databrug.records.person import MaritalStatus
from databrug_sandbox.personas.careers import Adult, Careers
from databrug_sandbox.personas.housing import Dwelling, bank_balances, dwelling, vehicles
from databrug_sandbox.personas.identifiers import (
    APPLICANT,
    FIRST_CHILD,
    FORMER_PARTNER,
    PARTNER,
    generated_bsn,
)
from databrug_sandbox.personas.income import months_before
from databrug_sandbox.personas.key_facts import compute_key_facts
from databrug_sandbox.personas.lexicon import City, Surname, lexicon
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount, Household
from databrug_sandbox.personas.people import (
    address,
    age_on,
    birth,
    child_name,
    earlier_addresses,
    person_name,
    surname_of,
    without_validity,
)
from databrug_sandbox.personas.plan import AdultPlan, HouseholdPlan
from databrug_sandbox.personas.random_plans import describe, draw_plan
from databrug_sandbox.personas.retirement import (
    aow_age,
    reaches,
    schemes,
    state_pension,
    survivor_pensions,
)
from databrug_sandbox.personas.taxes import AllowanceSituation, TaxSituation, allowances, tax_years

REFERENCE_DATE = date(2026, 11, 1)


@dataclass(frozen=True)
class Identity:
    """How a household's people are numbered and logged in: catalogue and generated ones differ."""

    key: str
    title: str
    bsn: Callable[[int], str]  # slot -> BSN (see identifiers.py)
    username: Callable[[Literal["applicant", "partner"]], str]
    seed: int | None = None


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
        self.careers = Careers(plan, rng, self.ref, self.city, self.window_start)

    # -- people -------------------------------------------------------------------------------------

    def _adult(self, role: Literal["applicant", "partner"], plan: AdultPlan, slot: int) -> Adult:
        born = birth(self.rng, plan.age, self.ref, plan.born_abroad)
        return Adult(role, plan, self.identity.bsn(slot), person_name(self.rng, plan.gender), born)

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
            self.careers.income(adult, couple=partner is not None and partner.plan.income == "bijstand")
        pensions = {a.role: self._pensions(a, partner is not None, children_at_home) for a in adults}
        for adult in adults:
            self.careers.retiree_payments(adult, pensions[adult.role])

        balances = {a.role: bank_balances(rng, a.plan.savings, ref) for a in adults}
        cars = {a.role: vehicles(rng, a.plan.vehicles, ref) for a in adults}
        savings = {a.role: sum((b.balance for b in balances[a.role]), start=Decimal(0)) for a in adults}
        share = Decimal(1) / len(adults)

        taxes, granted = self._taxes_and_allowances(
            applicant, partner, home, savings, together_since, children_at_home
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

    def _taxes_and_allowances(
        self,
        applicant: Adult,
        partner: Adult | None,
        home: Dwelling,
        savings: dict[Role, Decimal],
        together_since: date | None,
        children_at_home: int,
    ) -> tuple[dict[Role, list[TaxYear]], list[Allowance]]:
        """Each adult's tax years, and the applicant's allowances on the household's income."""
        adults = [a for a in (applicant, partner) if a is not None]
        household_income: dict[int, Decimal] = {}
        taxes: dict[Role, list[TaxYear]] = {}
        for adult in adults:
            other = partner if adult is applicant else applicant
            situation = TaxSituation(
                payments=adult.payments,
                business_profit=adult.business_profit,
                dividend=adult.dividend,
                dwelling=home if home.relation == "owner" else None,
                home_share=Decimal(1) / len(adults),
                savings=savings[adult.role],
                partner_bsn=other.bsn if other is not None else None,
                partner_from_year=together_since.year if together_since else 9999,
                aow_from_year=reaches(adult.birth.day, aow_age(adult.birth.day)).year,
            )
            taxes[adult.role] = tax_years(situation, self.tax_years, self.ref.year)
            for year in (self.ref.year - 1, self.ref.year):
                household_income[year] = household_income.get(year, Decimal(0)) + situation.income(year)
        granted = allowances(
            AllowanceSituation(
                household_income=household_income,
                couple=partner is not None,
                children_under_18=children_at_home,
                household_savings=sum(savings.values(), start=Decimal(0)),
                monthly_rent=home.monthly_rent,
            ),
            self.ref.year,
        )
        return taxes, granted

    def _extra(self, adult: Adult, home: Dwelling) -> dict[str, object]:
        extra: dict[str, object] = {"income_kind": adult.plan.income}
        if home.monthly_rent is not None:
            extra["monthly_rent"] = str(home.monthly_rent)
        return extra

    def _account(self, adult: Adult) -> DigidAccount:
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

    def _former_partner(self, applicant: Adult) -> PartnerLink:
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
        self, applicant: Adult, partner: Adult | None, former: PartnerLink | None
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
        adult: Adult,
        other: Adult | None,
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

    def _pensions(self, adult: Adult, has_partner: bool, children_at_home: int) -> Pensions:
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


def _full(day: date) -> FuzzyDate:
    return FuzzyDate(date=day)


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
