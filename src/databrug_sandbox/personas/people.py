"""Names, birth dates and addresses: the BRP side of a persona."""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import date, timedelta
from typing import Literal

from databrug.records import Address, FuzzyDate, PersonName
from databrug_sandbox.personas.lexicon import City, Surname, lexicon

_POSTCODE_LETTERS = "ABCDEFGHJKLMNPRSTVWXZ"


@dataclass(frozen=True)
class Birth:
    day: date
    place: str
    country: str
    nationalities: tuple[str, ...]


def initials(given_names: str) -> str:
    return "".join(f"{part[0]}." for part in given_names.split())


def person_name(
    rng: random.Random, gender: Literal["man", "vrouw"], family: Surname | None = None
) -> PersonName:
    words = lexicon()
    pool = words.given_male if gender == "man" else words.given_female
    count = rng.choice((1, 1, 2, 2, 3))
    given = " ".join(rng.sample(pool, count))
    family = family or rng.choice(words.surnames)
    return PersonName(
        given_names=given, prefix=family.prefix, surname=family.surname, initials=initials(given)
    )


def child_name(rng: random.Random, family: Surname) -> PersonName:
    given = " ".join(rng.sample(lexicon().given_child, rng.choice((1, 2))))
    return PersonName(
        given_names=given, prefix=family.prefix, surname=family.surname, initials=initials(given)
    )


def surname_of(name: PersonName) -> Surname:
    return Surname(surname=name.surname, prefix=name.prefix)


def birth_day(rng: random.Random, age: int, reference: date) -> date:
    """A date on which someone is exactly ``age`` whole years old at ``reference``."""
    latest = _years_before(reference, age)  # birthday on the reference day: just turned ``age``
    return latest - timedelta(days=rng.randrange(0, 365))


def _years_before(day: date, years: int) -> date:
    try:
        return day.replace(year=day.year - years)
    except ValueError:  # 29 February
        return day.replace(year=day.year - years, day=28)


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def birth(rng: random.Random, age: int, reference: date, abroad: bool) -> Birth:
    words = lexicon()
    day = birth_day(rng, age, reference)
    if not abroad:
        return Birth(day, rng.choice(words.birth_places_nl), "Nederland", ("Nederlandse",))
    foreign = rng.choice(words.birth_places_abroad)
    nationalities = ("Nederlandse",) + ((foreign.nationality,) if foreign.nationality else ())
    return Birth(day, foreign.place, foreign.country, nationalities)


def postcode(rng: random.Random, city: City) -> str:
    while True:
        letters = rng.choice(_POSTCODE_LETTERS) + rng.choice(_POSTCODE_LETTERS)
        if letters not in ("SA", "SD", "SS"):
            return f"{rng.randint(city.postcode_from, city.postcode_to)} {letters}"


def address(rng: random.Random, city: City, valid_from: date, valid_until: date | None = None) -> Address:
    letter = rng.choice("ABC") if rng.random() < 0.08 else None
    addition = rng.choice(("1", "2", "3", "bis", "hs")) if letter is None and rng.random() < 0.1 else None
    return Address(
        street=rng.choice(lexicon().streets),
        house_number=rng.randint(1, 250),
        house_letter=letter,
        house_number_addition=addition,
        postcode=postcode(rng, city),
        city=city.city,
        valid_from=FuzzyDate(date=valid_from),
        valid_until=valid_until,
    )


def earlier_addresses(
    rng: random.Random, moved_in: date, born: date, count: int, reference_city: City
) -> list[Address]:
    """``count`` earlier addresses, newest first, each ending the day before the next one starts."""
    words = lexicon()
    result: list[Address] = []
    until = moved_in - timedelta(days=1)
    for _ in range(count):
        earliest = born + timedelta(days=18 * 365)
        if until <= earliest + timedelta(days=400):
            break
        start = until - timedelta(days=rng.randint(365, min(365 * 9, (until - earliest).days)))
        city = reference_city if rng.random() < 0.5 else rng.choice(words.cities)
        result.append(address(rng, city, start, until))
        until = start - timedelta(days=1)
    return result


def without_validity(place: Address) -> Address:
    """The address as a WOZ object or a tax form shows it: no BRP validity dates."""
    return place.model_copy(update={"valid_from": None, "valid_until": None})
