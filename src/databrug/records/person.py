"""Personen: the BRP-shaped person record."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from databrug.records.base import Bsn, Day, Postcode, Record, SourceRef


class FuzzyDate(Record):
    """A BRP date that may be only partly known (year, or year and month, or nothing)."""

    date: Day | None = None
    year: int | None = Field(default=None, ge=1, le=9999)
    month: int | None = Field(default=None, ge=1, le=12)

    @model_validator(mode="after")
    def _consistent(self) -> FuzzyDate:
        if self.date is not None and (
            self.year not in (None, self.date.year) or self.month not in (None, self.date.month)
        ):
            raise ValueError("year/month disagree with the full date")
        if self.month is not None and self.year is None:
            raise ValueError("a month without a year is not a date")
        return self


class PersonName(Record):
    given_names: str | None = Field(default=None, max_length=200)
    prefix: str | None = Field(default=None, max_length=20, description="Voorvoegsel, e.g. 'van der'")
    surname: str = Field(min_length=1, max_length=200, description="Geslachtsnaam")
    initials: str | None = Field(default=None, max_length=40)
    title: str | None = Field(default=None, max_length=40, description="Adellijke titel of predicaat")

    @property
    def display(self) -> str:
        parts = [self.given_names or self.initials or "", self.prefix or "", self.surname]
        return " ".join(p for p in parts if p)


class Address(Record):
    street: str | None = Field(default=None, max_length=200)
    house_number: int | None = Field(default=None, ge=1, le=99999)
    house_letter: str | None = Field(default=None, max_length=1)
    house_number_addition: str | None = Field(default=None, max_length=4)
    postcode: Postcode | None = None
    city: str | None = Field(default=None, max_length=200)
    country: str = Field(default="Nederland", max_length=100)
    lines: list[str] = Field(default_factory=list, max_length=3, description="Foreign address lines")
    valid_from: FuzzyDate | None = None
    valid_until: Day | None = None


class Relative(Record):
    bsn: Bsn | None = None
    name: PersonName | None = None
    birth: FuzzyDate | None = None


class PartnerLink(Relative):
    kind: Literal["huwelijk", "geregistreerd_partnerschap", "samenwonend"]
    since: FuzzyDate | None = None
    dissolved_on: FuzzyDate | None = None


MaritalStatus = Literal[
    "ongehuwd", "gehuwd", "geregistreerd_partnerschap", "gescheiden", "verweduwd", "onbekend"
]


class Person(Record):
    source_ref: SourceRef
    bsn: Bsn
    name: PersonName
    gender: Literal["man", "vrouw", "onbekend"] = "onbekend"
    birth: FuzzyDate | None = None
    birth_place: str | None = Field(default=None, max_length=200)
    birth_country: str | None = Field(default=None, max_length=100)
    nationalities: list[str] = Field(default_factory=list, max_length=10)
    addresses: list[Address] = Field(
        default_factory=list, description="Current address first, then earlier ones."
    )
    marital_status: MaritalStatus = "onbekend"
    partners: list[PartnerLink] = Field(default_factory=list, max_length=10)
    children: list[Relative] = Field(default_factory=list, max_length=30)
    deceased_on: FuzzyDate | None = None
    secret: bool = Field(default=False, description="Geheimhouding persoonsgegevens")
    in_research: bool = Field(default=False, description="Some data is under investigation (in onderzoek)")

    @property
    def current_partner(self) -> PartnerLink | None:
        for partner in self.partners:
            if partner.dissolved_on is None:
                return partner
        return None
