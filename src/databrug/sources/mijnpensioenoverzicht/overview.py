"""Walk the neutral tree of a download into typed age windows: one structure for XML and JSON alike.

Every value is checked where it is read, so a bad value fails with the element or JSON path it sits at.
The values themselves never appear in an error.
"""
# Over 400 lines on purpose: the whole download's object model is read here, next to the checks of each value.

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import date, datetime
from decimal import Decimal
from typing import Literal, NoReturn

from databrug.records import Age
from databrug.sources.mijnpensioenoverzicht.download import (
    Loaded,
    PathStep,
    Tree,
    fail,
    format_location,
)

SUCCESS_STATUS = "000"
MAX_AMOUNT = Decimal(10) ** 10
MAX_TEXT = 200
MAX_SCHEME_ID = 60
# Far above any real overview (a dozen windows, a few dozen schemes), low enough to keep the work bounded.
MAX_LIST_ITEMS = 500
MAX_SCHEME_LINES = 5000

SchemeKind = Literal["guaranteed", "indicative", "single_person_supplement"]
SCHEME_LISTS: tuple[tuple[str, SchemeKind], ...] = (
    ("Pensioen", "guaranteed"),
    ("IndicatiefPensioen", "indicative"),
    ("AlleenstaandenPensioen", "single_person_supplement"),
)
EVENTS: dict[str, frozenset[str]] = {
    "OuderdomsPensioenEvent": frozenset({"Overlijden"}),
    "PartnerEvent": frozenset({"OverlijdenPartner", "Overlijden"}),
    "WezenEvent": frozenset({"OverlijdenOuder"}),
}
_AMOUNT_TEXT = re.compile(r"-?[0-9]{1,12}(\.[0-9]{1,2})?")
_INTEGER_TEXT = re.compile(r"[0-9]{1,4}")
_DATE_TEXT = re.compile(r"[0-9]{4}-[0-9]{2}-[0-9]{2}")


@dataclass(frozen=True)
class Boundary:
    """A window edge: an age, or an event such as "Overlijden" (then ``age`` is None)."""

    age: Age | None
    event: str | None = None


@dataclass(frozen=True)
class SchemeLine:
    kind: SchemeKind
    provider: str
    scheme_id: str
    as_of: date | None
    accrued: Decimal | None
    projected: Decimal | None
    divorce_settlement: str | None
    origin: Node  # where the entry sits, for an error raised later


@dataclass(frozen=True)
class StatePensionLine:
    as_of: date | None
    accrued_single: Decimal | None
    projected_single: Decimal | None
    accrued_together: Decimal | None
    projected_together: Decimal | None


@dataclass(frozen=True)
class OldAgeWindow:
    start: Age
    end: Boundary
    state_pension: StatePensionLine | None
    lines: tuple[SchemeLine, ...]


@dataclass(frozen=True)
class SurvivorLine:
    beneficiary: Literal["partner", "orphan"]
    indicative: bool
    provider: str
    scheme_id: str
    as_of: date | None
    insured: Decimal | None
    accrued: Decimal | None
    per_child: bool
    origin: Node  # where the entry sits, for an error raised later


@dataclass(frozen=True)
class SurvivorWindow:
    start: Boundary
    end: Boundary
    lines: tuple[SurvivorLine, ...]


@dataclass(frozen=True)
class Overview:
    """Everything the parser needs from one download, whichever serialisation it came in."""

    created_at: datetime | None
    holder_name: str | None  # whose overview: the XML download names them, the JSON one does not
    holder_birth_date: date | None
    missing_providers: int
    old_age: tuple[OldAgeWindow, ...]
    partner: tuple[SurvivorWindow, ...]
    orphan: tuple[SurvivorWindow, ...]


class Node:
    """A value in the tree together with where it sits, for located errors.

    The path is kept as a link to the parent and built only when an error needs it.
    """

    __slots__ = ("doc", "parent", "step", "value")

    def __init__(self, value: Tree, doc: Loaded, parent: Node | None = None, step: PathStep = "") -> None:
        self.value = value
        self.doc = doc
        self.parent = parent
        self.step = step

    @property
    def path(self) -> tuple[PathStep, ...]:
        steps: list[PathStep] = []
        node: Node | None = self
        while node is not None and node.parent is not None:
            steps.append(node.step)
            node = node.parent
        return tuple(reversed(steps))

    @property
    def location(self) -> str:
        return format_location(self.doc.fmt, self.doc.root_name, self.path)

    @property
    def present(self) -> bool:
        return self.value is not None

    def fail(self, expected: str) -> NoReturn:
        fail(self.location, expected)

    def members(self) -> dict[str, Tree]:
        if self.value is None:
            return {}
        if isinstance(self.value, dict):
            return self.value
        self.fail("an object with named members")

    def member(self, name: str) -> Node:
        value = self.value
        if isinstance(value, dict):
            return Node(value.get(name), self.doc, self, name)
        return Node(self.members().get(name), self.doc, self, name)

    def items(self, name: str) -> list[Node]:
        """A repeatable member as a list; one occurrence (the usual XML case) is a one-item list."""
        child = self.member(name)
        if child.value is None:
            return []
        if isinstance(child.value, list):
            if len(child.value) > MAX_LIST_ITEMS:
                child.fail(f"at most {MAX_LIST_ITEMS} entries")
            return [Node(item, self.doc, child, index) for index, item in enumerate(child.value)]
        return [Node(child.value, self.doc, child, 0)]

    def text(self, max_length: int = MAX_TEXT) -> str | None:
        if self.value is None:
            return None
        if not isinstance(self.value, str):
            self.fail("text")
        value = self.value.strip()
        if len(value) > max_length:
            self.fail(f"text of at most {max_length} characters")
        return value or None

    def required_text(self, max_length: int = MAX_TEXT) -> str:
        value = self.text(max_length)
        if value is None:
            self.fail("non-empty text")
        return value

    def amount(self) -> Decimal | None:
        """Gross euros per year: a JSON number or a decimal text ("12345", "12345.67")."""
        value = self.value
        if value is None:
            return None
        if isinstance(value, bool):
            self.fail("an amount in euros")
        if isinstance(value, str):
            text = value.strip()
            if not text:
                return None
            if not _AMOUNT_TEXT.fullmatch(text):
                self.fail(
                    "an amount in euros, digits with an optional decimal point and at most two decimals"
                )
            value = Decimal(text)
        elif isinstance(value, int):
            value = Decimal(value)
        if not isinstance(value, Decimal):
            self.fail("an amount in euros")
        exponent = value.as_tuple().exponent
        if not value.is_finite() or not isinstance(exponent, int) or exponent < -2:
            self.fail("an amount in euros with at most two decimals")
        if abs(value) >= MAX_AMOUNT:
            self.fail("an amount below ten billion euros")
        return value

    def integer(self, lowest: int, highest: int) -> int:
        value = self.value
        if isinstance(value, str) and _INTEGER_TEXT.fullmatch(value.strip()):
            value = int(value.strip())
        if not isinstance(value, int) or isinstance(value, bool) or not lowest <= value <= highest:
            self.fail(f"a whole number from {lowest} to {highest}")
        return value

    def boolean(self) -> bool | None:
        value = self.value
        if value is None or isinstance(value, bool):
            return value
        if isinstance(value, str) and value.strip() in ("true", "false", "1", "0"):
            return value.strip() in ("true", "1")
        self.fail("true or false")

    def day(self) -> date | None:
        value = self.value
        if value is None:
            return None
        if not isinstance(value, str) or not _DATE_TEXT.fullmatch(value.strip()):
            self.fail("a date yyyy-mm-dd")
        try:
            return date.fromisoformat(value.strip())
        except ValueError:
            self.fail("a date yyyy-mm-dd that exists")

    def instant(self) -> datetime | None:
        value = self.text(max_length=40)
        if value is None:
            return None
        try:
            return datetime.fromisoformat(value)
        except ValueError:
            self.fail("an ISO 8601 date-time")


# --- the document --------------------------------------------------------------------------------------


def read_overview(doc: Loaded) -> Overview:
    root = Node(doc.tree, doc)
    root.members()
    _check_status(root.member("StatusCode"))
    created_at = root.member("TijdstipAanmakenBericht").instant()
    holder_name = root.member("Naam").text()
    birth = root.member("Geboortedatum")
    holder_birth_date = birth.day() if birth.text() is not None else None
    missing = sum(_count_providers(node) for node in root.items("OntbrekendePuvsError"))
    _check_totals(root.member("Totalen"))
    details = root.member("Details")
    old_age_windows = details.member("OuderdomsPensioenDetails").items("OuderdomsPensioen")
    lines = sum(len(window.items(name)) for window in old_age_windows for name, _ in SCHEME_LISTS)
    if lines > MAX_SCHEME_LINES:
        details.member("OuderdomsPensioenDetails").fail(f"at most {MAX_SCHEME_LINES} pension entries in all")
    old_age = tuple(_old_age_window(window) for window in old_age_windows)
    partner = tuple(
        _survivor_window(window, "partner")
        for window in details.member("PartnerPensioenDetails").items("PartnerPensioen")
    )
    orphan = tuple(
        _survivor_window(window, "orphan")
        for window in details.member("WezenPensioenDetails").items("WezenPensioen")
    )
    return Overview(created_at, holder_name, holder_birth_date, missing, old_age, partner, orphan)


def _check_status(node: Node) -> None:
    if not isinstance(node.value, str):
        node.fail(f'StatusCode as text, "{SUCCESS_STATUS}" for a successful download')
    if node.value.strip() != SUCCESS_STATUS:
        node.fail(f'StatusCode "{SUCCESS_STATUS}"; any other code means the download holds no overview')


def _count_providers(node: Node) -> int:
    """``OntbrekendePuvsError`` holds names as text (JSON) or as ``Puv`` children (XML)."""
    if isinstance(node.value, str):
        return 1
    if isinstance(node.value, dict):
        return len(node.items("Puv")) or 1
    return 0


# --- age windows ---------------------------------------------------------------------------------------


def boundary(node: Node) -> Boundary:
    kinds = [name for name in ("Leeftijd", *EVENTS) if node.members().get(name) is not None]
    if len(kinds) != 1:
        node.fail("exactly one of Leeftijd, " + ", ".join(EVENTS))
    kind = kinds[0]
    if kind == "Leeftijd":
        age = node.member("Leeftijd")
        months = age.member("Maanden")
        return Boundary(
            Age(
                years=age.member("Jaren").integer(0, 130),
                months=months.integer(0, 11) if months.present else 0,
            )
        )
    event = node.member(kind)
    name = event.required_text()
    if name not in EVENTS[kind]:
        event.fail(" or ".join(sorted(EVENTS[kind])))
    return Boundary(None, name)


def _old_age_window(window: Node) -> OldAgeWindow:
    start = boundary(window.member("Van"))
    if start.age is None:
        window.member("Van").fail("Leeftijd: old-age windows start at an age")
    end = boundary(window.member("Tot"))
    if end.age is None and end.event != "Overlijden":
        window.member("Tot").fail("Leeftijd or OuderdomsPensioenEvent Overlijden")
    aow = window.member("AOW")
    state_pension = _state_pension_line(aow) if aow.present else None
    lines = tuple(
        _scheme_line(entry, kind) for list_name, kind in SCHEME_LISTS for entry in window.items(list_name)
    )
    return OldAgeWindow(start.age, end, state_pension, lines)


def _state_pension_line(aow: Node) -> StatePensionLine:
    accrual = aow.member("AOWDetailsOpbouw")
    return StatePensionLine(
        as_of=aow.member("StandPer").day(),
        accrued_single=accrual.member("OpgebouwdAlleenstaand").amount(),
        projected_single=accrual.member("TeBereikenAlleenstaand").amount(),
        accrued_together=accrual.member("OpgebouwdSamenwonend").amount(),
        projected_together=accrual.member("TeBereikenSamenwonend").amount(),
    )


def _scheme_line(entry: Node, kind: SchemeKind) -> SchemeLine:
    entry.members()
    return SchemeLine(
        kind=kind,
        provider=entry.member("PensioenUitvoerder").required_text(),
        scheme_id=_scheme_id(entry.member("HerkenningsNummer")),
        as_of=entry.member("StandPer").day(),
        accrued=entry.member("Opgebouwd").amount(),
        projected=entry.member("TeBereiken").amount(),
        divorce_settlement=entry.member("AfhandelingVerevening").text(),
        origin=entry,
    )


def _scheme_id(node: Node) -> str:
    # Kept as text: leading zeros and dashes are part of the number ("0012345678-1").
    if node.present and not isinstance(node.value, str):
        node.fail("HerkenningsNummer as text")
    return node.required_text(MAX_SCHEME_ID)


def _survivor_window(window: Node, beneficiary: Literal["partner", "orphan"]) -> SurvivorWindow:
    start = boundary(window.member("Van"))
    end = boundary(window.member("Tot"))
    lines = tuple(
        _survivor_line(entry, beneficiary, indicative)
        for list_name, indicative in (("Pensioen", False), ("IndicatiefPensioen", True))
        for entry in window.items(list_name)
    )
    return SurvivorWindow(start, end, lines)


def _survivor_line(entry: Node, beneficiary: Literal["partner", "orphan"], indicative: bool) -> SurvivorLine:
    entry.members()
    amounts = entry.member("Bedragen")
    _check_amounts(amounts, ("VerzekerdBedragNaPens", "OpgebouwdBedragNaPens"))
    entry.member("AfhandelingScheiding").text()
    return SurvivorLine(
        beneficiary=beneficiary,
        indicative=indicative,
        provider=entry.member("PensioenUitvoerder").required_text(),
        scheme_id=_scheme_id(entry.member("HerkenningsNummer")),
        as_of=entry.member("StandPer").day(),
        insured=amounts.member("VerzekerdBedrag").amount(),
        accrued=amounts.member("OpgebouwdBedrag").amount(),
        per_child=bool(entry.member("PerKind").boolean()),
        origin=entry,
    )


# --- Totalen: not used for the records (Details holds every amount), but checked like the rest ---------

_AMOUNT_FIELDS = ("VerzekerdBedrag", "OpgebouwdBedrag", "VerzekerdBedragNaPens", "OpgebouwdBedragNaPens")


def _check_amounts(node: Node, names: tuple[str, ...]) -> None:
    for name in names:
        node.member(name).amount()


def _check_totals(totals: Node) -> None:
    for total in totals.member("OuderdomsPensioenTotalen").items("OuderdomsPensioenTotaal"):
        _check_window_edges(total)
        _check_amounts(
            total,
            ("AOWSamenwonend", "AOWAlleenstaand", "Pensioen", "IndicatiefPensioen", "AlleenstaandenPensioen"),
        )
    for total in totals.member("PartnerPensioenTotalen").items("PartnerPensioenTotaal"):
        _check_window_edges(total)
        _check_amounts(total.member("Pensioen"), _AMOUNT_FIELDS)
        _check_amounts(total.member("IndicatiefPensioen"), _AMOUNT_FIELDS)
    for total in totals.member("WezenPensioenTotalen").items("WezenPensioenTotaal"):
        _check_window_edges(total)
        _check_amounts(total.member("Pensioen").member("BedragenPerKind"), _AMOUNT_FIELDS)


def _check_window_edges(window: Node) -> None:
    boundary(window.member("Van"))
    boundary(window.member("Tot"))
