"""Hand-built citizens for the verzekeringsbericht tests (until and beside the persona catalogue).

Their facts follow what the document can carry: periods in ascending end-date order, and a benefit is either
paid under one of UWV's own payroll numbers or by a payer listed without contract type and insured laws.
"""

from __future__ import annotations

import calendar
from collections.abc import Iterator
from datetime import date, timedelta
from decimal import Decimal

from databrug.records import FuzzyDate, IncomeRelation, Incomes, Person, PersonName, Subject, WagePeriod
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount

PERMANENT = "schriftelijke arbeidsovereenkomst voor onbepaalde tijd, geen oproepovereenkomst"
ON_CALL = "schriftelijke arbeidsovereenkomst voor bepaalde tijd, oproepovereenkomst"
ALL_LAWS = ["WW", "ZW", "WAO/WIA"]


def months(first: date, count: int) -> Iterator[tuple[date, date]]:
    year, month = first.year, first.month
    for _ in range(count):
        yield date(year, month, 1), date(year, month, calendar.monthrange(year, month)[1])
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def four_weeks(year: int) -> list[tuple[date, date]]:
    starts = [date(year, 1, 1)] + [date.fromisocalendar(year, 4 * k + 1, 1) for k in range(1, 13)]
    ends = [start - timedelta(days=1) for start in starts[1:]] + [date(year, 12, 31)]
    return list(zip(starts, ends, strict=True))


def period(
    span: tuple[date, date],
    hours: str,
    wage: str,
    *,
    private_use: str | None = None,
    own_contribution: str | None = None,
) -> WagePeriod:
    return WagePeriod(
        start=span[0],
        end=span[1],
        hours=Decimal(hours),
        sv_wage=Decimal(wage),
        car_private_use_value=Decimal(private_use) if private_use else None,
        car_own_contribution=Decimal(own_contribution) if own_contribution else None,
    )


def relation(
    name: str,
    payroll: str,
    periods: list[WagePeriod],
    *,
    kind: str = "employment",
    laws: list[str] | None = None,
    contract: str | None = PERMANENT,
) -> IncomeRelation:
    return IncomeRelation.model_validate(
        {
            "source_ref": SANDBOX_REF,
            "kind": kind,
            "payer_name": name,
            "payroll_tax_number": payroll,
            "insured_laws": ALL_LAWS if laws is None else laws,
            "contract_type": contract,
            "periods": periods,
        }
    )


def citizen(
    relations: list[IncomeRelation],
    *,
    bsn: str = "999990019",
    name: PersonName | None = None,
    gender: str = "man",
    birth: FuzzyDate | None = None,
) -> Citizen:
    person = Person.model_validate(
        {
            "source_ref": SANDBOX_REF,
            "bsn": bsn,
            "name": name or PersonName(given_names="Jan Pieter", prefix="de", surname="Vries"),
            "gender": gender,
            "birth": birth if birth is not None else FuzzyDate(date=date(1980, 3, 12)),
        }
    )
    facts = Subject(role="applicant", person=person, incomes=Incomes(relations=relations))
    return Citizen(digid=DigidAccount(username=f"u{bsn}", password="geheim"), facts=facts)


def long_history_with_car() -> Citizen:
    """Three pages: a long wrapped employer name, 30 months, company-car rows, a correction, a WW benefit."""
    care = [period(span, "151.5", "3456.78") for span in months(date(2024, 1, 1), 30)]
    car = [
        period(span, "173", "6597.34", private_use="733.33", own_contribution="149.01")
        for span in months(date(2025, 1, 1), 9)
    ]
    car.append(period((date(2025, 10, 1), date(2025, 10, 31)), "0", "-120.00"))
    car.append(period((date(2025, 11, 1), date(2025, 11, 30)), "40", "1800.00", private_use="150.00"))
    ww = [period(span, "0", "1980.22") for span in months(date(2026, 1, 1), 3)]
    return citizen(
        [
            relation(
                "Stichting Zorggroep Lindehof Noord- en Oost-Nederland voor Ouderenzorg, Wijkverpleging en "
                "Thuiszorg",
                "123456782L01",
                care,
            ),
            relation("Softwarehuis Lumen B.V.", "200000019L01", car, contract=None, laws=["WW", "ZW"]),
            relation("WW-Uitkering van UWV", "810220350L02", ww, kind="benefit", laws=["ZW"], contract=None),
        ],
        name=PersonName(given_names="Şükrü Jan", prefix="van der", surname="Yılmaz"),
    )


def four_weekly_with_corrections() -> Citizen:
    spans = four_weeks(2025)
    periods = [period(spans[0], "47", "784.90"), period(spans[0], "0", "-12.50")]
    periods += [period(span, "62.5", "1043.75") for span in spans[1:]]
    periods += [period(span, "58", "968.60") for span in four_weeks(2026)[:10]]
    return citizen(
        [relation("Supermarkt Vandaag B.V.", "300000017L01", periods, contract=ON_CALL)],
        name=PersonName(given_names="Fatima", prefix="el", surname="Amrani"),
        gender="vrouw",
        birth=FuzzyDate(year=1996, month=8),
    )


def municipality_benefit_and_job() -> Citizen:
    bijstand = [period(span, "0", "1560.00") for span in months(date(2026, 1, 1), 10)]
    job = [period(span, "16", "450.00") for span in months(date(2026, 6, 1), 5)]
    return citizen(
        [
            relation("Gemeente Zwolle", "300000005L01", bijstand, kind="benefit", laws=[], contract=None),
            relation(
                "Gemeente Zwolle",
                "300000005L02",
                job,
                contract="publiekrechtelijke aanstelling voor onbepaalde tijd",
            ),
            relation(
                "Toeslag bij Uitkering (TW) van UWV",
                "810220350L04",
                [],
                kind="benefit",
                laws=[],
                contract=None,
            ),
        ],
        gender="onbekend",
        birth=FuzzyDate(year=1970),
    )


def no_income() -> Citizen:
    return citizen([], name=PersonName(initials="T.", surname="Visser"), gender="vrouw", birth=FuzzyDate())


HAND_BUILT = {
    "long-history-with-car": long_history_with_car,
    "four-weekly-with-corrections": four_weekly_with_corrections,
    "municipality-benefit-and-job": municipality_benefit_and_job,
    "no-income": no_income,
}
