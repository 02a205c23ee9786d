"""The Belastingdienst portal's two documents, rendered from a persona's facts.

- ``render_belastinggegevens``: the vooraf ingevulde aangifte (VIA) download as namespaced XML, one
  ``belastingjaar`` per year, amounts in whole euros as the VIA states them.
- ``render_toeslagen``: the allowances as a Mijn toeslagen API would return them (JSON, euros with cents).

The layout is described in docs/formats/belastingdienst.md. Both are deterministic: the creation time is
derived from the household's reference date, never from the clock.
"""

from __future__ import annotations

import json
from collections.abc import Iterable
from datetime import date
from decimal import Decimal
from typing import Any

from lxml import etree

from databrug.records import Home, PersonName, Subject, TaxYear
from databrug_sandbox.personas.model import Citizen

VIA_NAMESPACE = "https://databrug.example/ns/belastingdienst/via/1"
FORMAT_VERSION = "1.0"
DEFAULT_REFERENCE_DATE = date(2026, 11, 1)

TOESLAG_KINDS = {
    "zorgtoeslag": "ZORGTOESLAG",
    "huurtoeslag": "HUURTOESLAG",
    "kindgebonden_budget": "KINDGEBONDEN_BUDGET",
    "kinderopvangtoeslag": "KINDEROPVANGTOESLAG",
}
TOESLAG_STATUSES = {"voorschot": "VOORSCHOT", "definitief": "DEFINITIEVE_BEREKENING"}


def reference_date(citizen: Citizen) -> date:
    value = citizen.extra.get("reference_date")
    return value if isinstance(value, date) else DEFAULT_REFERENCE_DATE


def created_at(citizen: Citizen) -> str:
    """Nine in the morning, Dutch time, on the reference date, written in UTC."""
    return f"{reference_date(citizen).isoformat()}T08:00:00Z"


def euros(amount: Decimal) -> str:
    """Whole euros when the amount has no cents (as the VIA writes them), else euros and cents."""
    if amount == amount.to_integral_value():
        return str(int(amount))
    return f"{amount:.2f}"


# ---------------------------------------------------------------- belastinggegevens (VIA, XML)


def render_belastinggegevens(citizen: Citizen) -> bytes:
    facts = citizen.facts
    tax_years = _tax_years_by_year(facts.incomes.tax_years)
    years = sorted(
        set(tax_years)
        | {balance.reference_date.year for balance in facts.assets.bank_balances}
        | {mortgage.year for mortgage in facts.assets.mortgages}
        | set(citizen.tax_years_available)
    )
    root = etree.Element(_tag("via"), nsmap={None: VIA_NAMESPACE})
    root.set("versie", FORMAT_VERSION)
    root.set("aangemaakt", created_at(citizen))
    for year in years:
        _belastingjaar(root, facts, year, tax_years.get(year))
    return bytes(etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True))


def _tax_years_by_year(tax_years: Iterable[TaxYear]) -> dict[int, TaxYear]:
    by_year: dict[int, TaxYear] = {}
    for tax_year in tax_years:
        if tax_year.year in by_year:
            raise ValueError("a persona has at most one tax-year record per year")
        by_year[tax_year.year] = tax_year
    return by_year


def _tag(name: str) -> str:
    return f"{{{VIA_NAMESPACE}}}{name}"


def _add(parent: etree._Element, name: str, text: str | None = None) -> etree._Element:
    child = etree.SubElement(parent, _tag(name))
    if text is not None:
        child.text = text
    return child


def _belastingjaar(root: etree._Element, facts: Subject, year: int, tax_year: TaxYear | None) -> None:
    node = _add(root, "belastingjaar")
    _add(node, "jaar", str(year))
    _persoonlijke_gegevens(node, facts, tax_year)
    if tax_year is not None and tax_year.wages:
        section = _add(node, "inkomenLoondienst")
        for wage in tax_year.wages:
            agent = _add(section, "inhoudingsplichtige")
            _add(agent, "naam", wage.payer_name)
            if wage.payroll_tax_number is not None:
                _add(agent, "loonheffingennummer", wage.payroll_tax_number)
            _add(agent, "loon", euros(wage.wage))
            _add(agent, "ingehoudenLoonheffing", euros(wage.withheld_tax))
    balances = [b for b in facts.assets.bank_balances if b.reference_date.year == year]
    if balances:
        section = _add(node, "bankrekeningen")
        for balance in balances:
            account = _add(section, "bankrekening")
            _add(account, "iban", balance.iban)
            if balance.bank is not None:
                _add(account, "bank", balance.bank)
            _add(account, "saldo", euros(balance.balance))
            if balance.reference_date != date(year, 1, 1):
                _add(account, "peildatum", balance.reference_date.isoformat())
    mortgages = [m for m in facts.assets.mortgages if m.year == year]
    home = _own_home(facts.assets.homes)
    if home is not None or mortgages:
        own_home = _add(node, "eigenWoning")
        if home is not None:
            _adres(own_home, home)
            woz = next((w for w in home.woz_values if w.reference_date == date(year - 1, 1, 1)), None)
            if woz is not None:
                _add(own_home, "wozWaarde", euros(woz.value))
        if mortgages:
            total = sum((m.debt_at_start_of_year for m in mortgages), Decimal(0))
            _add(own_home, "eigenwoningschuld", euros(total))
    if mortgages:
        section = _add(node, "hypotheken")
        for mortgage in mortgages:
            loan = _add(section, "hypotheek")
            _add(loan, "geldverstrekker", mortgage.lender)
            _add(loan, "schuldPer1Januari", euros(mortgage.debt_at_start_of_year))
            if mortgage.interest_paid is not None:
                _add(loan, "betaaldeRente", euros(mortgage.interest_paid))
    if tax_year is not None:
        _inkomensgegevens(node, tax_year)


def _persoonlijke_gegevens(node: etree._Element, facts: Subject, tax_year: TaxYear | None) -> None:
    person = facts.person
    partner_bsn = tax_year.fiscal_partner_bsn if tax_year else None
    if person is None and partner_bsn is None:
        return
    section = _add(node, "persoonlijkeGegevens")
    if person is not None:
        _add(section, "bsn", person.bsn)
        _add(section, "naam", _formal_name(person.name))
        if person.birth is not None and person.birth.date is not None:
            _add(section, "geboortedatum", person.birth.date.isoformat())
    if partner_bsn is not None:
        partner = _add(section, "fiscaalPartner")
        _add(partner, "bsn", partner_bsn)
        link = next((p for p in person.partners if p.bsn == partner_bsn), None) if person else None
        if link is not None and link.name is not None:
            _add(partner, "naam", _formal_name(link.name))


def _formal_name(name: PersonName) -> str:
    """As the Belastingdienst addresses people: initials, prefix, surname."""
    initials = name.initials or "".join(f"{part[0]}." for part in (name.given_names or "").split() if part)
    return " ".join(part for part in (initials, name.prefix or "", name.surname) if part)


def _own_home(homes: Iterable[Home]) -> Home | None:
    """The eigen woning: an owned home the citizen lives in, else any owned home (personas say "owner")."""
    owned = [home for home in homes if home.relation in ("owner_occupant", "owner")]
    return next((home for home in owned if home.relation == "owner_occupant"), owned[0] if owned else None)


def _adres(own_home: etree._Element, home: Home) -> None:
    address = home.address
    adres = _add(own_home, "adres")
    if address.street:
        _add(adres, "straat", address.street)
    if address.house_number is not None:
        number = str(address.house_number) + (address.house_letter or "")
        if address.house_number_addition:
            number += f"-{address.house_number_addition}"
        _add(adres, "huisnummer", number)
    if address.postcode:
        compact = address.postcode.replace(" ", "")
        _add(adres, "postcode", f"{compact[:4]} {compact[4:]}")
    if address.city:
        _add(adres, "woonplaats", address.city)


def _inkomensgegevens(node: etree._Element, tax_year: TaxYear) -> None:
    figures = _add(node, "inkomensgegevens")
    box1 = _add(figures, "box1")
    _add(box1, "belastbaarInkomen", euros(tax_year.box1_income))
    if tax_year.business_profit is not None:
        _add(box1, "winstUitOnderneming", euros(tax_year.business_profit))
    if tax_year.box2_income is not None:
        _add(_add(figures, "box2"), "belastbaarInkomen", euros(tax_year.box2_income))
    if tax_year.box3_income is not None:
        _add(_add(figures, "box3"), "belastbaarInkomen", euros(tax_year.box3_income))
    _add(figures, "verzamelinkomen", euros(tax_year.verzamelinkomen))


# ---------------------------------------------------------------- toeslagen (Mijn toeslagen, JSON)


def render_toeslagen(citizen: Citizen) -> bytes:
    facts = citizen.facts
    toeslagen: list[dict[str, Any]] = []
    for allowance in facts.incomes.allowances:
        item: dict[str, Any] = {
            "soort": TOESLAG_KINDS[allowance.kind],
            "jaar": allowance.year,
            "status": TOESLAG_STATUSES[allowance.status],
            "bedragPerMaand": _Number(f"{allowance.monthly_amount:.2f}"),
        }
        if allowance.assessment_income is not None:
            item["toetsingsinkomen"] = _Number(euros(allowance.assessment_income))
        if allowance.monthly_rent is not None:
            item["huurgegevens"] = {"rekenhuur": _Number(f"{allowance.monthly_rent:.2f}")}
        toeslagen.append(item)
    document: dict[str, Any] = {"versie": FORMAT_VERSION, "aangemaakt": created_at(citizen)}
    if facts.person is not None:
        document["burgerservicenummer"] = facts.person.bsn
    document["toeslagen"] = toeslagen
    return (_json(document, 0) + "\n").encode("utf-8")


class _Number(str):
    """An amount already formatted as a JSON number (the stdlib writes a Decimal only via float)."""


def _json(value: Any, level: int) -> str:
    pad, inner = "  " * level, "  " * (level + 1)
    if isinstance(value, _Number):
        return str(value)
    if isinstance(value, dict):
        if not value:
            return "{}"
        members = [
            f"{inner}{json.dumps(k, ensure_ascii=False)}: {_json(v, level + 1)}" for k, v in value.items()
        ]
        return "{\n" + ",\n".join(members) + f"\n{pad}}}"
    if isinstance(value, list):
        if not value:
            return "[]"
        return "[\n" + ",\n".join(f"{inner}{_json(v, level + 1)}" for v in value) + f"\n{pad}]"
    return json.dumps(value, ensure_ascii=False)
