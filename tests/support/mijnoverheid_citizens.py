"""Hand-built citizens and hypothesis strategies for the MijnOverheid documents (BRP, WOZ, vehicles).

The strategies stay within what each source can express: cohabitation is not in the BRP, WOZ addresses carry
no validity dates, WOZ values are whole euros. Names use the characters the BRP API's patterns allow.
"""

from __future__ import annotations

import random
from datetime import date, timedelta
from decimal import Decimal
from typing import TypeVar

from hypothesis import strategies as st

from databrug.records import (
    Address,
    Assets,
    FuzzyDate,
    Home,
    PartnerLink,
    Person,
    PersonName,
    Relative,
    Subject,
    Vehicle,
    WozValue,
)
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount

T = TypeVar("T")


def test_bsn(serial: int) -> str:
    """A 9999xxxxx BSN passing the 11-proef, or the next one that does."""
    for candidate in range(serial, serial + 20):
        body = f"9999{candidate % 10000:04d}"
        total = sum(int(d) * w for d, w in zip(body, range(9, 1, -1), strict=True))
        check = total % 11
        if check < 10:
            return body + str(check)
    raise AssertionError("unreachable: one in every 11 candidates passes")


def citizen(
    person: Person | None, *, homes: list[Home] | None = None, vehicles: list[Vehicle] | None = None
) -> Citizen:
    facts = Subject(
        role="applicant", person=person, assets=Assets(homes=homes or [], vehicles=vehicles or [])
    )
    return Citizen(digid=DigidAccount("testburger", "geheim"), facts=facts)


def suzanne() -> Person:
    """A full person: title, history here and abroad, a locatie, current and dissolved partners, a child."""
    return Person(
        source_ref=SANDBOX_REF,
        bsn="999993653",
        name=PersonName(
            given_names="Suzanne Maria", prefix="de", surname="Moulin", initials="S.M.", title="jonkvrouw"
        ),
        gender="vrouw",
        birth=FuzzyDate(date=date(1985, 12, 1)),
        birth_place="Utrecht",
        birth_country="Nederland",
        nationalities=["Nederlandse", "Franse"],
        addresses=[
            Address(
                street="Hector Berliozplantsoen",
                house_number=31,
                house_letter="B",
                house_number_addition="2",
                postcode="2551 XS",
                city="'s-Gravenhage",
                valid_from=FuzzyDate(date=date(2019, 6, 1)),
            ),
            Address(
                country="Frankrijk",
                lines=["12 Rue de la Paix", "75002 Paris"],
                valid_from=FuzzyDate(year=2014, month=3),
                valid_until=date(2019, 5, 31),
            ),
            Address(
                lines=["woonboot bij de Kabouterbrug"],
                valid_from=FuzzyDate(year=2008),
                valid_until=date(2014, 2, 28),
            ),
        ],
        marital_status="gehuwd",
        partners=[
            PartnerLink(
                kind="huwelijk",
                bsn="999991772",
                name=PersonName(given_names="Pieter", prefix="van der", surname="Berg", initials="P."),
                birth=FuzzyDate(date=date(1983, 2, 14)),
                since=FuzzyDate(date=date(2020, 5, 20)),
            ),
            PartnerLink(
                kind="geregistreerd_partnerschap",
                name=PersonName(surname="Dubois"),
                since=FuzzyDate(year=2009),
                dissolved_on=FuzzyDate(year=2013, month=11),
            ),
        ],
        children=[
            Relative(
                bsn="999970252",
                name=PersonName(given_names="Sanne", prefix="van der", surname="Berg", initials="S."),
                birth=FuzzyDate(date=date(2021, 3, 3)),
            )
        ],
    )


# -- strategies ------------------------------------------------------------------------------------------

_GIVEN = (
    "Jan",
    "Anna",
    "Mohamed",
    "Fatima",
    "Pieter Jan",
    "Ĳsbrand",
    "Noëlle",
    "José",
    "Sofie",
    "Daan Willem",
)
_PREFIXES = (None, "de", "van", "van der", "van den", "'t", "ter")
_SURNAMES = (
    "Jansen",
    "Bakker",
    "El Amrani",
    "Visser",
    "Öztürk",
    "Smit-Meijer",
    "Dijkstra",
    "Çelik",
    "Mulder",
)
_TITLES = (None, None, None, "jonkheer", "jonkvrouw", "baron", "gravin")
_CITIES = ("Amsterdam", "Utrecht", "'s-Gravenhage", "Zwolle", "Den Helder", "Groningen")
_STREETS = ("Dorpsstraat", "Laan van Nieuw Oost-Indië", "Kerkweg", "Burgemeester van Reenensingel")
_COUNTRIES = ("België", "Bondsrepubliek Duitsland", "Spanje", "Marokko", "Turkije", "Canada")
_NATIONALITIES = ("Nederlandse", "Belgische", "Marokkaanse", "Turkse", "staatloos", "onbekend")

days = st.dates(min_value=date(1920, 1, 1), max_value=date(2026, 10, 31))


@st.composite
def fuzzy_dates(draw: st.DrawFn) -> FuzzyDate:
    day = draw(days)
    kind = draw(st.sampled_from(("full", "full", "full", "month", "year", "unknown")))
    if kind == "full":
        return FuzzyDate(date=day)
    if kind == "month":
        return FuzzyDate(year=day.year, month=day.month)
    if kind == "year":
        return FuzzyDate(year=day.year)
    return FuzzyDate()


@st.composite
def names(draw: st.DrawFn, *, full: bool = True) -> PersonName:
    given = draw(st.sampled_from((None, *_GIVEN))) if not full else draw(st.sampled_from(_GIVEN))
    initials = "".join(f"{part[0]}." for part in given.split()) if given and draw(st.booleans()) else None
    return PersonName(
        given_names=given,
        prefix=draw(st.sampled_from(_PREFIXES)),
        surname=draw(st.sampled_from(_SURNAMES)),
        initials=initials,
        title=draw(st.sampled_from(_TITLES)),
    )


@st.composite
def dutch_addresses(draw: st.DrawFn, *, dated: bool = True) -> Address:
    digits = draw(st.integers(1000, 9999))
    letters = draw(st.sampled_from(("AB", "XS", "CA", "ZZ", "GN")))
    return Address(
        street=draw(st.sampled_from(_STREETS)),
        house_number=draw(st.integers(1, 99999)),
        house_letter=draw(st.sampled_from((None, None, "A", "b"))),
        house_number_addition=draw(st.sampled_from((None, None, "2", "hs", "bis"))),
        postcode=f"{digits} {letters}",
        city=draw(st.sampled_from(_CITIES)),
        valid_from=draw(st.none() | fuzzy_dates()) if dated else None,
    )


@st.composite
def addresses(draw: st.DrawFn) -> Address:
    kind = draw(st.sampled_from(("nl", "nl", "nl", "abroad", "locatie")))
    if kind == "nl":
        return draw(dutch_addresses())
    valid_from = draw(st.none() | fuzzy_dates())
    if kind == "abroad":
        lines = draw(
            st.lists(st.sampled_from(("Calle Mayor 1", "28013 Madrid", "Provincia de Madrid")), max_size=3)
        )
        return Address(country=draw(st.sampled_from(_COUNTRIES)), lines=lines, valid_from=valid_from)
    return Address(
        lines=[draw(st.sampled_from(("woonboot Het Anker", "woonwagen bij de dijk")))], valid_from=valid_from
    )


@st.composite
def partners(draw: st.DrawFn) -> PartnerLink:
    return PartnerLink(
        kind=draw(st.sampled_from(("huwelijk", "geregistreerd_partnerschap"))),
        bsn=draw(st.none() | st.integers(0, 9999).map(test_bsn)),
        name=draw(st.none() | names(full=False)),
        birth=draw(st.none() | fuzzy_dates()),
        since=draw(st.none() | fuzzy_dates()),
        dissolved_on=draw(st.none() | fuzzy_dates()),
    )


@st.composite
def persons(draw: st.DrawFn) -> Person:
    history = draw(st.lists(addresses(), max_size=4))
    current = draw(st.lists(addresses(), min_size=0, max_size=1))
    earlier = [
        a.model_copy(update={"valid_until": date(2000, 1, 1) + timedelta(days=draw(st.integers(0, 9000)))})
        for a in history
    ]
    links = draw(st.lists(partners(), max_size=3))
    return Person(
        source_ref=SANDBOX_REF,
        bsn=test_bsn(draw(st.integers(0, 9999))),
        name=draw(names()),
        gender=draw(st.sampled_from(("man", "vrouw", "onbekend"))),
        birth=draw(st.none() | fuzzy_dates()),
        birth_place=draw(st.none() | st.sampled_from((*_CITIES, "Casablanca"))),
        birth_country=draw(st.none() | st.sampled_from(("Nederland", "Marokko"))),
        nationalities=draw(st.lists(st.sampled_from(_NATIONALITIES), max_size=3, unique=True)),
        addresses=current + earlier if current else [],
        marital_status=draw(
            st.sampled_from(
                ("ongehuwd", "gehuwd", "geregistreerd_partnerschap", "gescheiden", "verweduwd", "onbekend")
            )
        ),
        partners=links,
        children=draw(
            st.lists(
                st.builds(
                    Relative,
                    bsn=st.none() | st.integers(0, 9999).map(test_bsn),
                    name=st.none() | names(full=False),
                    birth=st.none() | fuzzy_dates(),
                ),
                max_size=4,
            )
        ),
        deceased_on=draw(st.none() | st.none() | fuzzy_dates()),
        secret=draw(st.booleans()),
        in_research=draw(st.booleans()),
    )


@st.composite
def homes(draw: st.DrawFn) -> Home:
    values = draw(
        st.lists(
            st.builds(
                WozValue,
                reference_date=st.integers(2010, 2026).map(lambda year: date(year, 1, 1)),
                value=st.integers(0, 5_000_000).map(Decimal),
            ),
            max_size=8,
        )
    )
    return Home(
        source_ref=SANDBOX_REF,
        woz_object_id=draw(st.none() | st.integers(0, 10**12 - 1).map(lambda n: f"{n:012d}")),
        address=draw(dutch_addresses(dated=False)),
        relation=draw(st.sampled_from(("owner", "tenant", "owner_occupant"))),
        woz_values=values,
    )


@st.composite
def vehicles(draw: st.DrawFn) -> Vehicle:
    letters = draw(st.text(alphabet="BDFGHJKLNPRSTVXZ", min_size=3, max_size=3))
    number = draw(st.integers(100, 999))
    return Vehicle(
        source_ref=SANDBOX_REF,
        registration=f"{letters[:2]}-{number}-{letters[2]}",
        make=draw(st.sampled_from(("Volkswagen", "Kia", "Škoda", "Peugeot"))),
        model=draw(st.none() | st.sampled_from(("Golf", "Picanto", "Octavia Combi"))),
        registered_since=draw(st.none() | days),
        first_admission=draw(st.none() | days),
    )


@st.composite
def citizens(draw: st.DrawFn) -> Citizen:
    return citizen(
        draw(persons()),
        homes=draw(st.lists(homes(), max_size=3)),
        vehicles=draw(st.lists(vehicles(), max_size=3)),
    )


# -- a seeded generator for bulk checks (hypothesis is too slow for thousands of documents) ---------------


def _random_fuzzy(rng: random.Random) -> FuzzyDate:
    day = date(1920, 1, 1) + timedelta(days=rng.randint(0, 38000))
    kind = rng.choice(("full", "full", "full", "month", "year", "unknown"))
    if kind == "full":
        return FuzzyDate(date=day)
    if kind == "month":
        return FuzzyDate(year=day.year, month=day.month)
    return FuzzyDate(year=day.year) if kind == "year" else FuzzyDate()


def _maybe(rng: random.Random, value: T) -> T | None:
    return value if rng.random() < 0.6 else None


def _random_name(rng: random.Random, *, full: bool = True) -> PersonName:
    given = rng.choice(_GIVEN) if full or rng.random() < 0.7 else None
    return PersonName(
        given_names=given,
        prefix=rng.choice(_PREFIXES),
        surname=rng.choice(_SURNAMES),
        initials="".join(f"{part[0]}." for part in given.split()) if given and rng.random() < 0.5 else None,
        title=rng.choice(_TITLES),
    )


def _random_address(rng: random.Random) -> Address:
    kind = rng.choice(("nl", "nl", "nl", "abroad", "locatie"))
    valid_from = _maybe(rng, _random_fuzzy(rng))
    if kind == "abroad":
        lines = ["Calle Mayor 1", "28013 Madrid", "Provincia de Madrid"][: rng.randint(0, 3)]
        return Address(country=rng.choice(_COUNTRIES), lines=lines, valid_from=valid_from)
    if kind == "locatie":
        return Address(lines=["woonboot Het Anker"], valid_from=valid_from)
    return Address(
        street=rng.choice(_STREETS),
        house_number=rng.randint(1, 99999),
        house_letter=rng.choice((None, None, "A")),
        house_number_addition=rng.choice((None, None, "2", "hs")),
        postcode=f"{rng.randint(1000, 9999)} {rng.choice(('AB', 'XS', 'CA'))}",
        city=rng.choice(_CITIES),
        valid_from=valid_from,
    )


def random_person(rng: random.Random) -> Person:
    current = [_random_address(rng)] if rng.random() < 0.95 else []
    earlier = [
        _random_address(rng).model_copy(
            update={"valid_until": date(2000, 1, 1) + timedelta(days=rng.randint(0, 9000))}
        )
        for _ in range(rng.choice((0, 1, 1, 2, 3)) if current else 0)
    ]
    links = [
        PartnerLink(
            kind=rng.choice(("huwelijk", "geregistreerd_partnerschap")),
            bsn=_maybe(rng, test_bsn(rng.randint(0, 9999))),
            name=_maybe(rng, _random_name(rng, full=False)),
            birth=_maybe(rng, _random_fuzzy(rng)),
            since=_maybe(rng, _random_fuzzy(rng)),
            dissolved_on=_maybe(rng, _random_fuzzy(rng)),
        )
        for _ in range(rng.choice((0, 0, 1, 1, 2)))
    ]
    children = [
        Relative(
            bsn=_maybe(rng, test_bsn(rng.randint(0, 9999))),
            name=_maybe(rng, _random_name(rng, full=False)),
            birth=_maybe(rng, _random_fuzzy(rng)),
        )
        for _ in range(rng.choice((0, 0, 1, 2, 3)))
    ]
    return Person(
        source_ref=SANDBOX_REF,
        bsn=test_bsn(rng.randint(0, 9999)),
        name=_random_name(rng),
        gender=rng.choice(("man", "vrouw", "onbekend")),
        birth=_maybe(rng, _random_fuzzy(rng)),
        birth_place=_maybe(rng, rng.choice(_CITIES)),
        birth_country=_maybe(rng, rng.choice(("Nederland", "Marokko"))),
        nationalities=rng.sample(_NATIONALITIES, rng.randint(0, 3)),
        addresses=current + earlier,
        marital_status=rng.choice(
            ("ongehuwd", "gehuwd", "geregistreerd_partnerschap", "gescheiden", "verweduwd")
        ),
        partners=links,
        children=children,
        deceased_on=_random_fuzzy(rng) if rng.random() < 0.1 else None,
        secret=rng.random() < 0.2,
        in_research=rng.random() < 0.2,
    )
