"""MijnOverheid's BRP document: the Haal Centraal BRP Personen v2.7 response for the citizen.

The body is a ``RaadpleegMetBurgerservicenummer`` response (``{"type", "personen": [Persoon]}``) exactly as
the BRP API gives it, plus one member the Haal Centraal API does not have: ``mijnOverheid``, with what the
MijnOverheid "Persoonlijke gegevens" pages show next to it and BRP v2.7 leaves out — the marital status, the
address history (earlier addresses, each a BRP Historie ``verblijfplaats`` with ``datumVan``/``datumTot``) and
every marriage or registered partnership (the API gives only the current or the last dissolved one).
The layout is described in docs/formats/brp.md.
"""

from __future__ import annotations

import json
from datetime import date
from typing import Any

from databrug.records import Address, FuzzyDate, PartnerLink, Person, PersonName, Relative
from databrug_sandbox.personas.model import Citizen

Json = dict[str, Any]

DEFAULT_REFERENCE_DATE = date(2026, 11, 1)

MONTHS = (
    "januari",
    "februari",
    "maart",
    "april",
    "mei",
    "juni",
    "juli",
    "augustus",
    "september",
    "oktober",
    "november",
    "december",
)

# Codes from the landelijke tabellen, limited to the values the RvIG test set and the personas use.
# A value without a known code is rendered with its omschrijving only (the Waardetabel code is optional).
LANDEN = {
    "Nederland": "6030",
    "België": "5010",
    "Frankrijk": "5002",
    "Zwitserland": "5003",
    "Canada": "5001",
    "Spanje": "6037",
    "Noorwegen": "6027",
    "Oekraïne": "6038",
    "Indonesië": "6024",
    "Nederlands-Indië": "9030",
    "Somalië": "6013",
    "Syrië": "7009",
    "Irak": "5043",
    "Armenië": "5054",
    "Servië": "5103",
    "Zuid-Afrika": "5014",
    "Bondsrepubliek Duitsland": "9089",
    "Verenigde Arabische Emiraten": "7054",
}
NATIONALITEITEN = {
    "Nederlandse": "0001",
    "Belgische": "0052",
    "Franse": "0057",
    "Spaanse": "0077",
    "Noorse": "0070",
    "Maltese": "0068",
    "Slowaakse": "0027",
    "Oekraïense": "0034",
    "Belarussische": "0038",
    "Somalische": "0149",
}
GEMEENTEN = {
    "Amsterdam": "0363",
    "Rotterdam": "0599",
    "'s-Gravenhage": "0518",
    "Utrecht": "0344",
    "Groningen": "0014",
    "Enschede": "0153",
    "Apeldoorn": "0200",
    "Arnhem": "0202",
    "Nijmegen": "0268",
    "Hilversum": "0402",
    "Den Helder": "0400",
    "Harderwijk": "0243",
    "Zevenaar": "0299",
    "Zaltbommel": "0297",
    "Leidschendam-Voorburg": "1916",
}
# Special nationality entries that BRP v2.7 types instead of naming a nationality.
SPECIAL_NATIONALITIES = {
    "staatloos": "Staatloos",
    "onbekend": "NationaliteitOnbekend",
    "behandeld als Nederlander": "BehandeldAlsNederlander",
    "vastgesteld niet-Nederlander": "VastgesteldNietNederlander",
}
# Tabel 38 Adellijke titel/predicaat: omschrijving -> (code, soort).
ADELLIJKE_TITELS = {
    "baron": ("B", "titel"),
    "barones": ("BS", "titel"),
    "graaf": ("G", "titel"),
    "gravin": ("GI", "titel"),
    "hertog": ("H", "titel"),
    "hertogin": ("HI", "titel"),
    "markies": ("M", "titel"),
    "markiezin": ("MI", "titel"),
    "prins": ("P", "titel"),
    "prinses": ("PS", "titel"),
    "ridder": ("R", "titel"),
    "jonkheer": ("JH", "predicaat"),
    "jonkvrouw": ("JV", "predicaat"),
}
GESLACHT = {"man": "M", "vrouw": "V", "onbekend": "O"}
BURGERLIJKE_STAAT = {
    "ongehuwd": "ongehuwd",
    "gehuwd": "gehuwd",
    "geregistreerd_partnerschap": "geregistreerd partnerschap",
    "gescheiden": "gescheiden",
    "verweduwd": "verweduwd",
    "onbekend": "onbekend",
}
SOORT_VERBINTENIS = {
    "huwelijk": ("H", "huwelijk"),
    "geregistreerd_partnerschap": ("P", "geregistreerd partnerschap"),
}
WOONADRES = {"code": "W", "omschrijving": "woonadres"}


def waarde(omschrijving: str, table: dict[str, str] | None = None) -> Json:
    """A Waardetabel value: the omschrijving, with its code when the table knows it."""
    code = (table or {}).get(omschrijving)
    return {"code": code, "omschrijving": omschrijving} if code else {"omschrijving": omschrijving}


def datum(year: int | None, month: int | None, day: int | None) -> Json:
    """A BRP date object: Datum, JaarMaandDatum, JaarDatum or DatumOnbekend, with its langFormaat."""
    if year and month and day:
        return {
            "type": "Datum",
            "datum": date(year, month, day).isoformat(),
            "langFormaat": f"{day} {MONTHS[month - 1]} {year}",
        }
    if year and month:
        return {
            "type": "JaarMaandDatum",
            "jaar": year,
            "maand": month,
            "langFormaat": f"{MONTHS[month - 1]} {year}",
        }
    if year:
        return {"type": "JaarDatum", "jaar": year, "langFormaat": str(year)}
    return {"type": "DatumOnbekend", "onbekend": True, "langFormaat": "onbekend"}


def fuzzy_datum(value: FuzzyDate) -> Json:
    if value.date is not None:
        return datum(value.date.year, value.date.month, value.date.day)
    return datum(value.year, value.month, None)


def reference_date(citizen: Citizen) -> date:
    """The day the sandbox world is "today" for this citizen (their household's reference date)."""
    value = citizen.extra.get("reference_date")
    return value if isinstance(value, date) else DEFAULT_REFERENCE_DATE


def age_on(birth: date, day: date) -> int:
    return day.year - birth.year - ((day.month, day.day) < (birth.month, birth.day))


def _compact(values: Json) -> Json:
    return {key: value for key, value in values.items() if value is not None}


def naam(name: PersonName, *, of_person: bool) -> Json:
    title = None
    if name.title:
        code, soort = ADELLIJKE_TITELS.get(name.title, (None, "titel"))
        title = _compact({"code": code, "omschrijving": name.title, "soort": soort})
    result = _compact(
        {
            "voornamen": name.given_names,
            "adellijkeTitelPredicaat": title,
            "voorvoegsel": name.prefix,
            "geslachtsnaam": name.surname,
            "voorletters": name.initials,
        }
    )
    if of_person:
        predicate = name.title if title and title["soort"] == "predicaat" else None
        noble_title = name.title if title and title["soort"] == "titel" else None
        parts = [predicate, name.given_names, noble_title, name.prefix, name.surname]
        result["volledigeNaam"] = " ".join(p for p in parts if p)
        result["aanduidingNaamgebruik"] = {"code": "E", "omschrijving": "eigen geslachtsnaam"}
    return result


def geboorte(birth: FuzzyDate | None, place: str | None, country: str | None) -> Json | None:
    result = _compact(
        {
            "datum": fuzzy_datum(birth) if birth is not None else None,
            "plaats": waarde(place, GEMEENTEN if country in (None, "Nederland") else None) if place else None,
            "land": waarde(country, LANDEN) if country else None,
        }
    )
    return result or None


def verblijfplaats(address: Address, *, historic: bool = False) -> Json:
    """One address as a BRP verblijfplaats; ``historic`` adds the BRP Historie ``datumTot``."""
    datum_van = fuzzy_datum(address.valid_from) if address.valid_from is not None else None
    result: Json
    if address.country != "Nederland":
        lines = {f"regel{i}": line for i, line in enumerate(address.lines, start=1)}
        result = {
            "type": "VerblijfplaatsBuitenland",
            "verblijfadres": {**lines, "land": waarde(address.country, LANDEN)},
        }
    elif address.lines and address.street is None:
        # A Dutch place without a street address (houseboat, caravan): BRP "locatiebeschrijving".
        result = {
            "type": "Locatie",
            "verblijfadres": {"locatiebeschrijving": address.lines[0]},
            "functieAdres": WOONADRES,
        }
    else:
        street = address.street
        result = {
            "type": "Adres",
            "verblijfadres": _compact(
                {
                    "officieleStraatnaam": street,
                    "korteStraatnaam": street[:24] if street else None,
                    "huisnummer": address.house_number,
                    "huisletter": address.house_letter,
                    "huisnummertoevoeging": address.house_number_addition,
                    "postcode": address.postcode.replace(" ", "") if address.postcode else None,
                    "woonplaats": address.city,
                }
            ),
            "functieAdres": WOONADRES,
        }
    if datum_van is not None:
        result["datumVan"] = datum_van
    if historic and address.valid_until is not None:
        result["datumTot"] = fuzzy_datum(FuzzyDate(date=address.valid_until))
    return result


def nationaliteit(value: str) -> Json:
    special = SPECIAL_NATIONALITIES.get(value)
    if special:
        return {"type": special}
    return {"type": "Nationaliteit", "nationaliteit": waarde(value, NATIONALITEITEN)}


def relative(person: Relative) -> Json:
    return _compact(
        {
            "burgerservicenummer": person.bsn,
            "naam": naam(person.name, of_person=False) if person.name else None,
            "geboorte": {"datum": fuzzy_datum(person.birth)} if person.birth is not None else None,
        }
    )


def partner(link: PartnerLink) -> Json:
    code, omschrijving = SOORT_VERBINTENIS[link.kind]
    result = relative(link)
    result["soortVerbintenis"] = {"code": code, "omschrijving": omschrijving}
    if link.since is not None:
        result["aangaanHuwelijkPartnerschap"] = {"datum": fuzzy_datum(link.since)}
    if link.dissolved_on is not None:
        result["ontbindingHuwelijkPartnerschap"] = {"datum": fuzzy_datum(link.dissolved_on)}
    return result


def _dissolution_key(link: PartnerLink) -> tuple[int, int, int]:
    moment = link.dissolved_on
    if moment is None:
        return (0, 0, 0)
    if moment.date is not None:
        return (moment.date.year, moment.date.month, moment.date.day)
    return (moment.year or 0, moment.month or 0, 0)


def api_partner(links: list[PartnerLink]) -> PartnerLink | None:
    """The one partner BRP v2.7 returns: the current one, else the most recently dissolved one."""
    for link in links:
        if link.dissolved_on is None:
            return link
    if not links:
        return None
    latest = max(_dissolution_key(link) for link in links)
    return [link for link in links if _dissolution_key(link) == latest][-1]


def persoon(person: Person, today: date) -> Json:
    registered = [p for p in person.partners if p.kind != "samenwonend"]  # cohabitation is not in the BRP
    current = api_partner(registered)
    result = _compact(
        {
            "burgerservicenummer": person.bsn,
            "geheimhoudingPersoonsgegevens": True if person.secret else None,
            "geslacht": {"code": GESLACHT[person.gender], "omschrijving": person.gender},
            "naam": naam(person.name, of_person=True),
            "geboorte": geboorte(person.birth, person.birth_place, person.birth_country),
            "leeftijd": (
                age_on(person.birth.date, today)
                if person.birth is not None and person.birth.date is not None and person.deceased_on is None
                else None
            ),
            "nationaliteiten": [nationaliteit(n) for n in person.nationalities] or None,
            "verblijfplaats": verblijfplaats(person.addresses[0]) if person.addresses else None,
            "partners": [partner(current)] if current is not None else None,
            "kinderen": [relative(child) for child in person.children] or None,
        }
    )
    if person.deceased_on is not None:
        result["overlijden"] = {"datum": fuzzy_datum(person.deceased_on)}
        result["opschortingBijhouding"] = {
            "reden": {"code": "O", "omschrijving": "overlijden"},
            "datum": fuzzy_datum(person.deceased_on),
        }
    if person.in_research:
        result["inOnderzoek"] = {
            "burgerservicenummer": True,
            "datumIngangOnderzoekPersoon": datum(today.year, 1, 2),
        }
    return result


def mijnoverheid_block(person: Person) -> Json:
    registered = [p for p in person.partners if p.kind != "samenwonend"]
    return {
        "burgerlijkeStaat": {"omschrijving": BURGERLIJKE_STAAT[person.marital_status]},
        "woongeschiedenis": [verblijfplaats(a, historic=True) for a in person.addresses[1:]],
        "partnerhistorie": [partner(link) for link in registered],
    }


def brp_response(person: Person, today: date) -> Json:
    return {
        "type": "RaadpleegMetBurgerservicenummer",
        "personen": [persoon(person, today)],
        "mijnOverheid": mijnoverheid_block(person),
    }


def render_brp(citizen: Citizen) -> bytes:
    """The citizen's BRP document as MijnOverheid serves it (UTF-8 JSON)."""
    person = citizen.facts.person
    if person is None:
        body: Json = {"type": "RaadpleegMetBurgerservicenummer", "personen": []}
    else:
        body = brp_response(person, reference_date(citizen))
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")
