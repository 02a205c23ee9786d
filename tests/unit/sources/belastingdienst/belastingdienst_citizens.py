"""Hand-built citizens for the Belastingdienst tests (until and beside the persona catalogue)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any

from tests.support.records import strip_refs

from databrug.records import (
    Address,
    Allowance,
    Assets,
    BankBalance,
    FuzzyDate,
    Home,
    Incomes,
    Mortgage,
    PartnerLink,
    Person,
    PersonName,
    Subject,
    TaxYear,
    WageStatement,
    WozValue,
)
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount

REF = SANDBOX_REF
APPLICANT_BSN = "999900006"
PARTNER_BSN = "999900018"
RENTER_BSN = "999900031"


def _person(bsn: str, given: str, surname: str, prefix: str | None = None, **more: object) -> Person:
    return Person.model_validate(
        {
            "source_ref": REF,
            "bsn": bsn,
            "name": PersonName(given_names=given, prefix=prefix, surname=surname),
            "birth": FuzzyDate(date=date(1984, 3, 12)),
            **more,
        }
    )


def _citizen(username: str, facts: Subject, **extra: object) -> Citizen:
    return Citizen(
        digid=DigidAccount(username=username, password="geheim-wachtwoord"), facts=facts, extra=extra
    )


def single_renter() -> Citizen:
    """Employed, renting, two tax years, cents in the balances, three allowances."""
    facts = Subject(
        role="applicant",
        person=_person(RENTER_BSN, "Fatima", "Amrani"),
        incomes=Incomes(
            tax_years=[
                TaxYear(
                    source_ref=REF,
                    year=2024,
                    verzamelinkomen=Decimal("22410"),
                    box1_income=Decimal("22410"),
                    wages=[
                        WageStatement(
                            payer_name="Voorbeeld Schoonmaak B.V.",
                            payroll_tax_number="999993653L01",
                            wage=Decimal("22410"),
                            withheld_tax=Decimal("1733"),
                        )
                    ],
                ),
                TaxYear(
                    source_ref=REF,
                    year=2025,
                    verzamelinkomen=Decimal("23105"),
                    box1_income=Decimal("23105"),
                    wages=[
                        WageStatement(
                            payer_name="Voorbeeld Schoonmaak B.V.",
                            payroll_tax_number="999993653L01",
                            wage=Decimal("19850"),
                            withheld_tax=Decimal("1290"),
                        ),
                        WageStatement(
                            payer_name="Stichting Thuiszorg Midden",
                            payroll_tax_number=None,
                            wage=Decimal("3255"),
                            withheld_tax=Decimal("0"),
                        ),
                    ],
                ),
            ],
            allowances=[
                Allowance(
                    source_ref=REF,
                    kind="huurtoeslag",
                    year=2026,
                    monthly_amount=Decimal("212.00"),
                    status="voorschot",
                    assessment_income=Decimal("23105"),
                    monthly_rent=Decimal("720.35"),
                ),
                Allowance(
                    source_ref=REF,
                    kind="zorgtoeslag",
                    year=2026,
                    monthly_amount=Decimal("131.17"),
                    status="voorschot",
                ),
                Allowance(
                    source_ref=REF,
                    kind="zorgtoeslag",
                    year=2024,
                    monthly_amount=Decimal("118.50"),
                    status="definitief",
                    assessment_income=Decimal("22410"),
                ),
            ],
        ),
        assets=Assets(
            bank_balances=[
                BankBalance(
                    source_ref=REF,
                    iban="NL91ABNA0417164300",
                    bank="ABN AMRO Bank N.V.",
                    balance=Decimal("1840.12"),
                    reference_date=date(2026, 1, 1),
                ),
                BankBalance(
                    source_ref=REF,
                    iban="NL91ABNA0417164300",
                    bank="ABN AMRO Bank N.V.",
                    balance=Decimal("1210"),
                    reference_date=date(2025, 1, 1),
                ),
            ]
        ),
    )
    return _citizen("famrani", facts, reference_date=date(2026, 11, 1))


def self_employed_homeowner() -> Citizen:
    """Self-employed with a fiscal partner, own home, two mortgages, box 2, a negative box 3, three years."""
    home = Home(
        source_ref=REF,
        woz_object_id="036300001234",
        address=Address(
            street="Lindengracht", house_number=12, house_letter="A", postcode="1015KE", city="Amsterdam"
        ),
        relation="owner_occupant",
        woz_values=[
            WozValue(reference_date=date(2023, 1, 1), value=Decimal("512000")),
            WozValue(reference_date=date(2024, 1, 1), value=Decimal("538000")),
        ],
    )
    partner_link = PartnerLink(
        kind="huwelijk",
        bsn=PARTNER_BSN,
        name=PersonName(given_names="Sanne Marie", prefix="de", surname="Vries"),
    )
    facts = Subject(
        role="applicant",
        person=_person(APPLICANT_BSN, "Pieter", "Bakker", partners=[partner_link], marital_status="gehuwd"),
        incomes=Incomes(
            tax_years=[
                TaxYear(
                    source_ref=REF,
                    year=2023,
                    verzamelinkomen=Decimal("-4210"),
                    box1_income=Decimal("-4210"),
                    business_profit=Decimal("-1500"),
                    fiscal_partner_bsn=PARTNER_BSN,
                ),
                TaxYear(
                    source_ref=REF,
                    year=2024,
                    verzamelinkomen=Decimal("61874"),
                    box1_income=Decimal("48120"),
                    box2_income=Decimal("15000"),
                    box3_income=Decimal("-1246"),
                    business_profit=Decimal("52340"),
                    fiscal_partner_bsn=PARTNER_BSN,
                    wages=[
                        WageStatement(
                            payer_name="Bakker Advies B.V.",
                            payroll_tax_number="999900043L02",
                            wage=Decimal("6000"),
                            withheld_tax=Decimal("0"),
                        )
                    ],
                ),
                TaxYear(
                    source_ref=REF,
                    year=2025,
                    verzamelinkomen=Decimal("70311"),
                    box1_income=Decimal("70311"),
                    box2_income=Decimal("0"),
                    business_profit=Decimal("70311"),
                ),
            ],
        ),
        assets=Assets(
            homes=[home],
            mortgages=[
                Mortgage(
                    source_ref=REF,
                    year=2024,
                    lender="Voorbeeld Hypotheken N.V.",
                    debt_at_start_of_year=Decimal("310000"),
                    interest_paid=Decimal("11284"),
                ),
                Mortgage(
                    source_ref=REF,
                    year=2024,
                    lender="Familiebank Bakker",
                    debt_at_start_of_year=Decimal("25000"),
                ),
                Mortgage(
                    source_ref=REF,
                    year=2025,
                    lender="Voorbeeld Hypotheken N.V.",
                    debt_at_start_of_year=Decimal("302400"),
                    interest_paid=Decimal("10975"),
                ),
            ],
            bank_balances=[
                BankBalance(
                    source_ref=REF,
                    iban="NL44RABO0123456789",
                    bank=None,
                    balance=Decimal("-350.40"),
                    reference_date=date(2024, 1, 1),
                ),
                BankBalance(
                    source_ref=REF,
                    iban="NL20INGB0001234567",
                    bank="ING Bank N.V.",
                    balance=Decimal("48210"),
                    reference_date=date(2024, 1, 1),
                ),
                BankBalance(
                    source_ref=REF,
                    iban="NL20INGB0001234567",
                    bank="ING Bank N.V.",
                    balance=Decimal("51877"),
                    reference_date=date(2024, 12, 31),
                ),
            ],
        ),
    )
    return _citizen("pbakker", facts, reference_date=date(2026, 5, 1))


def nothing_known() -> Citizen:
    """A person the Belastingdienst has no figures for, but whose portal offers two empty years."""
    facts = Subject(role="partner", person=_person(PARTNER_BSN, "Sanne Marie", "Vries", prefix="de"))
    return Citizen(
        digid=DigidAccount(username="svries", password="geheim-wachtwoord"),
        facts=facts,
        tax_years_available=(2024, 2025),
    )


ALL = {
    "single-renter": single_renter,
    "self-employed-homeowner": self_employed_homeowner,
    "nothing-known": nothing_known,
}


def _by_year(items: list[dict[str, Any]], key: str) -> list[dict[str, Any]]:
    """The VIA groups records per belastingjaar; within a year the order is kept (stable sort)."""
    return sorted(items, key=lambda item: item[key] if key != "reference_date" else item[key].year)


def belastingdienst_facts(subject: Subject) -> dict[str, Any]:
    """The part of a subject this source owns, in a comparable form."""
    incomes = strip_refs(subject.incomes)
    assets = strip_refs(subject.assets)
    return {
        "tax_years": _by_year(incomes["tax_years"], "year"),
        "allowances": incomes["allowances"],
        "bank_balances": _by_year(assets["bank_balances"], "reference_date"),
        "mortgages": _by_year(assets["mortgages"], "year"),
    }
