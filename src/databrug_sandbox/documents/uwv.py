"""The UWV verzekeringsbericht (VZB) as a PDF, laid out like the mijn.uwv.nl download (IBL variant).

What independent parsers expect of the real document's extracted text (conformance notes, copied in spirit
into the connector's docstring): a header on every page ("De heer|Mevrouw <naam>", "Geboortedatum",
"Datum: <d> <maand> <jjjj>"), a footer "VZB-006", a person and insurance summary, then the "Loongegevens"
section with one block per employer or benefit payer (Werkgever/Instantie, Loonheffingennummer, Verzekerde
wetten, Contractvorm) and a table "Periode | Aantal uur | Sv-loon" whose header repeats after a page break.
A period with a company car takes three lines: the period and hours; the labels "Eigen bijdrage auto" and
"Waarde privégebruik auto"; their amounts followed by the SV-loon. No BSN (the IBL variant carries none).

Deterministic: the same citizen and reference date give the same bytes (fixed creation date, embedded font
subset, content-derived file id).
"""

from __future__ import annotations

import dataclasses
from collections.abc import Sequence
from datetime import UTC, date, datetime, time
from decimal import Decimal
from pathlib import Path

from fpdf import FPDF

from databrug.records import IncomeRelation, Person, WagePeriod
from databrug_sandbox.personas.model import Citizen, Household

VZB_VERSION = "VZB-006"

MONTHS_NL = (
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

_FONT_DIR = Path(__file__).parent / "fonts"
_FONT = "DejaVu"

# Millimetres on A4 (210 x 297).
_MARGIN = 20.0
_BOTTOM = 20.0  # space kept free for the footer
_LINE = 5.0
_LABEL_WIDTH = 50.0
_VALUE_WIDTH = 120.0
_PERIOD_WIDTH = 70.0
_HOURS_WIDTH = 30.0
_WAGE_WIDTH = 40.0
_CAR_LABEL_WIDTH = 47.0
_BLOCK_GAP = 5.0


def _household_default_reference_date() -> date:
    """Taken from the model, so it cannot drift from the persona world's own default."""
    default = next(f.default for f in dataclasses.fields(Household) if f.name == "reference_date")
    assert isinstance(default, date)
    return default


_DEFAULT_REFERENCE_DATE = _household_default_reference_date()


def render_verzekeringsbericht(citizen: Citizen, *, reference_date: date | None = None) -> bytes:
    """The citizen's verzekeringsbericht as PDF bytes.

    The creation date is ``reference_date`` (the household's), else ``citizen.extra["reference_date"]``,
    else the default household reference date, so the bytes never depend on the clock.
    """
    person = citizen.facts.person
    if person is None:
        raise ValueError("a verzekeringsbericht needs the citizen's BRP person (name, birth date)")
    created = reference_date or _extra_reference_date(citizen) or _DEFAULT_REFERENCE_DATE
    pdf = _VzbPdf(_PageHeader.for_person(person, created))
    pdf.render(citizen.facts.incomes.relations, person)
    return bytes(pdf.output())


def _same_block(first: IncomeRelation, second: IncomeRelation) -> bool:
    return (first.payer_name, first.payroll_tax_number, first.insured_laws, first.contract_type) == (
        second.payer_name,
        second.payroll_tax_number,
        second.insured_laws,
        second.contract_type,
    )


def _extra_reference_date(citizen: Citizen) -> date | None:
    value = citizen.extra.get("reference_date")
    return value if isinstance(value, date) else None


@dataclasses.dataclass(frozen=True)
class _PageHeader:
    salutation: str
    name: str
    birth: str
    created: date

    @classmethod
    def for_person(cls, person: Person, created: date) -> _PageHeader:
        salutation = {"man": "De heer", "vrouw": "Mevrouw"}.get(person.gender, "De heer/mevrouw")
        name = person.name
        initials = name.initials or _initials(name.given_names)
        parts = [initials or "", name.prefix or "", name.surname]
        birth = "onbekend"
        if person.birth is not None:
            if person.birth.date is not None:
                birth = dutch_long_date(person.birth.date)
            elif person.birth.year is not None:
                month = MONTHS_NL[person.birth.month - 1] + " " if person.birth.month else ""
                birth = f"{month}{person.birth.year}"
        return cls(salutation, " ".join(p for p in parts if p), birth, created)


def _initials(given_names: str | None) -> str | None:
    if not given_names:
        return None
    return "".join(f"{word[0].upper()}." for word in given_names.split())


def dutch_long_date(day: date) -> str:
    return f"{day.day} {MONTHS_NL[day.month - 1]} {day.year}"


def dutch_date(day: date) -> str:
    return day.strftime("%d-%m-%Y")


def dutch_amount(amount: Decimal) -> str:
    """'€ 1.234,56'; negative amounts (corrections) as '€ -1.234,56'."""
    sign = "-" if amount < 0 else ""
    whole, cents = f"{abs(amount):.2f}".split(".")
    grouped = f"{int(whole):,}".replace(",", ".")
    return f"€ {sign}{grouped},{cents}"


def dutch_hours(hours: Decimal) -> str:
    text = format(hours.normalize(), "f") if hours else "0"
    return text.replace(".", ",")


class _VzbPdf(FPDF):
    def __init__(self, page_header: _PageHeader) -> None:
        super().__init__(orientation="portrait", unit="mm", format="A4")
        self.page_header = page_header
        self.add_font(_FONT, "", str(_FONT_DIR / "DejaVuSans-Latin.ttf"))
        self.set_margins(_MARGIN, _MARGIN, _MARGIN)
        self.set_auto_page_break(False)
        self.alias_nb_pages()
        self.set_creation_date(datetime.combine(page_header.created, time(9, 0), tzinfo=UTC))
        self.set_title("Verzekeringsbericht")
        self.set_author("UWV")
        self.set_creator("mijn.uwv.nl (sandbox)")
        self.set_producer("databrug-sandbox")
        self.in_table = False

    # -- page frame ----------------------------------------------------------------------------------

    def header(self) -> None:
        head = self.page_header
        self.set_font(_FONT, "", 14)
        self.cell(0, 8, "Verzekeringsbericht", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 9)
        self.cell(0, _LINE, f"{head.salutation} {head.name}", new_x="LMARGIN", new_y="NEXT")
        self._label_value("Geboortedatum", head.birth)
        self.cell(0, _LINE, f"Datum: {dutch_long_date(head.created)}", new_x="LMARGIN", new_y="NEXT")
        self.ln(2)
        self.line(_MARGIN, self.get_y(), self.w - _MARGIN, self.get_y())
        self.ln(4)
        if self.in_table:
            self._table_header()

    def footer(self) -> None:
        self.set_y(-15)
        self.set_font(_FONT, "", 8)
        self.cell(_VALUE_WIDTH, _LINE, VZB_VERSION)
        self.cell(0, _LINE, f"Pagina {self.page_no()} van {{nb}}", align="R")

    # -- content -------------------------------------------------------------------------------------

    def render(self, relations: Sequence[IncomeRelation], person: Person) -> None:
        self._check_glyphs(relations, person)
        self.add_page()
        self._summary(relations, person)
        self._heading("Loongegevens")
        if not relations:
            self.cell(0, _LINE, "Er zijn geen loongegevens bekend.", new_x="LMARGIN", new_y="NEXT")
        for index, relation in enumerate(relations):
            following = relations[index + 1] if index + 1 < len(relations) else None
            # The parser reads a block header at the top of a page as the repeat of the block before the page
            # break; a second block of the same employer and contract must therefore never start a page.
            keep_with = self._head_height(following) if following and _same_block(relation, following) else 0
            self._block(relation, keep_with)

    def _summary(self, relations: Sequence[IncomeRelation], person: Person) -> None:
        self._heading("Persoonsgegevens")
        self._label_value("Naam", person.name.display)
        self.ln(2)
        self._heading("Verzekeringen")
        self.multi_cell(
            0,
            _LINE,
            "Hieronder staan de werkgevers en uitkeringsinstanties waar u verzekerd bent (geweest) "
            "voor de werknemersverzekeringen.",
            new_x="LMARGIN",
            new_y="NEXT",
        )
        for relation in relations:
            span = ""
            if relation.periods:
                first = min(p.start for p in relation.periods)
                last = max(p.end for p in relation.periods)
                span = f"{dutch_date(first)} t/m {dutch_date(last)}"
            lines = self._wrap(relation.payer_name, _VALUE_WIDTH - 5)
            self._ensure_space(_LINE * len(lines))
            self.cell(_VALUE_WIDTH, _LINE, lines[0])
            self.cell(0, _LINE, span, new_x="LMARGIN", new_y="NEXT")
            for line in lines[1:]:
                self.cell(_VALUE_WIDTH, _LINE, line, new_x="LMARGIN", new_y="NEXT")
        self.ln(4)

    def _head_lines(self, relation: IncomeRelation) -> tuple[list[str], list[str], list[str]]:
        return (
            self._wrap(relation.payer_name, _VALUE_WIDTH),
            self._wrap(", ".join(relation.insured_laws), _VALUE_WIDTH),
            self._wrap(relation.contract_type or "", _VALUE_WIDTH),
        )

    def _head_height(self, relation: IncomeRelation) -> float:
        """The block header with its table header and a first row (of three lines at most)."""
        name_lines, laws_lines, contract_lines = self._head_lines(relation)
        header_lines = len(name_lines) + 1 + len(laws_lines) + len(contract_lines)
        return _LINE * (header_lines + 1 + 3) + 1

    def _block(self, relation: IncomeRelation, keep_with: float) -> None:
        name_lines, laws_lines, contract_lines = self._head_lines(relation)
        gap = _BLOCK_GAP + keep_with if keep_with else 0.0
        self._ensure_space(self._head_height(relation) + (gap if not relation.periods else 0.0))
        self._label_lines("Werkgever/Instantie", name_lines)
        self._label_value("Loonheffingennummer", relation.payroll_tax_number)
        self._label_lines("Verzekerde wetten", laws_lines)
        self._label_lines("Contractvorm", contract_lines)
        self.ln(1)
        self._table_header()
        self.in_table = True
        periods = sorted(relation.periods, key=lambda p: (p.end, p.start), reverse=True)
        for number, period in enumerate(periods, start=1):
            self._row(period, reserve=gap if number == len(periods) else 0.0)
        self.in_table = False
        self.ln(_BLOCK_GAP)

    def _table_header(self) -> None:
        self.set_font(_FONT, "", 9)
        self.cell(_PERIOD_WIDTH, _LINE, "Periode")
        self.cell(_HOURS_WIDTH, _LINE, "Aantal uur", align="R")
        self.cell(_WAGE_WIDTH, _LINE, "Sv-loon", align="R", new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 9)

    def _row(self, period: WagePeriod, reserve: float) -> None:
        car = [
            (label, amount)
            for label, amount in (
                ("Eigen bijdrage auto", period.car_own_contribution),
                ("Waarde privégebruik auto", period.car_private_use_value),
            )
            if amount is not None
        ]
        self._ensure_space(_LINE * (3 if car else 1) + reserve)
        span = f"{dutch_date(period.start)} t/m {dutch_date(period.end)}"
        self.cell(_PERIOD_WIDTH, _LINE, span)
        self.cell(_HOURS_WIDTH, _LINE, dutch_hours(period.hours), align="R")
        if not car:
            self.cell(
                _WAGE_WIDTH, _LINE, dutch_amount(period.sv_wage), align="R", new_x="LMARGIN", new_y="NEXT"
            )
            return
        self.ln(_LINE)
        self.set_x(_MARGIN + 5)
        for label, _ in car:
            self.cell(_CAR_LABEL_WIDTH, _LINE, label)
        self.ln(_LINE)
        self.set_x(_MARGIN + 5)
        for _, amount in car:
            assert amount is not None
            self.cell(_CAR_LABEL_WIDTH, _LINE, dutch_amount(amount))
        self.set_x(_MARGIN + _PERIOD_WIDTH + _HOURS_WIDTH)
        self.cell(_WAGE_WIDTH, _LINE, dutch_amount(period.sv_wage), align="R", new_x="LMARGIN", new_y="NEXT")

    # -- helpers -------------------------------------------------------------------------------------

    def _heading(self, text: str) -> None:
        self._ensure_space(_LINE * 3)
        self.set_font(_FONT, "", 11)
        self.cell(0, 7, text, new_x="LMARGIN", new_y="NEXT")
        self.set_font(_FONT, "", 9)

    def _label_value(self, label: str, value: str) -> None:
        self._label_lines(label, [value])

    def _label_lines(self, label: str, lines: Sequence[str]) -> None:
        self.cell(_LABEL_WIDTH, _LINE, label)
        self.cell(_VALUE_WIDTH, _LINE, lines[0] if lines else "", new_x="LMARGIN", new_y="NEXT")
        for line in lines[1:]:
            self.set_x(_MARGIN + _LABEL_WIDTH)
            self.cell(_VALUE_WIDTH, _LINE, line, new_x="LMARGIN", new_y="NEXT")

    def _wrap(self, text: str, width: float) -> list[str]:
        """Greedy wrap at single spaces only, so joining the lines with one space gives the text back.

        fpdf2's own wrapping may break inside a word; a word wider than the column gets a line of its own.
        """
        if not text:
            return [""]
        lines: list[str] = []
        current = ""
        for word in text.split(" "):
            candidate = f"{current} {word}" if current else word
            if current and self.get_string_width(candidate) > width:
                lines.append(current)
                current = word
            else:
                current = candidate
        lines.append(current)
        return lines

    def _ensure_space(self, height: float) -> None:
        if self.get_y() + height > self.h - _BOTTOM:
            self.add_page()

    def _check_glyphs(self, relations: Sequence[IncomeRelation], person: Person) -> None:
        texts = [person.name.display, self.page_header.name]
        for relation in relations:
            texts += [relation.payer_name, relation.contract_type or "", *relation.insured_laws]
        self.set_font(_FONT, "", 9)
        cmap = self.current_font.cmap  # type: ignore[union-attr]
        for text in texts:
            if any(ord(char) not in cmap for char in text):
                raise ValueError("text contains a character the embedded font cannot print")
