"""The key-fact definitions docs/personas.md promises, on hand-built income relations."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databrug.records import IncomeRelation, WagePeriod
from databrug_sandbox.personas.key_facts import is_four_weekly, relation_monthly_income
from databrug_sandbox.personas.model import SANDBOX_REF

REFERENCE = date(2026, 11, 1)


def _relation(periods: list[WagePeriod]) -> IncomeRelation:
    return IncomeRelation(
        source_ref=SANDBOX_REF,
        kind="employment",
        payer_name="Testbedrijf B.V.",
        payroll_tax_number="123456782L01",
        periods=periods,
    )


def _month(year: int, month: int, wage: str, car: str | None = None, own: str | None = None) -> WagePeriod:
    end = date(year, month + 1, 1).toordinal() - 1 if month < 12 else date(year, 12, 31).toordinal()
    return WagePeriod(
        start=date(year, month, 1),
        end=date.fromordinal(end),
        hours=Decimal(160),
        sv_wage=Decimal(wage),
        car_private_use_value=Decimal(car) if car else None,
        car_own_contribution=Decimal(own) if own else None,
    )


def test_mean_of_the_last_three_periods_without_the_car() -> None:
    relation = _relation(
        [
            _month(2026, 6, "9000.00"),  # older than the last three: ignored
            _month(2026, 7, "3000.00", car="800.00", own="100.00"),
            _month(2026, 8, "3300.00", car="800.00", own="100.00"),
            _month(2026, 9, "3600.00", car="800.00", own="100.00"),
        ]
    )
    # Cash wage = SV-wage - (car value - own contribution) = 2300, 2600, 2900 -> mean 2600.
    assert relation_monthly_income(relation, REFERENCE) == Decimal("2600")


def test_an_ended_relation_counts_nothing() -> None:
    relation = _relation([_month(2026, 1, "2500.00"), _month(2026, 2, "2500.00")])
    assert relation_monthly_income(relation, REFERENCE) == 0


def test_four_weekly_amounts_become_monthly() -> None:
    # Four ISO weeks each, Monday to Sunday (2026's periods 8 to 10).
    spans = [
        (date(2026, 7, 13), date(2026, 8, 9)),
        (date(2026, 8, 10), date(2026, 9, 6)),
        (date(2026, 9, 7), date(2026, 10, 4)),
    ]
    periods = [WagePeriod(start=s, end=e, hours=Decimal(152), sv_wage=Decimal("1200.00")) for s, e in spans]
    relation = _relation(periods)
    assert is_four_weekly(relation)
    assert relation_monthly_income(relation, REFERENCE) == Decimal("1300")


def test_february_is_not_a_four_weekly_period() -> None:
    relation = _relation([_month(2026, 1, "2000.00"), _month(2026, 2, "2000.00"), _month(2026, 3, "2000.00")])
    assert not is_four_weekly(relation)
