"""Bezittingen: the current home with its WOZ history, mortgage, vehicles and bank balances."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from decimal import Decimal
from typing import Literal

from databrug.records import Address, BankBalance, Home, Mortgage, Vehicle, WozValue
from databrug_sandbox.personas.identifiers import iban, number_plate, woz_object_id
from databrug_sandbox.personas.income import money
from databrug_sandbox.personas.lexicon import City, lexicon
from databrug_sandbox.personas.model import SANDBOX_REF
from databrug_sandbox.personas.plan import HouseholdPlan, Savings

_WOZ_LATEST = {
    ("owner", "low"): (240_000, 320_000),
    ("owner", "median"): (350_000, 460_000),
    ("owner", "high"): (560_000, 820_000),
    ("social_rent", "low"): (170_000, 230_000),
    ("social_rent", "median"): (200_000, 270_000),
    ("social_rent", "high"): (240_000, 300_000),
    ("private_rent", "low"): (260_000, 330_000),
    ("private_rent", "median"): (300_000, 420_000),
    ("private_rent", "high"): (420_000, 600_000),
}
_RENT = {"social_rent": (540, 880), "private_rent": (980, 1650)}
_SAVINGS = {"none": (0, 600), "low": (600, 6_000), "medium": (6_000, 35_000), "high": (60_000, 190_000)}


@dataclass(frozen=True)
class Dwelling:
    """The household's current home, shared by everyone living there."""

    object_id: str
    address: Address  # without validity dates
    relation: Literal["owner", "tenant"]
    woz_values: tuple[WozValue, ...]
    monthly_rent: Decimal | None
    mortgage_start: Decimal  # debt on 1 January of the reference year; 0 for tenants
    mortgage_lender: str | None
    mortgage_rate: Decimal
    amortisation: Decimal

    def home(self) -> Home:
        return Home(
            source_ref=SANDBOX_REF,
            woz_object_id=self.object_id,
            address=self.address,
            relation=self.relation,
            woz_values=list(self.woz_values),
        )

    def woz_for_tax_year(self, year: int) -> Decimal:
        peildatum = date(year - 1, 1, 1)
        known = [v.value for v in self.woz_values if v.reference_date <= peildatum]
        return known[-1] if known else self.woz_values[0].value

    def debt_at_start(self, year: int, reference_year: int) -> Decimal:
        return money(self.mortgage_start * (1 + self.amortisation) ** (reference_year - year))

    def mortgages(self, years: list[int], reference_year: int, share: Decimal) -> list[Mortgage]:
        if self.relation != "owner" or self.mortgage_lender is None or not self.mortgage_start:
            return []
        return [
            Mortgage(
                source_ref=SANDBOX_REF,
                year=year,
                lender=self.mortgage_lender,
                debt_at_start_of_year=money(self.debt_at_start(year, reference_year) * share),
                interest_paid=money(self.debt_at_start(year, reference_year) * share * self.mortgage_rate),
            )
            for year in years
        ]


def dwelling(
    rng: random.Random, plan: HouseholdPlan, city: City, address: Address, reference: date
) -> Dwelling:
    relation: Literal["owner", "tenant"] = "owner" if plan.housing == "owner" else "tenant"
    low, high = _WOZ_LATEST[(plan.housing, plan.home_value)]
    latest = Decimal(rng.randrange(low, high, 1000))
    history_years = rng.randint(4, 6)
    values: list[WozValue] = []
    value = latest
    for back in range(history_years):
        values.append(WozValue(reference_date=date(reference.year - 1 - back, 1, 1), value=value))
        growth = Decimal(rng.randint(30, 95)) / 1000
        value = (value / (1 + growth) / 1000).quantize(Decimal(1)) * 1000
    values.reverse()
    rent = None
    lender = None
    debt = Decimal(0)
    if relation == "tenant":
        rent_low, rent_high = _RENT[plan.housing]
        rent = money(Decimal(rng.randint(rent_low * 100, rent_high * 100)) / 100)
    elif plan.mortgage_share > 0:
        lender = rng.choice(lexicon().lenders)
        debt = money(latest * Decimal(str(plan.mortgage_share)) * Decimal(rng.randint(90, 110)) / 100)
    return Dwelling(
        object_id=woz_object_id(rng, city.code),
        address=address,
        relation=relation,
        woz_values=tuple(values),
        monthly_rent=rent,
        mortgage_start=debt,
        mortgage_lender=lender,
        mortgage_rate=Decimal(rng.randint(180, 460)) / 10000,
        amortisation=Decimal(rng.randint(15, 30)) / 1000,
    )


def vehicles(rng: random.Random, count: int, reference: date) -> list[Vehicle]:
    result = []
    for _ in range(count):
        car = rng.choice(lexicon().vehicles)
        registered = reference - timedelta(days=rng.randint(60, 365 * 9))
        first = registered - timedelta(days=rng.choice((0, 0, rng.randint(200, 365 * 8))))
        result.append(
            Vehicle(
                source_ref=SANDBOX_REF,
                registration=number_plate(rng),
                make=car.make,
                model=car.model,
                registered_since=registered,
                first_admission=first,
            )
        )
    return result


def bank_balances(rng: random.Random, savings: Savings, reference: date) -> list[BankBalance]:
    low, high = _SAVINGS[savings]
    total = Decimal(rng.randint(low * 100, high * 100)) / 100
    banks = rng.sample(lexicon().banks, rng.randint(1, 3))
    peildatum = date(reference.year, 1, 1)
    # The first account is the current account with a small part; savings accounts hold the rest.
    shares = [Decimal(1)] if len(banks) == 1 else [Decimal(rng.randint(5, 30)) / 100]
    if len(banks) > 1:
        rest = 1 - shares[0]
        for _ in banks[1:-1]:
            part = (rest * Decimal(rng.randint(20, 80)) / 100).quantize(Decimal("0.01"))
            shares.append(part)
            rest -= part
        shares.append(rest)
    return [
        BankBalance(
            source_ref=SANDBOX_REF,
            iban=iban(rng, bank.code),
            bank=bank.name,
            balance=money(total * share),
            reference_date=peildatum,
        )
        for bank, share in zip(banks, shares, strict=True)
    ]
