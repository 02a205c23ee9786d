"""MijnOverheid's WOZ document: the citizen's WOZ objects as Haal Centraal WOZ-bevragen HAL+JSON.

``{"_links": {"self"}, "_embedded": {"wozobjecten": [WozObject]}}`` with each object shaped like the
WOZ-bevragen mock's data (identificatie, aanduiding, belanghebbendeEigenaar/-Gebruiker, waarden[]).
Owner or tenant shows in the belanghebbenden (docs/formats/woz.md):

- owner: the citizen is belanghebbende eigenaar and there is no belanghebbende gebruiker (a dwelling has
  no gebruikersbelasting, so municipalities usually record none);
- owner_occupant: the citizen is both eigenaar and gebruiker;
- tenant: a landlord (niet_natuurlijk_persoon with an RSIN) is eigenaar, the citizen is gebruiker.
"""

from __future__ import annotations

import hashlib
import json
from decimal import Decimal
from typing import Any

from databrug.records import Home, PersonName, WozValue
from databrug_sandbox.documents.brp import GEMEENTEN
from databrug_sandbox.personas.model import Citizen

Json = dict[str, Any]

# Fictional landlords with RSINs that pass the 11-proef (test data, not real organisations).
LANDLORDS = (
    ("Woonstichting Het Anker", "857587973"),
    ("Woningcorporatie De Linde", "020664606"),
    ("Vastgoed Verhuur Nederland B.V.", "428228574"),
    ("Stichting Thuis in de Wijk", "398963708"),
)
WOZ_API_BASE = "/mijnoverheid/api/wozobjecten"


def _belanghebbende_naam(name: PersonName | None) -> str:
    if name is None:
        return "onbekend"
    parts = [
        name.initials or (name.given_names[:1] + "." if name.given_names else None),
        name.prefix,
        name.surname,
    ]
    return " ".join(p for p in parts if p)


def _landlord(home: Home) -> tuple[str, str]:
    seed = (home.woz_object_id or home.address.model_dump_json()).encode()
    return LANDLORDS[hashlib.sha256(seed).digest()[0] % len(LANDLORDS)]


def _amount(value: Decimal) -> int | float:
    # WOZ values are whole euros; a value with cents stays exact through its shortest decimal form.
    return int(value) if value == value.to_integral_value() else float(value)


def _waarde(value: WozValue) -> Json:
    peildatum = value.reference_date
    return {
        "vastgesteldeWaarde": _amount(value.value),
        "waardepeildatum": peildatum.isoformat(),
        "ingangsdatum": peildatum.replace(year=peildatum.year + 1, month=1, day=1).isoformat(),
        "beschikkingsStatussen": ["beschikking_genomen"],
    }


def wozobject(home: Home, bsn: str, name: PersonName | None) -> Json:
    citizen = {"burgerservicenummer": bsn, "naam": _belanghebbende_naam(name), "type": "natuurlijk_persoon"}
    address = home.address
    result: Json = {}
    if home.woz_object_id:
        result["identificatie"] = home.woz_object_id
    result["aanduiding"] = {
        key: value
        for key, value in {
            "straat": address.street,
            "huisnummer": address.house_number,
            "huisletter": address.house_letter,
            "huisnummertoevoeging": address.house_number_addition,
            "postcode": address.postcode.replace(" ", "") if address.postcode else None,
            "woonplaats": address.city,
            "locatieomschrijving": address.lines[0] if address.lines else None,
        }.items()
        if value is not None
    }
    if home.relation == "tenant":
        landlord, rsin = _landlord(home)
        result["belanghebbendeEigenaar"] = {"naam": landlord, "rsin": rsin, "type": "niet_natuurlijk_persoon"}
        result["belanghebbendeGebruiker"] = citizen
    else:
        result["belanghebbendeEigenaar"] = citizen
        if home.relation == "owner_occupant":
            result["belanghebbendeGebruiker"] = citizen
    if address.city in GEMEENTEN:
        result["verantwoordelijkeGemeente"] = {"code": GEMEENTEN[address.city], "omschrijving": address.city}
    result["waarden"] = [_waarde(value) for value in home.woz_values]
    if home.woz_object_id:
        result["_links"] = {"self": {"href": f"{WOZ_API_BASE}/{home.woz_object_id}"}}
    return result


def render_woz(citizen: Citizen) -> bytes:
    """The citizen's WOZ objects (application/hal+json, UTF-8)."""
    person = citizen.facts.person
    name = person.name if person is not None else None
    objects = [wozobject(home, citizen.bsn, name) for home in citizen.facts.assets.homes]
    body = {"_links": {"self": {"href": WOZ_API_BASE}}, "_embedded": {"wozobjecten": objects}}
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
