"""Every BRP document the sandbox serves validates against the Haal Centraal BRP Personen v2.7 spec.

Checked: hand-built citizens, the persona catalogue, 100 generated households, 2,000 seeded citizens and
every RvIG test person. The validator follows the spec's OpenAPI discriminators (Datum, verblijfplaats and
nationaliteit types) and refuses member names the spec does not define (tests/support/brp_spec.py).
The seeded bulk uses a fast generator of its own: the household generator costs ~18 ms a household.
"""

from __future__ import annotations

import json
import random

import pytest
from tests.support.brp_spec import problems, response_problems
from tests.support.mijnoverheid_citizens import citizen, random_person, suzanne

from databrug_sandbox.documents.brp import render_brp
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.model import Citizen
from databrug_sandbox.rvig import rvig_brp_response, rvig_bsns

GENERATED = 2000

# Values in the upstream RvIG test set that the spec's own patterns refuse ('+', '/', '@', '%', '"', ';').
# The BRP API returns them as registered; we keep them and list exactly where they are.
UPSTREAM_PATTERN_DEVIATIONS = {
    ("999970045", "$.personen[0].indicatieGezagMinderjarige.omschrijving"),
    ("999970112", "$.personen[0].indicatieGezagMinderjarige.omschrijving"),
    ("999990081", "$.personen[0].naam.aanduidingNaamgebruik.omschrijving"),
    ("999990305", "$.personen[0].naam.aanduidingNaamgebruik.omschrijving"),
    ("999990524", "$.personen[0].naam.voornamen"),
    ("999990524", "$.personen[0].naam.geslachtsnaam"),
    ("999990524", "$.personen[0].naam.voorletters"),
    ("999990524", "$.personen[0].naam.volledigeNaam"),
    ("999990524", "$.personen[0].partners[0].naam.voornamen"),
    ("999990524", "$.personen[0].partners[0].naam.geslachtsnaam"),
    ("999990524", "$.personen[0].partners[0].naam.voorletters"),
}


def _problems_of(c: Citizen) -> list[str]:
    return response_problems(json.loads(render_brp(c)))


def test_the_validator_can_fail() -> None:
    document = json.loads(render_brp(citizen(suzanne())))
    person = document["personen"][0]
    person["geboorte"]["datum"] = {"type": "Datum", "langFormaat": "1 december 1985"}  # datum missing
    person["verblijfplaats"]["verblijfadres"]["huisnummer"] = "31"
    person["naam"]["achternaam"] = "Moulin"
    found = response_problems(document)
    assert any(p.startswith("$.personen[0].geboorte.datum") and "required" in p for p in found)
    assert any("huisnummer" in p and "integer" in p for p in found)
    assert any("achternaam" in p for p in found)
    assert problems({"type": "Onbekend"}, "AbstractDatum")


def test_catalogue_and_generated_households_validate() -> None:
    failing = {}
    households = [*CATALOGUE.values(), *(generate_household(seed) for seed in range(100))]
    for household in households:
        for member in household.citizens():
            found = _problems_of(member)
            if found:
                failing[household.key] = found[:3]
    assert failing == {}


def test_hand_built_citizen_validates() -> None:
    assert _problems_of(citizen(suzanne())) == []
    assert _problems_of(citizen(None)) == []


@pytest.mark.slow
def test_two_thousand_generated_citizens_validate() -> None:
    failing = {}
    for seed in range(GENERATED):
        found = _problems_of(citizen(random_person(random.Random(seed))))
        if found:
            failing[seed] = found[:3]
    assert failing == {}


def test_every_rvig_test_person_validates() -> None:
    deviations = set()
    for bsn in rvig_bsns():
        body = rvig_brp_response(bsn)
        assert body is not None
        for problem in response_problems(json.loads(body)):
            deviations.add((bsn, problem.split(":", 1)[0]))
    assert len(rvig_bsns()) == 54
    assert deviations == UPSTREAM_PATTERN_DEVIATIONS
