"""Text → records: the verzekeringsbericht's extracted text, page by page, into income relations.

Pure and PDF-free, so hand-written text goldens can exercise it directly. The layout it reads (from the
conformance notes on what independent parsers expect of the mijn.uwv.nl download):

- Page frame, on every page and stripped before the body is read: the title "Verzekeringsbericht", the
  salutation "De heer|Mevrouw <naam>" (the same on every page), "Geboortedatum ...", "Datum: <d> <maand>
  <jjjj>" (numeric and ISO forms tolerated), an optional "Burgerservicenummer ..." line (the regular, non-IBL
  variant carries one), a footer holding "VZB-nnn" and "Pagina n van m" (which must match the real page
  count). The name, birth date and BSN of the header are returned as the document's holder, for the binding
  check only (``sources.binding``): never as records.
- Everything before the heading "Loongegevens" is summary text and is ignored.
- Per employer or benefit payer a block: "Werkgever/Instantie <naam>" (may wrap), "Loonheffingennummer",
  optional "Verzekerde wetten" (comma separated, may wrap), optional "Contractvorm" (may be empty or wrap),
  then the table header "Periode  Aantal uur  Sv-loon" (repeated after a page break; the repeat is skipped).
  Labels may carry a colon.
- Rows "dd-mm-jjjj t/m dd-mm-jjjj  <uren>  € 1.234,56" (€ may come out as ¤; amounts may be negative). A row
  for a company car holds the period and hours only; the next lines hold the labels "Eigen bijdrage auto" /
  "Waarde privégebruik auto" and euro amounts, either labels on one line and amounts on the next, or each on
  its own line. Amounts go to the labels in order; the one amount no label claims is the SV-loon.
- A block header repeated at the top of the next page (same name, payroll number, insured laws and contract
  type as the block before the break) continues that block; the same header elsewhere is another
  inkomstenverhouding (a second or later contract with the same employer) and stays a relation of its own,
  as the data package has one relation per inkomstenverhouding. Periods are sorted by end date.

Kind: "benefit" for UWV's own payroll numbers (810220350Lxx), and for any payer listed without a contract type
and without insured laws: the contract form and the employee insurances belong to an employment, so a payer
with neither pays a benefit or a pension (a municipality's bijstand, the SVB's AOW, a pension fund).
Everything else is "employment".
"""
# Over 400 lines on purpose: one line state machine for one layout; split, its states would share their rules
# across modules.

from __future__ import annotations

import re
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass, field
from datetime import date
from decimal import Decimal
from typing import Literal, NamedTuple, NoReturn

from pydantic import ValidationError

from databrug.records import UWV_BENEFIT_PAYROLL_NUMBERS, IncomeRelation, WagePeriod
from databrug.records.identifiers import normalise_loonheffingennummer
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import DocumentHolder

# How many wrapped lines a value may take before the layout counts as broken.
MAX_NAME_LINES = 4
MAX_LAWS_LINES = 3
MAX_CONTRACT_LINES = 4
MAX_LINE_CHARS = 2000

UWV_PAYROLL_PREFIX = "810220350"

PERIOD_ROW_SHAPE = "a period row 'dd-mm-jjjj t/m dd-mm-jjjj <uren> € <bedrag>'"

_MONTHS = {
    name: number
    for number, name in enumerate(
        (
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
        ),
        start=1,
    )
}

# Page frame.
_TITLE = re.compile(r"^verzekeringsbericht$", re.IGNORECASE)
_SALUTATION = re.compile(
    r"^(?:De heer/mevrouw|De heer|Mevrouw)\s+(?P<name>.+?)(?:\s+Geboortedatum\b.*)?$", re.IGNORECASE
)
_BIRTH = re.compile(r"^Geboortedatum\b", re.IGNORECASE)
_BIRTH_VALUE = re.compile(r"\bGeboortedatum\b\s*:?\s*(?P<value>.*)$", re.IGNORECASE)
_CREATED = re.compile(r"^Datum\s*:\s*(?P<value>.*)$", re.IGNORECASE)
_BSN = re.compile(r"^(?:Burgerservicenummer|BSN)\b\s*:?\s*(?P<value>.*)$", re.IGNORECASE)
_FOOTER = re.compile(r"\bVZB-\d{3}\b", re.ASCII)
# One cheap test per line: only lines with one of these can belong to the page frame.
_FRAME_HINT = re.compile(
    r"VZB-\d|Pagina|^(?:De heer|Mevrouw|Geboortedatum|Datum|Verzekeringsbericht|Burgerservicenummer|BSN)",
    re.IGNORECASE,
)
_PAGE_NUMBER = re.compile(r"\bPagina\s+(?P<page>\d{1,4})\s+van\s+(?P<of>\d{1,4})$", re.IGNORECASE | re.ASCII)

# Body.
_SECTION = re.compile(r"^Loongegevens:?$", re.IGNORECASE)
_NO_DATA = re.compile(r"^Er zijn geen loongegevens\b.*$", re.IGNORECASE)


def _label(text: str) -> re.Pattern[str]:
    return re.compile(rf"^{text}\s*:?(?:\s+(?P<value>.*))?$", re.IGNORECASE)


_EMPLOYER = _label(r"Werkgever\s*/\s*Instantie")
_PAYROLL = _label(r"Loonheffingennummer")
_LAWS = _label(r"Verzekerde wetten")
_CONTRACT = _label(r"Contractvorm")
_TABLE_HEADER = re.compile(r"^Periode\s*\|?\s*Aantal uur\s*\|?\s*Sv-loon$", re.IGNORECASE)

_DATE = r"\d{2}-\d{2}-\d{4}"
_PERIOD_ROW = re.compile(
    rf"^(?P<start>{_DATE})\s*t/m\s*(?P<end>{_DATE})"
    r"(?:\s+(?P<hours>-?\d+(?:[.,]\d+)?)(?![\d.,]))?"
    r"(?P<rest>.*)$",
    re.IGNORECASE | re.ASCII,  # ASCII digits only: int() and Decimal() would also read other scripts' digits
)
_AMOUNT = (
    r"(?P<sign1>-)?\s*[€¤]\s*(?P<sign2>-)?\s*"
    r"(?P<whole>\d{1,3}(?:\.\d{3})+|\d+)(?:,(?P<cents>\d{2}))?(?![\d.,])"
)
_PLAIN_AMOUNT = re.compile(rf"^\s*{_AMOUNT}\s*$", re.ASCII)
_CAR_TOKEN = re.compile(
    r"\s*(?:"
    r"(?P<own>Eigen bijdrage auto)"
    r"|(?P<private>Waarde priv[éÉe]gebruik auto)"
    r"|(?P<sv>Sv-loon)"
    rf"|(?P<amount>{_AMOUNT})"
    r")\s*:?",
    re.IGNORECASE | re.ASCII,
)

CarLabel = Literal["own", "private", "sv"]


class Line(NamedTuple):  # a tuple: a few hundred per document, built cheaper than a frozen dataclass
    page: int
    number: int
    text: str
    first_on_page: bool = False  # the first body line of its page (after the page header)

    @property
    def where(self) -> str:
        return f"page {self.page}, line {self.number}"


Fail = Callable[[str, str], NoReturn]


def parse_text(pages: Sequence[str], *, source_ref: str, fail: Fail) -> list[IncomeRelation]:
    """Read the extracted text of each page into one ``IncomeRelation`` per employer or benefit payer.

    ``fail(location, expected)`` must raise (the parser turns it into ``DocumentInvalid``); it is called
    for the first thing that does not fit the layout.
    """
    return read_text(pages, source_ref=source_ref, fail=fail)[0]


def read_text(
    pages: Sequence[str], *, source_ref: str, fail: Fail
) -> tuple[list[IncomeRelation], DocumentHolder]:
    """``parse_text``, and whom the page header names (name, birth date, a BSN where the variant has one)."""
    if not pages:
        fail("document", "at least one page")
    frame = _PageFrame()
    body = _strip_page_frames(pages, fail, frame)
    section = next((i for i, line in enumerate(body) if _SECTION.match(line.text)), None)
    if section is None:
        fail("document", "the section heading 'Loongegevens'")
    reader = _BlockReader(source_ref, fail)
    for line in body[section + 1 :]:
        reader.feed(line)
    return reader.finish(), frame.holder()


def invalid(filename: str | None = None) -> Fail:
    """The usual ``fail``: raise the connector's ``DocumentInvalid``."""

    def fail(location: str, expected: str) -> NoReturn:
        raise DocumentInvalid("uwv", "verzekeringsbericht", location, expected, filename)

    return fail


# -- page frame ---------------------------------------------------------------------------------------


def _lines(page_number: int, text: str, fail: Fail) -> Iterator[Line]:
    for number, raw in enumerate(text.splitlines(), start=1):
        if len(raw) > MAX_LINE_CHARS:
            fail(f"page {page_number}, line {number}", f"a line of at most {MAX_LINE_CHARS} characters")
        clean = " ".join(raw.split())  # runs of white space as one space, as the layout rules read them
        if clean:
            yield Line(page_number, number, clean)


@dataclass
class _PageFrame:
    """What the page headers say about whose document it is."""

    names: set[str] = field(default_factory=set)
    bsns: set[str] = field(default_factory=set)
    birth_dates: set[date] = field(default_factory=set)

    def birth(self, line: str) -> None:
        found = _BIRTH_VALUE.search(line)
        day = _parse_created(found.group("value").strip()) if found else None
        if day is not None:  # "onbekend", "maart 1980": not a full date, nothing to compare
            self.birth_dates.add(day)

    def holder(self) -> DocumentHolder:
        return DocumentHolder(frozenset(self.bsns), frozenset(self.names), frozenset(self.birth_dates))


def _strip_page_frames(pages: Sequence[str], fail: Fail, frame: _PageFrame) -> list[Line]:
    """The body lines of all pages; every page must carry the header and the VZB footer.

    Requiring the frame on every page is what catches a page whose text could not be read (garbled or
    image-only), which would otherwise drop its rows silently.
    """
    body: list[Line] = []
    first_name: str | None = None
    for page_number, text in enumerate(pages, start=1):
        named = footed = False
        page_start = len(body)
        for line in _lines(page_number, text, fail):
            if not _FRAME_HINT.search(line.text):
                body.append(line)
                continue
            salutation = _SALUTATION.match(line.text)
            if salutation:
                name = salutation.group("name")
                first_name = first_name or name
                if name != first_name:
                    fail(line.where, "the same name in the page header as on the first page")
                frame.names.add(name)
                frame.birth(line.text)
                named = True
                continue
            created = _CREATED.match(line.text)
            if created:
                if _parse_created(created.group("value")) is None:
                    fail(line.where, "a creation date 'Datum: <d> <maandnaam> <jjjj>'")
                continue
            numbering = _PAGE_NUMBER.search(line.text)
            if numbering and (int(numbering.group("page")), int(numbering.group("of"))) != (
                page_number,
                len(pages),
            ):
                fail(line.where, f"the page numbering 'Pagina {page_number} van {len(pages)}'")
            if _FOOTER.search(line.text):
                footed = True
                continue
            bsn = _BSN.match(line.text)
            if bsn:
                # Compared by the binding check, never kept: the BSN comes from BRP.
                frame.bsns.add(re.sub(r"[\s.]", "", bsn.group("value")))
                continue
            if _BIRTH.match(line.text):
                frame.birth(line.text)
                continue
            if numbering or _TITLE.match(line.text):
                continue
            body.append(line)
        if len(body) > page_start:
            body[page_start] = body[page_start]._replace(first_on_page=True)
        if not named:
            fail(f"page {page_number}", "the page header 'De heer|Mevrouw <naam>' on every page")
        if not footed:
            fail(f"page {page_number}", "the page footer with the version marker 'VZB-nnn' on every page")
    return body


def _parse_created(value: str) -> date | None:
    parts = value.split(" ")
    try:
        if len(parts) == 3 and parts[1].lower() in _MONTHS:
            return date(int(parts[2]), _MONTHS[parts[1].lower()], int(parts[0]))
        if re.fullmatch(_DATE, value):
            return _dutch_date(value)
        if re.fullmatch(r"\d{4}-\d{2}-\d{2}", value):
            return date.fromisoformat(value)
    except ValueError:
        return None
    return None


def _dutch_date(text: str) -> date:
    day, month, year = text.split("-")
    return date(int(year), int(month), int(day))


# -- blocks -------------------------------------------------------------------------------------------


@dataclass
class _Row:
    line: Line
    start: date
    end: date
    hours: Decimal
    tokens: list[tuple[Literal["own", "private", "sv", "amount"], Decimal | None]] = field(
        default_factory=list
    )

    def has_amount(self) -> bool:
        return any(kind == "amount" for kind, _ in self.tokens)


@dataclass
class _Block:
    line: Line
    name: list[str] = field(default_factory=list)
    payroll: str | None = None
    laws: list[str] = field(default_factory=list)
    contract: list[str] = field(default_factory=list)
    periods: list[WagePeriod] = field(default_factory=list)


BlockKey = tuple[str, str, tuple[str, ...], str | None]


def _key(block: _Block) -> BlockKey:
    """Name, payroll number, insured laws and contract type: what a repeated block header repeats."""
    assert block.payroll is not None
    laws = tuple(law.strip() for law in " ".join(block.laws).split(",") if law.strip())
    return " ".join(block.name), block.payroll, laws, " ".join(block.contract) or None


_State = Literal["section", "name", "after_payroll", "laws", "contract", "rows"]


class _BlockReader:
    """A line-by-line state machine over the body after "Loongegevens"."""

    def __init__(self, source_ref: str, fail: Fail) -> None:
        self.source_ref = source_ref
        self.fail = fail
        self.state: _State = "section"
        self.block: _Block | None = None
        self.row: _Row | None = None
        # A company-car row cut by a page break whose next page repeats the block header: held until the
        # repeated header proves to be the same block.
        self.carried: _Row | None = None
        self.no_data: Line | None = None
        self.relations: list[IncomeRelation] = []
        self.last_key: BlockKey | None = None

    def feed(self, line: Line) -> None:
        text = line.text
        if self.state == "rows" and self.block is not None:
            # Most lines are rows: try them first (a row never looks like a block start).
            period = _PERIOD_ROW.match(text)
            if period:
                self._close_row(self.block)
                self.row = self._start_row(line, period)
                return
        employer = _EMPLOYER.match(text)
        if employer:
            carried = self.row if line.first_on_page and self.row and not self.row.has_amount() else None
            if carried:
                self.row = None
            self._close_block(line)
            if self.no_data is not None:
                self.fail(line.where, "no employer blocks after 'Er zijn geen loongegevens'")
            self.block = _Block(line, name=_value(employer))
            self.carried = carried
            self.state = "name"
            return
        if self.state == "section":
            if _NO_DATA.match(text) and self.no_data is None:
                self.no_data = line
                return
            self.fail(line.where, "a block starting with 'Werkgever/Instantie'")
        block = self.block
        assert block is not None
        if self.state == "name":
            self._name_line(block, line)
        elif self.state in ("after_payroll", "laws", "contract"):
            self._header_line(block, line)
        else:
            self._row_line(block, line)

    def finish(self) -> list[IncomeRelation]:
        self._close_block(None)
        return self.relations

    # -- block header ---------------------------------------------------------------------------------

    def _name_line(self, block: _Block, line: Line) -> None:
        payroll = _PAYROLL.match(line.text)
        if payroll:
            value = (payroll.group("value") or "").replace(" ", "")
            try:
                block.payroll = normalise_loonheffingennummer(value)
            except ValueError:
                self.fail(line.where, "a loonheffingennummer: 9 digits passing the 11-proef, 'L', 2 digits")
            if not block.name:
                self.fail(
                    block.line.where, "the employer's or benefit payer's name after 'Werkgever/Instantie'"
                )
            self.state = "after_payroll"
            return
        if _is_structural(line.text) or len(block.name) >= MAX_NAME_LINES:
            self.fail(line.where, "the line 'Loonheffingennummer <9 cijfers>L<2 cijfers>'")
        block.name.append(line.text)

    def _header_line(self, block: _Block, line: Line) -> None:
        text = line.text
        laws = _LAWS.match(text)
        if laws and self.state == "after_payroll":
            block.laws = _value(laws)
            self.state = "laws"
            return
        contract = _CONTRACT.match(text)
        if contract and self.state in ("after_payroll", "laws"):
            block.contract = _value(contract)
            self.state = "contract"
            return
        if _TABLE_HEADER.match(text):
            self.state = "rows"
            carried, self.carried = self.carried, None
            if carried:
                if not (block.line.first_on_page and _key(block) == self.last_key):
                    self.fail(carried.line.where, "the SV-loon amount of the period ('€ 1.234,56')")
                self.row = carried
            return
        if self.state == "laws" and not _is_structural(text) and len(block.laws) < MAX_LAWS_LINES:
            block.laws.append(text)
            return
        if self.state == "contract" and not _is_structural(text) and len(block.contract) < MAX_CONTRACT_LINES:
            block.contract.append(text)
            return
        self.fail(line.where, "the wage table header 'Periode | Aantal uur | Sv-loon'")

    # -- rows ----------------------------------------------------------------------------------------

    def _row_line(self, block: _Block, line: Line) -> None:
        text = line.text
        if _TABLE_HEADER.match(text):
            return  # repeated after a page break
        tokens = _car_tokens(text)
        if tokens is not None and self.row is not None:
            self.row.tokens.extend(tokens)
            return
        self.fail(
            line.where,
            f"{PERIOD_ROW_SHAPE}, a company-car line or a new 'Werkgever/Instantie' block",
        )

    def _start_row(self, line: Line, match: re.Match[str]) -> _Row:
        try:
            start, end = _dutch_date(match.group("start")), _dutch_date(match.group("end"))
        except ValueError:
            self.fail(line.where, "real calendar dates in 'dd-mm-jjjj t/m dd-mm-jjjj'")
        hours_text = match.group("hours")
        if hours_text is None:
            self.fail(line.where, "the hours (Aantal uur) after the period")
        hours = Decimal(hours_text.replace(",", "."))
        if hours < 0:
            self.fail(line.where, "hours (Aantal uur) that are not negative")
        row = _Row(line, start, end, hours)
        rest = match.group("rest")
        plain = _PLAIN_AMOUNT.match(rest)
        if plain:  # the common row: one euro amount, the SV-loon
            row.tokens.append(("amount", _amount(plain)))
            return row
        tokens = _car_tokens(rest) if rest.strip() else []
        if tokens is None:
            self.fail(line.where, f"{PERIOD_ROW_SHAPE} with nothing after the amount")
        row.tokens.extend(tokens)
        return row

    def _close_row(self, block: _Block) -> None:
        row, self.row = self.row, None
        if row is None:
            return
        amounts: dict[CarLabel, Decimal] = {}
        pending: list[CarLabel] = []
        for kind, amount in row.tokens:
            if kind != "amount":
                if kind in amounts or kind in pending:
                    self.fail(row.line.where, f"each company-car label once per period ({_LABELS[kind]})")
                pending.append(kind)
                continue
            assert amount is not None
            target: CarLabel = pending.pop(0) if pending else "sv"
            if target in amounts:
                self.fail(row.line.where, "one SV-loon amount per period (an amount without a label)")
            amounts[target] = amount
        if pending:
            self.fail(row.line.where, f"an amount for '{_LABELS[pending[0]]}'")
        if "sv" not in amounts:
            self.fail(row.line.where, "the SV-loon amount of the period ('€ 1.234,56')")
        try:
            period = WagePeriod(
                start=row.start,
                end=row.end,
                hours=row.hours,
                sv_wage=amounts["sv"],
                car_own_contribution=amounts.get("own"),
                car_private_use_value=amounts.get("private"),
            )
        except ValidationError as exc:
            self.fail(row.line.where, f"a valid wage period ({_rules(exc)})")
        block.periods.append(period)

    # -- block end and merge -------------------------------------------------------------------------

    def _close_block(self, next_line: Line | None) -> None:
        block = self.block
        if block is None:
            return
        if self.state != "rows":
            where = next_line.where if next_line else "end of document"
            expected = {
                "name": "the line 'Loonheffingennummer <9 cijfers>L<2 cijfers>'",
            }.get(self.state, "the wage table header 'Periode | Aantal uur | Sv-loon'")
            self.fail(where, expected)
        self._close_row(block)
        key = _key(block)
        name, payroll, laws, contract = key
        # A block header repeated at the top of a page continues the block before the page break; the
        # same header elsewhere is another inkomstenverhouding (a second or later contract): kept apart.
        repeated = block.line.first_on_page and key == self.last_key
        earlier = self.relations.pop() if repeated else None
        self.last_key = key
        periods = [*(earlier.periods if earlier else []), *block.periods]
        periods.sort(key=lambda p: (p.end, p.start))
        try:
            relation = IncomeRelation(
                source_ref=self.source_ref,
                kind=_kind(payroll, laws, contract),
                payer_name=name,
                payroll_tax_number=payroll,
                insured_laws=list(laws),
                contract_type=contract,
                periods=periods,
            )
        except ValidationError as exc:
            self.fail(block.line.where, f"a valid employer block ({_rules(exc)})")
        self.relations.append(relation)
        self.block = None
        self.state = "section"


_LABELS: dict[CarLabel, str] = {
    "own": "Eigen bijdrage auto",
    "private": "Waarde privégebruik auto",
    "sv": "Sv-loon",
}


def _kind(payroll: str, laws: tuple[str, ...], contract: str | None) -> Literal["employment", "benefit"]:
    if payroll in UWV_BENEFIT_PAYROLL_NUMBERS or payroll.startswith(UWV_PAYROLL_PREFIX):
        return "benefit"
    if contract is None and not laws:
        return "benefit"
    return "employment"


def _value(match: re.Match[str]) -> list[str]:
    value = (match.group("value") or "").strip()
    return [value] if value else []


def _is_structural(text: str) -> bool:
    return bool(
        _EMPLOYER.match(text)
        or _PAYROLL.match(text)
        or _LAWS.match(text)
        or _CONTRACT.match(text)
        or _TABLE_HEADER.match(text)
        or _PERIOD_ROW.match(text)
        or _SECTION.match(text)
    )


def _car_tokens(text: str) -> list[tuple[Literal["own", "private", "sv", "amount"], Decimal | None]] | None:
    """The labels and amounts of a company-car line, or None when the line is something else."""
    tokens: list[tuple[Literal["own", "private", "sv", "amount"], Decimal | None]] = []
    position = 0
    while position < len(text):
        match = _CAR_TOKEN.match(text, position)
        if match is None or match.end() == position:
            return None
        position = match.end()
        if match.group("own"):
            tokens.append(("own", None))
        elif match.group("private"):
            tokens.append(("private", None))
        elif match.group("sv"):
            tokens.append(("sv", None))
        else:
            tokens.append(("amount", _amount(match)))
    return tokens or None


def _amount(match: re.Match[str]) -> Decimal:
    whole = match.group("whole").replace(".", "")
    value = Decimal(f"{whole}.{match.group('cents') or '00'}")
    return -value if match.group("sign1") or match.group("sign2") else value


def _rules(exc: ValidationError) -> str:
    """The broken rules, by field and error type: never the values (they are personal data)."""
    seen = []
    for error in exc.errors(include_input=False, include_url=False):
        where = ".".join(str(part) for part in error["loc"]) or "value"
        item = f"{where}: {error['type']}"
        if item not in seen:
            seen.append(item)
    return "; ".join(seen[:3])
