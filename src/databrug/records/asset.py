"""Bezittingen / Huidige (huur)woningen: homes with WOZ values, mortgages, vehicles, bank balances."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from databrug.records.base import Day, Iban, Money, Record, SourceRef
from databrug.records.person import Address


class WozValue(Record):
    reference_date: Day = Field(description="Waardepeildatum")
    value: Money = Field(ge=0)


class Home(Record):
    source_ref: SourceRef
    woz_object_id: str | None = Field(default=None, pattern=r"^\d{12}$")
    address: Address
    relation: Literal["owner", "tenant", "owner_occupant"]
    woz_values: list[WozValue] = Field(default_factory=list)


class Mortgage(Record):
    source_ref: SourceRef
    year: int = Field(ge=2000, le=2100)
    lender: str = Field(min_length=1, max_length=200)
    debt_at_start_of_year: Money = Field(ge=0)
    interest_paid: Money | None = Field(default=None, ge=0)


class Vehicle(Record):
    source_ref: SourceRef
    registration: str = Field(pattern=r"^[A-Z0-9-]{6,8}$", description="Kenteken")
    make: str = Field(min_length=1, max_length=60)
    model: str | None = Field(default=None, max_length=60)
    registered_since: Day | None = None
    first_admission: Day | None = None


class BankBalance(Record):
    source_ref: SourceRef
    iban: Iban
    bank: str | None = Field(default=None, max_length=100)
    balance: Money
    reference_date: Day = Field(description="Usually 1 January: the box 3 peildatum")


class Assets(Record):
    homes: list[Home] = Field(default_factory=list)
    mortgages: list[Mortgage] = Field(default_factory=list)
    vehicles: list[Vehicle] = Field(default_factory=list)
    bank_balances: list[BankBalance] = Field(default_factory=list)
