"""The invented word lists in ``data/`` (names, places, employers, providers), loaded once."""

from __future__ import annotations

import json
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal


@dataclass(frozen=True)
class Surname:
    surname: str
    prefix: str | None


@dataclass(frozen=True)
class ForeignBirth:
    place: str
    country: str
    nationality: str | None


@dataclass(frozen=True)
class City:
    city: str
    code: str
    postcode_from: int
    postcode_to: int
    municipality: str


@dataclass(frozen=True)
class Employer:
    name: str
    sector: str
    pay: Literal["monthly", "four_weekly"]
    pension: str
    public: bool
    cars: bool


@dataclass(frozen=True)
class PensionProvider:
    name: str
    kind: Literal["guaranteed", "indicative"]


@dataclass(frozen=True)
class Bank:
    code: str
    name: str


@dataclass(frozen=True)
class CarModel:
    make: str
    model: str


@dataclass(frozen=True)
class Lexicon:
    given_female: tuple[str, ...]
    given_male: tuple[str, ...]
    given_child: tuple[str, ...]
    surnames: tuple[Surname, ...]
    birth_places_nl: tuple[str, ...]
    birth_places_abroad: tuple[ForeignBirth, ...]
    cities: tuple[City, ...]
    streets: tuple[str, ...]
    employers: tuple[Employer, ...]
    pension_providers: tuple[PensionProvider, ...]
    lenders: tuple[str, ...]
    banks: tuple[Bank, ...]
    vehicles: tuple[CarModel, ...]

    def provider(self, name: str) -> PensionProvider:
        return next(p for p in self.pension_providers if p.name == name)


def _load(name: str) -> dict[str, Any]:
    text = resources.files("databrug_sandbox.personas").joinpath("data", name).read_text(encoding="utf-8")
    data: dict[str, Any] = json.loads(text)
    return data


@cache
def lexicon() -> Lexicon:
    names = _load("names.json")
    places = _load("places.json")
    work = _load("employers.json")
    return Lexicon(
        given_female=tuple(names["given_female"]),
        given_male=tuple(names["given_male"]),
        given_child=tuple(names["given_child"]),
        surnames=tuple(Surname(s["surname"], s.get("prefix")) for s in names["surnames"]),
        birth_places_nl=tuple(names["birth_places_nl"]),
        birth_places_abroad=tuple(ForeignBirth(**b) for b in names["birth_places_abroad"]),
        cities=tuple(City(**c) for c in places["cities"]),
        streets=tuple(places["streets"]),
        employers=tuple(Employer(**e) for e in work["employers"]),
        pension_providers=tuple(PensionProvider(**p) for p in work["pension_providers"]),
        lenders=tuple(work["lenders"]),
        banks=tuple(Bank(**b) for b in work["banks"]),
        vehicles=tuple(CarModel(**v) for v in work["vehicles"]),
    )
