"""The review's model: the seed's four groups with counts, one line per record with its source, and an
employer's wage periods summed up (period, average month over the last year, the latest months)."""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from databrug.broker.review_summary import GROUP_ORDER, RECENT_PERIODS, review_groups, wage_summary
from databrug.records import (
    Assets,
    BankBalance,
    Home,
    IncomeRelation,
    Incomes,
    Pensions,
    PensionScheme,
    SourceEntry,
    SourceName,
    Subject,
    WagePeriod,
    WozValue,
)
from databrug.records.person import Address, Person, PersonName


def person(ref: str) -> Person:
    return Person(source_ref=ref, bsn="999993653", name=PersonName(surname="Jansen"))


def _entry(ref: str, source: SourceName) -> SourceEntry:
    return SourceEntry(
        id=ref,
        subject="applicant",
        source=source,
        document_type="brp-persoon",
        media_type="application/json",
        sha256="0" * 64,
        retrieved_at=datetime(2026, 11, 1, tzinfo=UTC),
        parser_version="1",
    )


def _month(year: int, month: int, wage: str, hours: str = "160") -> WagePeriod:
    end = date(year + month // 12, month % 12 + 1, 1).toordinal() - 1
    return WagePeriod(
        start=date(year, month, 1), end=date.fromordinal(end), hours=Decimal(hours), sv_wage=Decimal(wage)
    )


def test_wage_summary_averages_the_last_year_and_keeps_the_latest_months_newest_first() -> None:
    old = [_month(2024, m, "1000.00") for m in range(1, 13)]
    last_year = [_month(2025, m, "3000.00") for m in range(1, 13)]
    summary = wage_summary([*last_year, *old])
    assert summary is not None
    assert summary.first_day == date(2024, 1, 1)
    assert summary.last_day == date(2025, 12, 31)
    # only the last twelve months count, and a whole year of months averages to the month's wage
    assert abs(summary.monthly_wage - Decimal("3000.00")) <= Decimal("10")
    assert summary.monthly_hours == Decimal(160)
    assert [p.start for p in summary.recent] == [date(2025, m, 1) for m in range(12, 12 - RECENT_PERIODS, -1)]
    assert wage_summary([]) is None


def test_four_weekly_periods_average_to_a_month() -> None:
    periods = [
        WagePeriod(
            start=date.fromordinal(date(2025, 1, 1).toordinal() + 28 * n),
            end=date.fromordinal(date(2025, 1, 1).toordinal() + 28 * n + 27),
            hours=Decimal("152"),
            sv_wage=Decimal("2800.00"),
        )
        for n in range(13)
    ]
    summary = wage_summary(periods)
    assert summary is not None
    assert summary.monthly_wage == (Decimal("2800") / 28 * Decimal("30.4375")).quantize(Decimal("0.01"))


def test_groups_in_the_seeds_order_count_per_record_and_name_each_lines_source() -> None:
    applicant = Subject(
        role="applicant",
        person=person("src-brp"),
        incomes=Incomes(
            relations=[
                IncomeRelation(
                    source_ref="src-uwv",
                    kind="employment",
                    payer_name="A",
                    payroll_tax_number="810220350L02",
                    periods=[_month(2025, 1, "100.00")],
                ),
                IncomeRelation(
                    source_ref="src-uwv", kind="benefit", payer_name="B", payroll_tax_number="810220350L02"
                ),
            ]
        ),
        assets=Assets(
            homes=[
                Home(
                    source_ref="src-woz",
                    address=Address(street="Straat", house_number=1, city="Utrecht"),
                    relation="owner",
                    woz_values=[
                        WozValue(reference_date=date(2023, 1, 1), value=Decimal("300000.00")),
                        WozValue(reference_date=date(2024, 1, 1), value=Decimal("320000.00")),
                    ],
                )
            ],
            bank_balances=[
                BankBalance(
                    source_ref="src-unknown",
                    iban="NL91ABNA0417164300",
                    balance=Decimal("1.00"),
                    reference_date=date(2026, 1, 1),
                )
            ],
        ),
    )
    partner = Subject(
        role="partner",
        person=person("src-p"),
        pensions=Pensions(
            schemes=[PensionScheme(source_ref="src-mpo", provider="ABP", scheme_id="1", kind="guaranteed")]
        ),
    )
    entries = [_entry("src-brp", "mijnoverheid"), _entry("src-uwv", "uwv"), _entry("src-woz", "mijnoverheid")]
    groups = review_groups([(applicant, entries), (partner, [_entry("src-mpo", "mijnpensioenoverzicht")])])
    assert [g.key for g in groups] == list(GROUP_ORDER)
    assert {g.key: g.count for g in groups} == {
        "personen": 2,
        "inkomens": 2,
        "pensioenen": 1,
        "bezittingen": 2,
    }
    incomes = groups[1]
    assert [section.role for section in incomes.people] == ["applicant"]  # nobody without lines is listed
    employer, benefit = incomes.people[0].lines
    assert (employer.kind, employer.source) == ("income", "uwv")
    assert employer.wages is not None
    assert benefit.wages is None
    home, balance = groups[3].people[0].lines
    assert home.woz == WozValue(reference_date=date(2024, 1, 1), value=Decimal("320000.00"))
    assert balance.source is None  # a reference without an entry names no source rather than a wrong one
    assert groups[2].people[0].role == "partner"
    assert groups[2].people[0].lines[0].source == "mijnpensioenoverzicht"


@pytest.mark.parametrize("empty", [Subject(role="applicant")])
def test_a_person_without_data_makes_empty_groups(empty: Subject) -> None:
    groups = review_groups([(empty, [])])
    assert [(g.count, g.people) for g in groups] == [(0, ())] * 4
