"""The official RvIG test persons and WOZ test objects: converted by the sandbox, read by the product.

Expected values come from the source files themselves (read here independently of the converter) or are
copied from them by hand; they are not taken from the code under test.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from importlib import resources
from typing import Any

import pytest

from databrug.records import FuzzyDate
from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnoverheid.parser_brp import PARSER as BRP
from databrug.sources.mijnoverheid.parser_woz import PARSER as WOZ
from databrug.sources.parsing import ParseContext
from databrug_sandbox.rvig import rvig_brp_response, rvig_bsns, woz_response_for, woz_test_objects

DATA = resources.files("databrug_sandbox") / "data" / "rvig"
SOURCE_PERSONS: dict[str, dict[str, Any]] = {
    p["burgerservicenummer"]: p for p in json.loads((DATA / "brp-test-data.json").read_text("utf-8"))
}
SOURCE_WOZ: list[dict[str, Any]] = json.loads((DATA / "woz-test-data.json").read_text("utf-8"))


def gba_date(value: str) -> FuzzyDate:
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if year and month and day:
        return FuzzyDate(date=date(year, month, day))
    return FuzzyDate(year=year or None, month=month or None)


def has_onderzoek(value: Any) -> bool:
    if isinstance(value, dict):
        return any(k in ("inOnderzoek", "persoonInOnderzoek", "gezagInOnderzoek") for k in value) or any(
            has_onderzoek(v) for v in value.values()
        )
    if isinstance(value, list):
        return any(has_onderzoek(v) for v in value)
    return False


def test_all_54_persons_are_served() -> None:
    assert rvig_bsns() == list(SOURCE_PERSONS)
    assert len(rvig_bsns()) == 54
    assert rvig_brp_response("999999990") is None


@pytest.mark.parametrize("bsn", list(SOURCE_PERSONS))
def test_every_person_parses_with_the_source_values(bsn: str) -> None:
    source = SOURCE_PERSONS[bsn]
    body = rvig_brp_response(bsn)
    assert body is not None
    person = BRP.parse(body, ParseContext(subject_bsn=bsn)).subject.person
    assert person is not None
    assert person.bsn == bsn
    assert person.name.surname == source["naam"]["geslachtsnaam"]
    assert person.name.given_names == source["naam"].get("voornamen")
    assert person.name.prefix == source["naam"].get("voorvoegsel")
    assert person.birth == gba_date(source["geboorte"]["datum"])
    assert person.secret == (source.get("geheimhoudingPersoonsgegevens") == "1")
    assert person.in_research == has_onderzoek({k: v for k, v in source.items() if k != "gezag"})
    assert (person.deceased_on is not None) == ("overlijden" in source)
    assert person.gender == source["geslacht"]["omschrijving"]
    place = source["verblijfplaats"]
    if place.get("postcode"):
        assert person.addresses[0].postcode is not None
        assert person.addresses[0].postcode.replace(" ", "") == place["postcode"]
    if place.get("land", {}).get("code") == "0000":  # land onbekend: VerblijfplaatsOnbekend, no address
        assert person.addresses == []
    elif place.get("land"):
        assert person.addresses[0].country == place["land"]["omschrijving"]
        assert person.addresses[0].lines == [place[k] for k in ("regel1", "regel2", "regel3") if k in place]
    assert [c.bsn for c in person.children] == [k.get("burgerservicenummer") for k in source["kinderen"]]
    assert len(person.partners) == min(1, len(source["partners"]))


def test_selected_persons_in_detail() -> None:
    def person(bsn: str):  # type: ignore[no-untyped-def]
        body = rvig_brp_response(bsn)
        assert body is not None
        return BRP.parse(body, ParseContext()).subject.person

    moulin = person("999993653")
    assert moulin.name.display == "Suzanne Moulin"
    assert moulin.birth == FuzzyDate(date=date(1985, 12, 1))
    assert (
        moulin.addresses[0].postcode == "3077 AW" or moulin.addresses[0].postcode.replace(" ", "") == "3077AW"
    )

    # Incomplete birth date (year only) and a partner married in an unknown month.
    somali = person("999970586")
    assert somali.birth == FuzzyDate(year=1970)
    assert somali.partners[0].since == FuzzyDate(year=1990)
    assert somali.partners[0].birth == FuzzyDate(year=1980, month=6)

    # Year-month birth date, an address in Iraq in three lines, RNI.
    abroad = person("999990457")
    assert abroad.birth == FuzzyDate(year=1995, month=2)
    assert abroad.addresses[0].country == "Irak"
    assert abroad.addresses[0].lines[1] == "Baghdad"

    # A houseboat: locatiebeschrijving.
    assert person("999997002").addresses[0].lines == ["woonaak De Kabouter in Ruigoord"]

    # A dissolved marriage to a partner without BSN.
    divorced = person("000009866")
    assert divorced.partners[0].bsn is None
    assert divorced.partners[0].dissolved_on == FuzzyDate(date=date(1996, 2, 29))
    assert divorced.nationalities == ["behandeld als Nederlander"]

    # Noble title from the source.
    assert person("000009830").name.title == "graaf"

    # The deceased partner pair: 999970239 died 2020-08-01, and is 999970240's partner.
    assert person("999970239").deceased_on == FuzzyDate(date=date(2020, 8, 1))
    assert person("999970240").partners[0].bsn == "999970239"


def test_woz_objects_are_unique_and_complete() -> None:
    ids = [o["identificatie"] for o in SOURCE_WOZ]
    assert len(ids) == 15
    assert [o["identificatie"] for o in woz_test_objects()] == list(dict.fromkeys(ids))


def natural_persons(obj: dict[str, Any]) -> dict[str, str]:
    roles = {}
    for role in ("belanghebbendeEigenaar", "belanghebbendeGebruiker"):
        party = obj.get(role) or {}
        if party.get("type") == "natuurlijk_persoon":
            roles[role] = party["burgerservicenummer"]
    return roles


def test_every_woz_object_with_a_natural_person_parses_with_its_values() -> None:
    checked = 0
    for obj in woz_test_objects():
        for bsn in set(natural_persons(obj).values()):
            body = woz_response_for(bsn)
            assert body is not None
            homes = WOZ.parse(body, ParseContext(subject_bsn=bsn)).subject.assets.homes
            [home] = [h for h in homes if h.woz_object_id == obj["identificatie"]]
            assert {v.reference_date.isoformat(): v.value for v in home.woz_values} == {
                w["waardepeildatum"]: Decimal(w["vastgesteldeWaarde"]) for w in obj.get("waarden", [])
            }
            roles = {role for role, who in natural_persons(obj).items() if who == bsn}
            expected = {
                frozenset({"belanghebbendeEigenaar", "belanghebbendeGebruiker"}): "owner_occupant",
                frozenset({"belanghebbendeEigenaar"}): "owner",
                frozenset({"belanghebbendeGebruiker"}): "tenant",
            }[frozenset(roles)]
            assert home.relation == expected
            assert home.address.house_number == obj["aanduiding"]["huisnummer"]
            checked += 1
    assert checked == 8


def test_known_woz_values_by_peildatum() -> None:
    body = woz_response_for("999993653")
    assert body is not None
    [home] = WOZ.parse(body, ParseContext(subject_bsn="999993653")).subject.assets.homes
    assert home.relation == "tenant"  # Grand Kontex B.V. owns it, Suzanne Moulin lives there
    assert home.address.street == "Hector Berliozplantsoen"
    assert [(v.reference_date, v.value) for v in home.woz_values] == [
        (date(2021, 1, 1), Decimal(217000)),
        (date(2020, 1, 1), Decimal(198000)),
        (date(2019, 1, 1), Decimal(193000)),
    ]
    assert woz_response_for("999999990") is None


def test_objects_without_the_citizen_are_a_located_error() -> None:
    companies_only = [o for o in woz_test_objects() if not natural_persons(o)]
    assert companies_only
    body = json.dumps({"_embedded": {"wozobjecten": companies_only}}).encode()
    with pytest.raises(DocumentInvalid) as caught:
        WOZ.parse(body, ParseContext(subject_bsn="999993653"))
    assert caught.value.location == "$._embedded.wozobjecten[0]"
