"""The official RvIG test persons and WOZ test objects, served by the sandbox's MijnOverheid portal.

The persons come in the personen-mock's internal GBA-like shape (data/rvig/SOURCE.md). ``rvig_brp_response``
converts one into the Haal Centraal BRP Personen v2.7 response the BRP proxy would give: ``yyyymmdd`` dates
with ``00`` parts become Datum / JaarMaandDatum / JaarDatum / DatumOnbekend objects with a langFormaat, GBA
"gegevens in onderzoek" codes become the API's boolean markers, foreign addresses become
VerblijfplaatsBuitenland, a locatiebeschrijving becomes Locatie, only the current or last dissolved partner is
kept, and so on. These responses are plain BRP API answers: without MijnOverheid's ``mijnOverheid`` block.
"""

# Over 400 lines on purpose: one mapping of the official test set's shape to the portals' answers, field by
# field, kept beside the notes on where each field comes from.

from __future__ import annotations

import json
from datetime import date
from functools import cache
from importlib import resources
from typing import Any

from databrug_sandbox.documents.brp import DEFAULT_REFERENCE_DATE, age_on, datum

Json = dict[str, Any]

_DATA = resources.files("databrug_sandbox") / "data" / "rvig"

# GBA element numbers ("groep" + "element") -> (sub-object, API field) that an onderzoek marks.
_PERSON_ELEMENTS: dict[str, list[tuple[str, str]]] = {
    "0110": [],
    "0120": [("", "burgerservicenummer")],
    "0210": [("naam", "voornamen"), ("naam", "voorletters"), ("naam", "volledigeNaam")],
    "0220": [("naam", "adellijkeTitelPredicaat"), ("naam", "volledigeNaam")],
    "0230": [("naam", "voorvoegsel"), ("naam", "volledigeNaam")],
    "0240": [("naam", "geslachtsnaam"), ("naam", "volledigeNaam")],
    "0310": [("geboorte", "datum"), ("", "leeftijd")],
    "0320": [("geboorte", "plaats")],
    "0330": [("geboorte", "land")],
    "0410": [("", "geslacht")],
}
_PARTNER_ELEMENTS = {
    **{k: v for k, v in _PERSON_ELEMENTS.items() if k != "0310"},
    "0310": [("geboorte", "datum")],
    "0610": [("aangaanHuwelijkPartnerschap", "datum")],
    "0620": [("aangaanHuwelijkPartnerschap", "plaats")],
    "0630": [("aangaanHuwelijkPartnerschap", "land")],
    "0710": [("ontbindingHuwelijkPartnerschap", "datum")],
    "1510": [("", "soortVerbintenis")],
}
_RELATIVE_ELEMENTS = {**_PARTNER_ELEMENTS, "6210": [("", "datumIngangFamilierechtelijkeBetrekking")]}
_NATIONALITY_ELEMENTS = {"0510": [("", "nationaliteit")], "6310": [("", "redenOpname")]}
_DEATH_ELEMENTS = {"0810": [("", "datum")], "0820": [("", "plaats")], "0830": [("", "land")]}
_ADDRESS_ELEMENTS = {
    "1010": [("", "functieAdres")],
    "1030": [("", "datumVan")],
    "1110": [("verblijfadres", "korteStraatnaam")],
    "1115": [("verblijfadres", "officieleStraatnaam")],
    "1120": [("verblijfadres", "huisnummer")],
    "1130": [("verblijfadres", "huisletter")],
    "1140": [("verblijfadres", "huisnummertoevoeging")],
    "1150": [("verblijfadres", "aanduidingBijHuisnummer")],
    "1160": [("verblijfadres", "postcode")],
    "1170": [("verblijfadres", "woonplaats")],
    "1180": [("", "adresseerbaarObjectIdentificatie")],
    "1190": [("", "nummeraanduidingIdentificatie")],
    "1210": [("verblijfadres", "locatiebeschrijving")],
    "1310": [("verblijfadres", "land")],
    "1320": [("", "datumVan")],
    "1330": [("verblijfadres", "regel1")],
    "1340": [("verblijfadres", "regel2")],
    "1350": [("verblijfadres", "regel3")],
}


@cache
def _persons() -> dict[str, Json]:
    records: list[Json] = json.loads((_DATA / "brp-test-data.json").read_text(encoding="utf-8"))
    return {record["burgerservicenummer"]: record for record in records}


@cache
def _woz_objects() -> list[Json]:
    objects: list[Json] = json.loads((_DATA / "woz-test-data.json").read_text(encoding="utf-8"))
    unique: dict[str, Json] = {}
    for item in objects:
        unique.setdefault(item["identificatie"], item)  # 800000003118 appears twice, identical
    return list(unique.values())


def rvig_bsns() -> list[str]:
    """The BSNs of every RvIG test person the sandbox knows, in the source file's order."""
    return list(_persons())


def woz_test_objects() -> list[Json]:
    """The WOZ-bevragen mock's objects (unique by identificatie), unchanged."""
    return [json.loads(json.dumps(item)) for item in _woz_objects()]


def woz_response_for(bsn: str) -> bytes | None:
    """The HAL+JSON answer listing the test objects where ``bsn`` is belanghebbende eigenaar or gebruiker."""
    mine = [item for item in _woz_objects() if bsn in _woz_bsns(item)]
    if not mine:
        return None
    body = {
        "_links": {"self": {"href": "/mijnoverheid/api/wozobjecten"}},
        "_embedded": {"wozobjecten": mine},
    }
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


def _woz_bsns(item: Json) -> set[str]:
    found = set()
    for role in ("belanghebbendeEigenaar", "belanghebbendeGebruiker"):
        party = item.get(role) or {}
        if party.get("type") == "natuurlijk_persoon" and party.get("burgerservicenummer"):
            found.add(party["burgerservicenummer"])
    return found


def rvig_brp_response(bsn: str, today: date = DEFAULT_REFERENCE_DATE) -> bytes | None:
    """The BRP Personen v2.7 ``RaadpleegMetBurgerservicenummer`` response for one RvIG test person."""
    record = _persons().get(bsn)
    if record is None:
        return None
    body = {"type": "RaadpleegMetBurgerservicenummer", "personen": [convert_person(record, today)]}
    return json.dumps(body, ensure_ascii=False, indent=2).encode("utf-8")


# -- conversion ------------------------------------------------------------------------------------------


def gba_datum(value: str) -> Json:
    """``yyyymmdd`` with ``00`` for unknown parts -> a BRP date object."""
    year, month, day = int(value[:4]), int(value[4:6]), int(value[6:8])
    if not year:
        return datum(None, None, None)
    if not month:
        return datum(year, None, None)
    return datum(year, month, day or None)


def _full_date(value: str | None) -> date | None:
    if not value or len(value) != 8 or value.endswith("00") or value[4:6] == "00":
        return None
    return date(int(value[:4]), int(value[4:6]), int(value[6:8]))


def _drop_empty(values: Json) -> Json:
    return {key: value for key, value in values.items() if value not in (None, {}, [])}


def _voorletters(voornamen: str | None) -> str | None:
    if not voornamen or not voornamen.strip():
        return None
    return "".join(f"{name[0]}." for name in voornamen.split())


def _naam(gba: Json, *, of_person: bool) -> Json:
    title = gba.get("adellijkeTitelPredicaat")
    result = _drop_empty(
        {
            "voornamen": gba.get("voornamen"),
            "adellijkeTitelPredicaat": title,
            "voorvoegsel": gba.get("voorvoegsel"),
            "geslachtsnaam": gba.get("geslachtsnaam"),
            "voorletters": _voorletters(gba.get("voornamen")),
        }
    )
    if of_person:
        soort = title.get("soort") if title else None
        title_text = title.get("omschrijving") if title else None
        parts = [
            title_text if soort == "predicaat" else None,
            gba.get("voornamen", "").strip() or None,
            title_text if soort == "titel" else None,
            gba.get("voorvoegsel"),
            gba.get("geslachtsnaam"),
        ]
        result["volledigeNaam"] = " ".join(p for p in parts if p)
        if gba.get("aanduidingNaamgebruik"):
            result["aanduidingNaamgebruik"] = gba["aanduidingNaamgebruik"]
    return result


def _place_date_country(gba: Json | None) -> Json | None:
    if not gba:
        return None
    return _drop_empty(
        {
            "datum": gba_datum(gba["datum"]) if gba.get("datum") else None,
            "plaats": gba.get("plaats"),
            "land": gba.get("land"),
        }
    )


def _mark_onderzoek(
    target: Json, gba: Json | None, elements: dict[str, list[tuple[str, str]]], date_key: str
) -> None:
    """Turn a GBA ``aanduidingGegevensInOnderzoek`` (CCGGEE) into the API's inOnderzoek booleans."""
    if not gba or not gba.get("aanduidingGegevensInOnderzoek"):
        return
    code = gba["aanduidingGegevensInOnderzoek"]
    group, element = code[2:4], code[4:6]
    started = gba_datum(gba["datumIngangOnderzoek"]) if gba.get("datumIngangOnderzoek") else None
    for number, fields in elements.items():
        whole = group in ("00", "99") or (element in ("00", "99") and number[:2] == group)
        if not whole and number != group + element:
            continue
        for sub, field in fields:
            holder = target if not sub else target.get(sub)
            if not isinstance(holder, dict) or field not in holder:
                continue  # only data that is in the answer gets a marker
            marks = holder.setdefault("inOnderzoek", {})
            marks[field] = True
            if started is not None:
                marks[date_key if not sub else "datumIngangOnderzoek"] = started
    if started is not None and "inOnderzoek" not in target:
        # The marked data is not in the answer; the API still tells that an onderzoek is running.
        target["inOnderzoek"] = {date_key: started}


def _related(gba: Json, elements: dict[str, list[tuple[str, str]]]) -> Json:
    result = _drop_empty(
        {
            "burgerservicenummer": gba.get("burgerservicenummer"),
            "geslacht": gba.get("geslacht"),
            "soortVerbintenis": gba.get("soortVerbintenis"),
            "ouderAanduiding": gba.get("ouderAanduiding"),
            "datumIngangFamilierechtelijkeBetrekking": (
                gba_datum(gba["datumIngangFamilierechtelijkeBetrekking"])
                if gba.get("datumIngangFamilierechtelijkeBetrekking")
                else None
            ),
            "naam": _naam(gba.get("naam") or {}, of_person=False),
            "geboorte": _place_date_country(gba.get("geboorte")),
            "aangaanHuwelijkPartnerschap": _place_date_country(gba.get("aangaanHuwelijkPartnerschap")),
            "ontbindingHuwelijkPartnerschap": _place_date_country(gba.get("ontbindingHuwelijkPartnerschap")),
        }
    )
    _mark_onderzoek(result, gba.get("inOnderzoek"), elements, "datumIngangOnderzoek")
    return result


def _current_or_last_dissolved(partners: list[Json]) -> list[Json]:
    current = [p for p in partners if not (p.get("ontbindingHuwelijkPartnerschap") or {}).get("datum")]
    if current:
        return current[:1]
    if not partners:
        return []
    return [max(partners, key=lambda p: p["ontbindingHuwelijkPartnerschap"]["datum"])]


def _verblijfplaats(gba: Json) -> Json:
    started = gba.get("datumIngangGeldigheid")
    result: Json
    if gba.get("land") or gba.get("regel1"):
        land = gba.get("land") or {}
        if land.get("code") == "0000":
            result = {"type": "VerblijfplaatsOnbekend"}
        else:
            result = {
                "type": "VerblijfplaatsBuitenland",
                "verblijfadres": _drop_empty(
                    {
                        "regel1": gba.get("regel1"),
                        "regel2": gba.get("regel2"),
                        "regel3": gba.get("regel3"),
                        "land": land,
                    }
                ),
            }
        van = gba.get("datumAanvangAdresBuitenland")
    elif gba.get("locatiebeschrijving"):
        result = {
            "type": "Locatie",
            "verblijfadres": {"locatiebeschrijving": gba["locatiebeschrijving"]},
            "functieAdres": gba.get("functieAdres"),
        }
        van = gba.get("datumAanvangAdreshouding")
    else:
        result = {
            "type": "Adres",
            "verblijfadres": _drop_empty(
                {
                    "officieleStraatnaam": gba.get("naamOpenbareRuimte"),
                    "korteStraatnaam": gba.get("straat"),
                    "huisnummer": int(gba["huisnummer"]) if gba.get("huisnummer") else None,
                    "huisletter": gba.get("huisletter"),
                    "huisnummertoevoeging": gba.get("huisnummertoevoeging"),
                    "aanduidingBijHuisnummer": gba.get("aanduidingBijHuisnummer"),
                    "postcode": gba.get("postcode"),
                    "woonplaats": gba.get("woonplaats"),
                }
            ),
            "functieAdres": gba.get("functieAdres"),
            "adresseerbaarObjectIdentificatie": gba.get("adresseerbaarObjectIdentificatie"),
            "nummeraanduidingIdentificatie": gba.get("nummeraanduidingIdentificatie"),
        }
        van = gba.get("datumAanvangAdreshouding")
    if van:
        result["datumVan"] = gba_datum(van)
    if started:
        result["datumIngangGeldigheid"] = gba_datum(started)
    result = _drop_empty(result)
    _mark_onderzoek(result, gba.get("inOnderzoek"), _ADDRESS_ELEMENTS, "datumIngangOnderzoek")
    return result


def _nationaliteit(gba: Json) -> Json:
    code = (gba.get("nationaliteit") or {}).get("code")
    special = {"0499": "Staatloos", "0000": "NationaliteitOnbekend", "0002": "BehandeldAlsNederlander"}.get(
        code or ""
    )
    bijzonder = (gba.get("aanduidingBijzonderNederlanderschap") or {}).get("code")
    if bijzonder:
        special = {"B": "BehandeldAlsNederlander", "V": "VastgesteldNietNederlander"}.get(bijzonder, special)
    result = _drop_empty(
        {
            "type": special or "Nationaliteit",
            "nationaliteit": None if special else gba.get("nationaliteit"),
            "redenOpname": gba.get("redenOpname"),
            "datumIngangGeldigheid": (
                gba_datum(gba["datumIngangGeldigheid"]) if gba.get("datumIngangGeldigheid") else None
            ),
        }
    )
    _mark_onderzoek(result, gba.get("inOnderzoek"), _NATIONALITY_ELEMENTS, "datumIngangOnderzoek")
    return result


_GEZAG_NO_EXPLANATION = "Toelichting ontbreekt in de testdata."


def _gezag(gba: Json, own_bsn: str) -> Json:
    kind = gba["type"]
    minderjarige = gba.get("minderjarige") or {"burgerservicenummer": own_bsn}
    if kind == "TweehoofdigOuderlijkGezag":
        kind = "GezamenlijkOuderlijkGezag"  # the mock's older name for the same relation
    result: Json = {"type": kind, "minderjarige": minderjarige}
    if "ouders" in gba:
        result["ouders"] = [{**ouder, "naam": {}} for ouder in gba["ouders"]]
    if "ouder" in gba:
        result["ouder"] = {**gba["ouder"], "naam": {}}
    if "derde" in gba:
        result["derde"] = {"type": "BekendeDerde", **gba["derde"]}
    if "derden" in gba:
        result["derden"] = [{"type": "BekendeDerde", **derde} for derde in gba["derden"]]
    if kind in ("TijdelijkGeenGezag", "GezagNietTeBepalen"):
        result["toelichting"] = gba.get("toelichting") or _GEZAG_NO_EXPLANATION
    return result


def _dated(gba: Json | None, date_fields: tuple[str, ...]) -> Json | None:
    if not gba:
        return None
    return _drop_empty({k: (gba_datum(v) if k in date_fields and v else v) for k, v in gba.items()})


def convert_person(gba: Json, today: date = DEFAULT_REFERENCE_DATE) -> Json:
    """One person record from the mock's GBA-like shape to the BRP Personen v2.7 ``Persoon``."""
    bsn = gba["burgerservicenummer"]
    birth = _full_date((gba.get("geboorte") or {}).get("datum"))
    overlijden = _place_date_country(gba.get("overlijden"))
    result = _drop_empty(
        {
            "aNummer": gba.get("aNummer"),
            "burgerservicenummer": bsn,
            "datumEersteInschrijvingGBA": (
                gba_datum(gba["datumEersteInschrijvingGBA"])
                if gba.get("datumEersteInschrijvingGBA")
                else None
            ),
            "geheimhoudingPersoonsgegevens": (
                True if gba.get("geheimhoudingPersoonsgegevens", "0") not in ("0", 0, False) else None
            ),
            "geslacht": gba.get("geslacht"),
            "naam": _naam(gba.get("naam") or {}, of_person=True),
            "geboorte": _place_date_country(gba.get("geboorte")),
            "leeftijd": age_on(birth, today) if birth and not overlijden else None,
            "nationaliteiten": [_nationaliteit(n) for n in gba.get("nationaliteiten", [])],
            "overlijden": overlijden,
            "verblijfplaats": _verblijfplaats(gba["verblijfplaats"]) if gba.get("verblijfplaats") else None,
            "immigratie": _dated(gba.get("immigratie"), ("datumVestigingInNederland",)),
            "gemeenteVanInschrijving": gba.get("gemeenteVanInschrijving"),
            "datumInschrijvingInGemeente": (
                gba_datum(gba["datumInschrijvingInGemeente"])
                if gba.get("datumInschrijvingInGemeente")
                else None
            ),
            "indicatieCurateleRegister": True if gba.get("indicatieCurateleRegister") else None,
            "indicatieGezagMinderjarige": gba.get("indicatieGezagMinderjarige"),
            "gezag": [_gezag(g, bsn) for g in gba.get("gezag", [])],
            "verblijfstitel": _dated(gba.get("verblijfstitel"), ("datumIngang", "datumEinde")),
            "europeesKiesrecht": _dated(gba.get("europeesKiesrecht"), ("einddatumUitsluiting",)),
            "uitsluitingKiesrecht": _dated(gba.get("uitsluitingKiesrecht"), ("einddatum",)),
            "kinderen": [_related(k, _RELATIVE_ELEMENTS) for k in gba.get("kinderen", [])],
            "ouders": [_related(o, _RELATIVE_ELEMENTS) for o in gba.get("ouders", [])],
            "partners": [
                _related(p, _PARTNER_ELEMENTS) for p in _current_or_last_dissolved(gba.get("partners", []))
            ],
            "opschortingBijhouding": _dated(gba.get("opschortingBijhouding"), ("datum",)),
            "rni": gba.get("rni"),
            "verificatie": _dated(gba.get("verificatie"), ("datum",)),
        }
    )
    if overlijden is not None:
        _mark_onderzoek(
            overlijden, gba["overlijden"].get("inOnderzoek"), _DEATH_ELEMENTS, "datumIngangOnderzoek"
        )
    _mark_onderzoek(result, gba.get("persoonInOnderzoek"), _PERSON_ELEMENTS, "datumIngangOnderzoekPersoon")
    gezag_onderzoek = gba.get("gezagInOnderzoek")
    if gezag_onderzoek:
        marks = result.setdefault("inOnderzoek", {})
        marks[
            "indicatieCurateleRegister"
            if gezag_onderzoek["aanduidingGegevensInOnderzoek"][2:4] == "33"
            else "indicatieGezagMinderjarige"
        ] = True
        marks["datumIngangOnderzoekGezag"] = gba_datum(gezag_onderzoek["datumIngangOnderzoek"])
    return result
