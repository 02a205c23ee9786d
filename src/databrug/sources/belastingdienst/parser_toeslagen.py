"""Belastingdienst/Toeslagen "toeslagen": the allowances a citizen sees in Mijn toeslagen, as JSON.

Reads each toeslag (type, year, monthly amount, voorschot or definitief, toetsingsinkomen, rent for
huurtoeslag) into ``incomes.allowances``; its ``burgerservicenummer`` is the document's holder (for the
binding check, never a record). The format is described in ``docs/formats/belastingdienst.md``.
Errors are located by JSON path (``$.toeslagen[1].bedragPerMaand``, 0-based) and never quote a value.
"""

from __future__ import annotations

import re
from decimal import Decimal
from typing import Any, NoReturn

from pydantic import ValidationError

from databrug.records import Allowance, DocumentType, Incomes, SourceName, Subject
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import DocumentHolder, ParseContext, ParsedDocument, Parser, make_entry
from databrug.sources.reading.json import read_json

MAX_ALLOWANCES = 1000
_HEAD = re.compile(rb'^\s*\{[^\x00]{0,2048}?"toeslagen"\s*:')

KINDS = {
    "ZORGTOESLAG": "zorgtoeslag",
    "HUURTOESLAG": "huurtoeslag",
    "KINDGEBONDEN_BUDGET": "kindgebonden_budget",
    "KINDEROPVANGTOESLAG": "kinderopvangtoeslag",
}
STATUSES = {"VOORSCHOT": "voorschot", "DEFINITIEVE_BEREKENING": "definitief"}


class ToeslagenParser:
    source: SourceName = "belastingdienst"
    document_type: DocumentType = "toeslagen"
    media_type = "application/json"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        return _HEAD.match(data[:4096].removeprefix(b"\xef\xbb\xbf")) is not None

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        located = _Located(context.filename)
        document = read_json(data, located.fail)
        entry = make_entry(
            data=data,
            context=context,
            source="belastingdienst",
            document_type="toeslagen",
            media_type=self.media_type,
            parser_version=self.version,
        )
        if not isinstance(document, dict):
            located.fail("$", "a JSON object")
        items = document.get("toeslagen")
        if not isinstance(items, list):
            located.fail("$.toeslagen", "a list of toeslagen")
        if len(items) > MAX_ALLOWANCES:
            located.fail("$.toeslagen", f"at most {MAX_ALLOWANCES} toeslagen")
        allowances = [
            _allowance(item, f"$.toeslagen[{index}]", entry.id, located) for index, item in enumerate(items)
        ]
        subject = Subject(role=context.subject, incomes=Incomes(allowances=allowances))
        return ParsedDocument(entry=entry, subject=subject, holder=_holder(document, located))


class _Located:
    def __init__(self, filename: str | None) -> None:
        self.filename = filename

    def fail(self, location: str, expected: str) -> NoReturn:
        raise DocumentInvalid("belastingdienst", "toeslagen", location, expected, self.filename)


def _holder(document: dict[str, Any], located: _Located) -> DocumentHolder:
    bsn = document.get("burgerservicenummer")
    if bsn is None:
        return DocumentHolder()
    if not isinstance(bsn, str) or not bsn:
        located.fail("$.burgerservicenummer", "a burgerservicenummer as text")
    return DocumentHolder(bsns=frozenset({bsn}))


def _allowance(item: Any, path: str, source_ref: str, located: _Located) -> Allowance:
    if not isinstance(item, dict):
        located.fail(path, "a toeslag object")
    kind = item.get("soort")
    if not isinstance(kind, str) or kind not in KINDS:  # a list or object is unhashable: no `in` on it
        located.fail(f"{path}.soort", "one of " + ", ".join(KINDS))
    status = item.get("status")
    if not isinstance(status, str) or status not in STATUSES:
        located.fail(f"{path}.status", "one of " + ", ".join(STATUSES))
    year = item.get("jaar")
    if not isinstance(year, int) or isinstance(year, bool) or not 2000 <= year <= 2100:
        located.fail(f"{path}.jaar", "a year between 2000 and 2100 as a number")
    rent: Decimal | None = None
    housing = item.get("huurgegevens")
    if housing is not None:
        if not isinstance(housing, dict):
            located.fail(f"{path}.huurgegevens", "an object with rekenhuur")
        rent = _amount(housing.get("rekenhuur"), f"{path}.huurgegevens.rekenhuur", located, required=True)
    fields = {
        "source_ref": source_ref,
        "kind": KINDS[kind],
        "year": year,
        "monthly_amount": _amount(item.get("bedragPerMaand"), f"{path}.bedragPerMaand", located, True),
        "status": STATUSES[status],
        "assessment_income": _amount(item.get("toetsingsinkomen"), f"{path}.toetsingsinkomen", located),
        "monthly_rent": rent,
    }
    try:
        return Allowance.model_validate(fields)
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else "record"
        located.fail(path, f"a value the data package accepts ({field}: {first['type']})")


def _amount(value: Any, path: str, located: _Located, required: bool = False) -> Decimal | None:
    """Euros as a JSON number with at most two decimals; strings, booleans and floats-as-text refused."""
    if value is None:
        if required:
            located.fail(path, "an amount in euros")
        return None
    if isinstance(value, bool) or not isinstance(value, int | Decimal):
        located.fail(path, "an amount in euros as a JSON number")
    amount = Decimal(value)
    exponent = amount.as_tuple().exponent
    if not amount.is_finite() or (isinstance(exponent, int) and exponent < -2) or abs(amount) >= 10**13:
        located.fail(path, "an amount in euros with at most two decimals")
    return amount


PARSER: Parser = ToeslagenParser()
