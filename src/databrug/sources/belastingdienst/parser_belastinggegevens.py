"""Belastingdienst "belastinggegevens": the vooraf ingevulde aangifte (VIA) download as XML.

Reads per belastingjaar the income figures (→ ``incomes.tax_years``), the bank balances on the box 3
peildatum (→ ``assets.bank_balances``) and the mortgages of the own home (→ ``assets.mortgages``).
The format is described in ``docs/formats/belastingdienst.md``. Each year's ``persoonlijkeGegevens`` (BSN,
name, birth date) is whose document it is: returned as the document's holder for the binding check, never
as records.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from datetime import date
from typing import TypeVar

from pydantic import ValidationError

from databrug.records import (
    Assets,
    BankBalance,
    DocumentType,
    Incomes,
    Mortgage,
    Record,
    SourceName,
    Subject,
    TaxYear,
    WageStatement,
    is_valid_bsn,
)
from databrug.sources.belastingdienst.xml_elements import Node, Problems, load_tree
from databrug.sources.parsing import DocumentHolder, ParseContext, ParsedDocument, Parser, make_entry

_R = TypeVar("_R", bound=Record)

_ROOT = re.compile(rb"<(?:[A-Za-z_][\w.-]*:)?via[\s>/]")

# Which element holds each model field, so that a value the model refuses is reported at its element.
_WAGE_ELEMENTS = {"payer_name": "naam", "payroll_tax_number": "loonheffingennummer"}
_BALANCE_ELEMENTS = {"iban": "iban", "bank": "bank", "balance": "saldo", "reference_date": "peildatum"}
_MORTGAGE_ELEMENTS = {
    "lender": "geldverstrekker",
    "debt_at_start_of_year": "schuldPer1Januari",
    "interest_paid": "betaaldeRente",
}


class BelastinggegevensParser:
    source: SourceName = "belastingdienst"
    document_type: DocumentType = "belastinggegevens"
    media_type = "application/xml"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
        return head.startswith(b"<") and _ROOT.search(head) is not None

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        problems = Problems("belastingdienst", "belastinggegevens", context.filename)
        root = load_tree(data, problems, "via")
        entry = make_entry(
            data=data,
            context=context,
            source="belastingdienst",
            document_type="belastinggegevens",
            media_type=self.media_type,
            parser_version=self.version,
        )
        reader = _YearReader(entry.id)
        seen_years: set[int] = set()
        for year_node in root.repeated("belastingjaar"):
            year_element = year_node.required("jaar")
            year = year_element.year()
            if year in seen_years:
                year_element.fail("each belastingjaar listed once")
            seen_years.add(year)
            reader.read(year_node, year)
        if reader.incomplete:
            # Wages or a fiscal partner without the year's income figures have no place in the model.
            entry = entry.model_copy(update={"status": "partial"})
        subject = Subject(
            role=context.subject,
            incomes=Incomes(tax_years=reader.tax_years),
            assets=Assets(bank_balances=reader.bank_balances, mortgages=reader.mortgages),
        )
        return ParsedDocument(entry=entry, subject=subject, holder=reader.holder())


class _YearReader:
    def __init__(self, source_ref: str) -> None:
        self.source_ref = source_ref
        self.tax_years: list[TaxYear] = []
        self.bank_balances: list[BankBalance] = []
        self.mortgages: list[Mortgage] = []
        self.incomplete = False
        self._bsns: set[str] = set()
        self._names: set[str] = set()
        self._birth_dates: set[date] = set()

    def holder(self) -> DocumentHolder:
        return DocumentHolder(frozenset(self._bsns), frozenset(self._names), frozenset(self._birth_dates))

    def read(self, node: Node, year: int) -> None:
        self._person(node)
        partner_bsn = self._fiscal_partner(node)
        wages = self._wages(node)
        self.bank_balances.extend(self._bank_balances(node, year))
        self.mortgages.extend(self._mortgages(node, year))
        figures = node.optional("inkomensgegevens")
        if figures is None:
            self.incomplete = self.incomplete or bool(wages) or partner_bsn is not None
            return
        box1 = figures.required("box1")
        box2 = figures.optional("box2")
        box3 = figures.optional("box3")
        fields = {
            "source_ref": self.source_ref,
            "year": year,
            "verzamelinkomen": figures.required("verzamelinkomen").amount(),
            "box1_income": box1.required("belastbaarInkomen").amount(),
            "box2_income": box2.required("belastbaarInkomen").amount() if box2 else None,
            "box3_income": box3.required("belastbaarInkomen").amount() if box3 else None,
            "business_profit": box1.optional_amount("winstUitOnderneming"),
            "wages": wages,
            "fiscal_partner_bsn": partner_bsn,
        }
        self.tax_years.append(_build(TaxYear, fields, figures, {}))

    def _person(self, node: Node) -> None:
        """Whom the year is about; compared by the binding check, never kept."""
        personal = node.optional("persoonlijkeGegevens")
        if personal is None:
            return
        bsn = personal.optional_text("bsn")
        if bsn is not None:
            self._bsns.add(bsn)
        name = personal.optional_text("naam")
        if name is not None:
            self._names.add(name)
        birth = personal.optional("geboortedatum")
        if birth is not None:
            self._birth_dates.add(birth.day())

    @staticmethod
    def _fiscal_partner(node: Node) -> str | None:
        personal = node.optional("persoonlijkeGegevens")
        partner = personal.optional("fiscaalPartner") if personal else None
        if partner is None:
            return None
        bsn = partner.required("bsn")
        text = bsn.text()
        if not (len(text) == 9 and text.isdigit() and is_valid_bsn(text)):
            bsn.fail("a burgerservicenummer: 9 digits passing the 11-proef")
        return text

    @staticmethod
    def _wages(node: Node) -> list[WageStatement]:
        section = node.optional("inkomenLoondienst")
        if section is None:
            return []
        return [
            _build(
                WageStatement,
                {
                    "payer_name": agent.required("naam").text(),
                    "payroll_tax_number": agent.optional_text("loonheffingennummer"),
                    "wage": agent.required("loon").amount(),
                    "withheld_tax": agent.required("ingehoudenLoonheffing").amount(),
                },
                agent,
                _WAGE_ELEMENTS,
            )
            for agent in section.repeated("inhoudingsplichtige")
        ]

    def _bank_balances(self, node: Node, year: int) -> list[BankBalance]:
        section = node.optional("bankrekeningen")
        if section is None:
            return []
        balances = []
        for account in section.repeated("bankrekening"):
            peildatum = account.optional("peildatum")
            fields = {
                "source_ref": self.source_ref,
                "iban": account.required("iban").text(),
                "bank": account.optional_text("bank"),
                "balance": account.required("saldo").amount(),
                "reference_date": peildatum.day() if peildatum else date(year, 1, 1),
            }
            balances.append(_build(BankBalance, fields, account, _BALANCE_ELEMENTS))
        return balances

    def _mortgages(self, node: Node, year: int) -> list[Mortgage]:
        section = node.optional("hypotheken")
        if section is None:
            return []
        return [
            _build(
                Mortgage,
                {
                    "source_ref": self.source_ref,
                    "year": year,
                    "lender": loan.required("geldverstrekker").text(),
                    "debt_at_start_of_year": loan.required("schuldPer1Januari").amount(),
                    "interest_paid": loan.optional_amount("betaaldeRente"),
                },
                loan,
                _MORTGAGE_ELEMENTS,
            )
            for loan in section.repeated("hypotheek")
        ]


def _build(
    model: type[_R],
    fields: Mapping[str, object],
    node: Node,
    elements: Mapping[str, str],
) -> _R:
    try:
        return model.model_validate(dict(fields))
    except ValidationError as exc:
        first = exc.errors(include_input=False, include_url=False)[0]
        field = str(first["loc"][0]) if first["loc"] else ""
        rule = first["type"]
        node.fail(f"a value the data package accepts ({field or 'record'}: {rule})", elements.get(field))


PARSER: Parser = BelastinggegevensParser()
