"""Mijnpensioenoverzicht download: a citizen's pensions as ``pensioenaanspraken.xml`` or its JSON twin.

The shape follows what independent public parsers expect of the real download (our notes in
``tests/golden/mpo/SOURCE.md``): amounts per age window, each scheme repeated in every window in which it
is payable, AOW from the AOW age on, partner and orphan pensions by event, Totalen summed from Details.
XML quirks are reproduced on purpose: a list of one is a single element, absent amounts are
``xsi:nil`` elements, all values are text. The XML carries the name and birth date; the JSON does not.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import date, datetime, time, timedelta, timezone
from decimal import Decimal
from typing import Literal, TypeAlias

from lxml import etree

from databrug.records import Age, Pensions, PensionScheme, SurvivorPension
from databrug_sandbox.personas.model import Citizen

Format = Literal["xml", "json"]

XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
DEFAULT_REFERENCE_DATE = date(2026, 11, 1)
CREATION_TIME = time(9, 30)
# Citizen.extra keys the renderer reads (both optional).
REFERENCE_DATE_KEY = "reference_date"
MISSING_PROVIDERS_KEY = "mpo_missing_providers"
FALLBACK_AOW_AGE = Age(years=67, months=3)
ORPHAN_PENSION_UNTIL = Age(years=21, months=0)
REMARKS = (
    "De bedragen zijn bruto bedragen per jaar.",
    "Het AOW-bedrag is gebaseerd op de huidige wetgeving en kan veranderen.",
)
SCHEME_LISTS: tuple[tuple[str, str], ...] = (
    ("Pensioen", "guaranteed"),
    ("IndicatiefPensioen", "indicative"),
    ("AlleenstaandenPensioen", "single_person_supplement"),
)


@dataclass(frozen=True)
class ItemList:
    """A list whose XML form wraps each item in a child element (``<OntbrekendePuvsError><Puv>``)."""

    item_name: str
    items: tuple[str, ...]


# None is an absent optional value: omitted from JSON, an xsi:nil element in XML.
Value: TypeAlias = "dict[str, Value] | list[Value] | ItemList | str | int | Decimal | bool | None"


def render_pensioenoverzicht(citizen: Citizen, fmt: Format) -> bytes:
    """The download for one citizen; the same citizen always gives the same bytes."""
    overview = _overview(citizen, fmt)
    if fmt == "xml":
        return _xml_bytes("Pensioenaanspraken", overview)
    if fmt == "json":
        return (_json_text(overview, 0) + "\n").encode("utf-8")
    raise ValueError("fmt must be 'xml' or 'json'")


# --- the object model ----------------------------------------------------------------------------------


def _overview(citizen: Citizen, fmt: Format) -> dict[str, Value]:
    pensions = citizen.facts.pensions
    overview: dict[str, Value] = {
        "StatusCode": "000",
        "TijdstipAanmakenBericht": _created_at(citizen).isoformat(),
    }
    person = citizen.facts.person
    if fmt == "xml" and person is not None:
        overview["Naam"] = person.name.display
        overview["Geboortedatum"] = (
            person.birth.date.isoformat() if person.birth and person.birth.date else None
        )
    overview["Bijzonderheden"] = list(REMARKS)
    missing = tuple(str(name) for name in citizen.extra.get(MISSING_PROVIDERS_KEY, ()))
    if missing:
        overview["OntbrekendePuvsError"] = ItemList("Puv", missing)
    old_age = _old_age_windows(pensions)
    partner = [p for p in pensions.survivor_pensions if p.beneficiary == "partner"]
    orphan = [p for p in pensions.survivor_pensions if p.beneficiary == "orphan"]
    overview["Totalen"] = {
        "OuderdomsPensioenTotalen": {"OuderdomsPensioenTotaal": [w.total() for w in old_age]},
        "PartnerPensioenTotalen": {"PartnerPensioenTotaal": _partner_totals(partner)},
        "WezenPensioenTotalen": {"WezenPensioenTotaal": _orphan_totals(orphan)},
    }
    overview["Details"] = {
        "OuderdomsPensioenDetails": {"OuderdomsPensioen": [w.detail() for w in old_age]},
        "PartnerPensioenDetails": {"PartnerPensioen": _partner_details(partner)},
        "WezenPensioenDetails": {"WezenPensioen": _orphan_details(orphan)},
    }
    return overview


def _created_at(citizen: Citizen) -> datetime:
    """A fixed moment on the reference date (never ``now()``), in Dutch local time with its offset."""
    reference = citizen.extra.get(REFERENCE_DATE_KEY)
    if not isinstance(reference, date):
        pensions = citizen.facts.pensions
        dates = [
            item.as_of
            for item in (pensions.state_pension, *pensions.schemes, *pensions.survivor_pensions)
            if item is not None and item.as_of is not None
        ]
        reference = max(dates, default=DEFAULT_REFERENCE_DATE)
    return datetime.combine(reference, CREATION_TIME, tzinfo=_dutch_offset(reference))


def _last_sunday(year: int, month: int) -> date:
    last = date(year, month + 1, 1) - timedelta(days=1)
    return last - timedelta(days=(last.weekday() + 1) % 7)


def _dutch_offset(day: date) -> timezone:
    """CET or CEST at mid-morning on ``day`` (EU rule), without relying on the system's tz database."""
    summer = _last_sunday(day.year, 3) <= day < _last_sunday(day.year, 10)
    return timezone(timedelta(hours=2 if summer else 1))


def _age_key(age: Age) -> tuple[int, int]:
    return (age.years, age.months)


def _age(age: Age) -> dict[str, Value]:
    return {"Leeftijd": {"Jaren": age.years, "Maanden": age.months}}


def _amount(value: Decimal | None) -> Value:
    if value is None:
        return None
    return int(value) if value == value.to_integral_value() else value


def _sum(values: list[Decimal | None]) -> Value:
    present = [value for value in values if value is not None]
    return _amount(sum(present, Decimal(0))) if present else None


@dataclass(frozen=True)
class _OldAgeWindow:
    start: Age
    end: Age | None  # None: until death ("Overlijden")
    pensions: Pensions
    schemes: tuple[PensionScheme, ...]

    @property
    def has_state_pension(self) -> bool:
        state = self.pensions.state_pension
        return state is not None and _age_key(state.start_age) <= _age_key(self.start)

    def _edges(self) -> dict[str, Value]:
        end: Value = _age(self.end) if self.end else {"OuderdomsPensioenEvent": "Overlijden"}
        return {"Van": _age(self.start), "Tot": end}

    def detail(self) -> dict[str, Value]:
        window = self._edges()
        state = self.pensions.state_pension
        if state is not None and self.has_state_pension:
            window["AOW"] = {
                "StandPer": state.as_of.isoformat() if state.as_of else None,
                "AOWDetailsOpbouw": {
                    "TeBereikenSamenwonend": _amount(state.projected_together),
                    "OpgebouwdSamenwonend": _amount(state.accrued_together),
                    "TeBereikenAlleenstaand": _amount(state.projected_single),
                    "OpgebouwdAlleenstaand": _amount(state.accrued_single),
                },
            }
        for list_name, kind in SCHEME_LISTS:
            entries: list[Value] = [_scheme_entry(s) for s in self.schemes if s.kind == kind]
            if entries:
                window[list_name] = entries
        return window

    def total(self) -> dict[str, Value]:
        window = self._edges()
        state = self.pensions.state_pension
        with_state = state is not None and self.has_state_pension
        window["AOWSamenwonend"] = _amount(state.projected_together) if state and with_state else None
        window["AOWAlleenstaand"] = _amount(state.projected_single) if state and with_state else None
        for list_name, kind in SCHEME_LISTS:
            window[list_name] = _sum([s.projected_yearly for s in self.schemes if s.kind == kind])
        return window


def _scheme_start(scheme: PensionScheme, pensions: Pensions) -> Age:
    if scheme.start_age is not None:
        return scheme.start_age
    return pensions.state_pension.start_age if pensions.state_pension else FALLBACK_AOW_AGE


def _old_age_windows(pensions: Pensions) -> list[_OldAgeWindow]:
    """Windows between every start and end age that occurs; a scheme sits in each window it covers."""
    edges = {_age_key(_scheme_start(s, pensions)) for s in pensions.schemes}
    edges |= {_age_key(s.end_age) for s in pensions.schemes if s.end_age is not None}
    if pensions.state_pension is not None:
        edges.add(_age_key(pensions.state_pension.start_age))
    for scheme in pensions.schemes:
        if scheme.end_age is not None and _age_key(scheme.end_age) <= _age_key(
            _scheme_start(scheme, pensions)
        ):
            raise ValueError("a persona's pension scheme must end after it starts")
    ordered = [Age(years=years, months=months) for years, months in sorted(edges)]
    windows = []
    for index, start in enumerate(ordered):
        end = ordered[index + 1] if index + 1 < len(ordered) else None
        schemes = tuple(s for s in pensions.schemes if _covers(s, pensions, start, end))
        window = _OldAgeWindow(start, end, pensions, schemes)
        if schemes or window.has_state_pension:
            windows.append(window)
    return windows


def _covers(scheme: PensionScheme, pensions: Pensions, start: Age, end: Age | None) -> bool:
    if _age_key(_scheme_start(scheme, pensions)) > _age_key(start):
        return False
    if scheme.end_age is None:
        return True
    return end is not None and _age_key(end) <= _age_key(scheme.end_age)


def _scheme_entry(scheme: PensionScheme) -> dict[str, Value]:
    entry: dict[str, Value] = {
        "PensioenUitvoerder": scheme.provider,
        "HerkenningsNummer": scheme.scheme_id,
        "StandPer": scheme.as_of.isoformat() if scheme.as_of else None,
        "TeBereiken": _amount(scheme.projected_yearly),
        "Opgebouwd": _amount(scheme.accrued_yearly),
    }
    if scheme.divorce_settlement:
        entry["AfhandelingVerevening"] = scheme.divorce_settlement
    return entry


# --- partner and orphan pensions -----------------------------------------------------------------------

_PARTNER_EDGES: dict[str, Value] = {
    "Van": {"PartnerEvent": "Overlijden"},
    "Tot": {"PartnerEvent": "OverlijdenPartner"},
}


def _orphan_edges() -> dict[str, Value]:
    return {"Van": {"WezenEvent": "OverlijdenOuder"}, "Tot": _age(ORPHAN_PENSION_UNTIL)}


def _amounts(pensions: list[SurvivorPension]) -> dict[str, Value]:
    return {
        "VerzekerdBedrag": _sum([p.insured_amount for p in pensions]),
        "OpgebouwdBedrag": _sum([p.accrued_amount for p in pensions]),
        "VerzekerdBedragNaPens": None,
        "OpgebouwdBedragNaPens": None,
    }


def _survivor_entry(pension: SurvivorPension, *, orphan: bool) -> dict[str, Value]:
    entry: dict[str, Value] = {
        "PensioenUitvoerder": pension.provider,
        "HerkenningsNummer": pension.scheme_id,
        "StandPer": pension.as_of.isoformat() if pension.as_of else None,
        "Bedragen": _amounts([pension]),
    }
    if orphan or pension.per_child:
        entry["PerKind"] = pension.per_child
    return entry


def _split(pensions: list[SurvivorPension]) -> list[tuple[str, list[SurvivorPension]]]:
    lists = [
        ("Pensioen", [p for p in pensions if not p.indicative]),
        ("IndicatiefPensioen", [p for p in pensions if p.indicative]),
    ]
    return [(name, items) for name, items in lists if items]


def _partner_details(pensions: list[SurvivorPension]) -> list[Value]:
    if not pensions:
        return []
    window = dict(_PARTNER_EDGES)
    for name, items in _split(pensions):
        window[name] = [_survivor_entry(p, orphan=False) for p in items]
    return [window]


def _partner_totals(pensions: list[SurvivorPension]) -> list[Value]:
    if not pensions:
        return []
    window = dict(_PARTNER_EDGES)
    for name, items in _split(pensions):
        window[name] = _amounts(items)
    return [window]


def _orphan_details(pensions: list[SurvivorPension]) -> list[Value]:
    if not pensions:
        return []
    window = _orphan_edges()
    for name, items in _split(pensions):
        window[name] = [_survivor_entry(p, orphan=True) for p in items]
    return [window]


def _orphan_totals(pensions: list[SurvivorPension]) -> list[Value]:
    if not pensions:
        return []
    window = _orphan_edges()
    window["Pensioen"] = {"BedragenPerKind": _amounts(pensions)}
    return [window]


# --- serialisation -------------------------------------------------------------------------------------


def _scalar_text(value: str | int | Decimal | bool) -> str:
    if isinstance(value, bool):
        return "true" if value else "false"
    return str(value)


def _json_text(value: Value, depth: int) -> str:
    """JSON with amounts as exact numbers (``json`` cannot write a Decimal without going through float)."""
    pad, inner = "  " * depth, "  " * (depth + 1)
    if isinstance(value, ItemList):
        names: list[Value] = list(value.items)
        value = names
    if isinstance(value, dict):
        members = [(k, v) for k, v in value.items() if v is not None]
        if not members:
            return "{}"
        body = ",\n".join(f"{inner}{json.dumps(k)}: {_json_text(v, depth + 1)}" for k, v in members)
        return "{\n" + body + "\n" + pad + "}"
    if isinstance(value, list):
        if not value:
            return "[]"
        body = ",\n".join(f"{inner}{_json_text(item, depth + 1)}" for item in value)
        return "[\n" + body + "\n" + pad + "]"
    if isinstance(value, str):
        return json.dumps(value, ensure_ascii=False)
    if value is None:
        return "null"
    return _scalar_text(value)


def _xml_bytes(root_name: str, overview: dict[str, Value]) -> bytes:
    root = etree.Element(root_name, nsmap={"xsi": XSI_NAMESPACE})
    _xml_members(root, overview)
    body = bytes(etree.tostring(root, encoding="UTF-8", pretty_print=True))
    return b'<?xml version="1.0" encoding="UTF-8"?>\n' + body


def _xml_members(parent: etree._Element, members: dict[str, Value]) -> None:
    for name, value in members.items():
        items = value if isinstance(value, list) else [value]
        for item in items:
            _xml_value(etree.SubElement(parent, name), item)


def _xml_value(element: etree._Element, value: Value) -> None:
    if value is None:
        element.set(f"{{{XSI_NAMESPACE}}}nil", "true")
    elif isinstance(value, dict):
        _xml_members(element, value)
    elif isinstance(value, ItemList):
        for item in value.items:
            etree.SubElement(element, value.item_name).text = item
    elif isinstance(value, list):
        raise ValueError("a list directly inside a list has no XML form")
    else:
        element.text = _scalar_text(value)
