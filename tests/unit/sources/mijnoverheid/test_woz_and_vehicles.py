"""WOZ and vehicles parsers: owner/tenant from the belanghebbenden, values per peildatum, golden files."""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path

import pytest
from tests.support.mijnoverheid_citizens import citizen, suzanne
from tests.support.records import strip_refs

from databrug.records import Address, Home, Vehicle, WozValue
from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnoverheid.parser_vehicles import PARSER as VEHICLES
from databrug.sources.mijnoverheid.parser_woz import PARSER as WOZ
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.vehicles import render_vehicles
from databrug_sandbox.documents.woz import render_woz
from databrug_sandbox.personas.model import SANDBOX_REF

GOLDEN = Path(__file__).parents[3] / "golden" / "mijnoverheid"


def sample_homes() -> list[Home]:
    return [
        Home(
            source_ref=SANDBOX_REF,
            woz_object_id="051800012345",
            address=Address(street="Turfmarkt", house_number=77, postcode="2511 CA", city="'s-Gravenhage"),
            relation="tenant",
            woz_values=[
                WozValue(reference_date=date(2024, 1, 1), value=Decimal(231000)),
                WozValue(reference_date=date(2025, 1, 1), value=Decimal(248000)),
            ],
        ),
        Home(
            source_ref=SANDBOX_REF,
            woz_object_id="036300098765",
            address=Address(
                street="Dorpsstraat", house_number=3, house_letter="A", postcode="1011 AB", city="Amsterdam"
            ),
            relation="owner",
            woz_values=[WozValue(reference_date=date(2025, 1, 1), value=Decimal(512000))],
        ),
        Home(
            source_ref=SANDBOX_REF,
            address=Address(street="Kerkweg", house_number=9, postcode="8011 AA", city="Zwolle"),
            relation="owner_occupant",
        ),
    ]


def sample_vehicles() -> list[Vehicle]:
    return [
        Vehicle(
            source_ref=SANDBOX_REF,
            registration="GV-123-X",
            make="Volkswagen",
            model="Golf",
            registered_since=date(2021, 3, 15),
            first_admission=date(2016, 5, 1),
        ),
        Vehicle(source_ref=SANDBOX_REF, registration="XX999Z", make="Škoda"),
    ]


def test_woz_sandbox_golden_round_trip() -> None:
    person = suzanne()
    rendered = render_woz(citizen(person, homes=sample_homes()))
    assert rendered == (GOLDEN / "woz-sandbox-suzanne.json").read_bytes()
    parsed = WOZ.parse(rendered, ParseContext(subject_bsn=person.bsn))
    assert [strip_refs(h) for h in parsed.subject.assets.homes] == [strip_refs(h) for h in sample_homes()]
    # Without the context BSN the parser finds the one person involved in every object.
    again = WOZ.parse(rendered, ParseContext())
    assert again.subject.assets.homes == parsed.subject.assets.homes


def test_tenant_of_a_company_owner_and_owner_with_empty_values() -> None:
    homes = WOZ.parse(
        (GOLDEN / "woz-empty-waarden-nnp-owner.json").read_bytes(), ParseContext(subject_bsn="999993653")
    ).subject.assets.homes
    assert [h.relation for h in homes] == ["tenant", "owner"]
    assert homes[0].woz_object_id == "999900010004"
    assert homes[0].woz_values == [
        WozValue(reference_date=date(2021, 1, 1), value=Decimal(217000)),
        WozValue(reference_date=date(2020, 1, 1), value=Decimal(198000)),
    ]
    assert homes[0].address.postcode is not None
    assert homes[0].address.postcode.replace(" ", "") == "2551XS"
    assert homes[1].woz_values == []
    assert homes[1].address.house_letter == "A"
    assert homes[1].address.house_number_addition == "3"
    assert homes[1].address.lines == ["woonboot tegenover"]


def test_an_object_the_citizen_has_no_part_in_is_refused() -> None:
    data = (GOLDEN / "woz-citizen-not-involved.json").read_bytes()
    with pytest.raises(DocumentInvalid) as caught:
        WOZ.parse(data, ParseContext(subject_bsn="999993653"))
    assert caught.value.location == "$._embedded.wozobjecten[0]"
    with pytest.raises(DocumentInvalid) as caught:
        WOZ.parse(data, ParseContext())
    assert caught.value.location == "$._embedded.wozobjecten"


def test_no_homes_is_an_empty_list_not_an_error() -> None:
    parsed = WOZ.parse(render_woz(citizen(suzanne())), ParseContext())
    assert parsed.subject.assets.homes == []


@pytest.mark.parametrize(
    ("value", "location"),
    [
        ("217000", "$._embedded.wozobjecten[0].waarden[0].vastgesteldeWaarde"),
        (-5, "$._embedded.wozobjecten[0].waarden[0]"),
        (12.345, "$._embedded.wozobjecten[0].waarden[0]"),
        (10**15, "$._embedded.wozobjecten[0].waarden[0].vastgesteldeWaarde"),
        (True, "$._embedded.wozobjecten[0].waarden[0].vastgesteldeWaarde"),
    ],
)
def test_bad_woz_values_are_located(value: object, location: str) -> None:
    document = json.loads((GOLDEN / "woz-empty-waarden-nnp-owner.json").read_bytes())
    document["_embedded"]["wozobjecten"][0]["waarden"][0]["vastgesteldeWaarde"] = value
    with pytest.raises(DocumentInvalid) as caught:
        WOZ.parse(json.dumps(document).encode(), ParseContext(subject_bsn="999993653"))
    assert caught.value.location == location
    assert str(value) not in caught.value.message


def test_vehicles_golden_round_trip() -> None:
    rendered = render_vehicles(citizen(suzanne(), vehicles=sample_vehicles()))
    assert rendered == (GOLDEN / "vehicles-sandbox.json").read_bytes()
    parsed = VEHICLES.parse(rendered, ParseContext())
    assert [strip_refs(v) for v in parsed.subject.assets.vehicles] == [
        strip_refs(v) for v in sample_vehicles()
    ]
    assert parsed.entry.document_type == "voertuigen"


@pytest.mark.parametrize(
    ("change", "location"),
    [
        (lambda d: d.update(bron="CBS"), "$.bron"),
        (lambda d: d.update(formaatVersie="9.9"), "$.formaatVersie"),
        (lambda d: d["voertuigen"][0].pop("merk"), "$.voertuigen[0].merk"),
        (lambda d: d["voertuigen"][0].update(kenteken="!!"), "$.voertuigen[0]"),
        (
            lambda d: d["voertuigen"][0].update(datumTenaamstelling="15-03-2021"),
            "$.voertuigen[0].datumTenaamstelling",
        ),
        (lambda d: d.update(voertuigen={"kenteken": "GV-123-X"}), "$.voertuigen"),
    ],
)
def test_bad_vehicle_documents_are_located(change, location: str) -> None:  # type: ignore[no-untyped-def]
    document = json.loads(render_vehicles(citizen(suzanne(), vehicles=sample_vehicles())))
    change(document)
    with pytest.raises(DocumentInvalid) as caught:
        VEHICLES.parse(json.dumps(document).encode(), ParseContext())
    assert caught.value.location == location


def test_sniffers_tell_the_three_documents_apart() -> None:
    brp = (GOLDEN / "brp-sandbox-suzanne.json").read_bytes()
    woz = (GOLDEN / "woz-sandbox-suzanne.json").read_bytes()
    vehicles = (GOLDEN / "vehicles-sandbox.json").read_bytes()
    assert (WOZ.sniff(woz), WOZ.sniff(brp), WOZ.sniff(vehicles)) == (True, False, False)
    assert (VEHICLES.sniff(vehicles), VEHICLES.sniff(brp), VEHICLES.sniff(woz)) == (True, False, False)


def _member_paths(value: object, path: str = "") -> set[str]:
    found: set[str] = set()
    if isinstance(value, dict):
        for key, item in value.items():
            found.add(f"{path}.{key}")
            found |= _member_paths(item, f"{path}.{key}")
    elif isinstance(value, list):
        for item in value:
            found |= _member_paths(item, f"{path}[]")
    return found


def test_sandbox_woz_objects_use_only_members_of_the_woz_bevragen_mock() -> None:
    from databrug_sandbox.rvig import woz_test_objects

    known = set().union(*(_member_paths(obj) for obj in woz_test_objects()))
    rendered = json.loads(render_woz(citizen(suzanne(), homes=sample_homes())))
    used = set().union(*(_member_paths(obj) for obj in rendered["_embedded"]["wozobjecten"]))
    assert used - known == set()
    assert {".identificatie", ".aanduiding.postcode", ".waarden[].waardepeildatum"} <= used
