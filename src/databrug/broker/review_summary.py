"""The review a person reads: the collected records in the seed's four groups, per person, one line per
employer, tax year, scheme or possession, each with the source it came from. Language-free: the web layer
puts the lines into words and numbers (``web/review_format.py``)."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date, timedelta
from decimal import ROUND_HALF_UP, Decimal
from typing import Literal

from databrug.records import (
    Allowance,
    BankBalance,
    Home,
    IncomeRelation,
    Mortgage,
    PensionScheme,
    Person,
    Record,
    Role,
    SourceEntry,
    SourceName,
    StatePension,
    Subject,
    SurvivorPension,
    TaxYear,
    Vehicle,
    WagePeriod,
    WozValue,
)

GroupKey = Literal["personen", "inkomens", "pensioenen", "bezittingen"]
GROUP_ORDER: tuple[GroupKey, ...] = ("personen", "inkomens", "pensioenen", "bezittingen")
LineKind = Literal[
    "person",
    "income",
    "tax_year",
    "allowance",
    "state_pension",
    "pension",
    "survivor_pension",
    "home",
    "mortgage",
    "vehicle",
    "balance",
]
RECENT_PERIODS = 6
_AVERAGE_OVER = timedelta(days=365)
_DAYS_PER_MONTH = Decimal("30.4375")  # 365.25 / 12: four-weekly and monthly periods averaged alike


@dataclass(frozen=True)
class WageSummary:
    """An employer's or benefit's wage periods in brief: from when to when, the average month over the
    last year of periods, and the latest periods themselves (newest first)."""

    first_day: date
    last_day: date
    monthly_wage: Decimal
    monthly_hours: Decimal
    recent: tuple[WagePeriod, ...]


@dataclass(frozen=True)
class ReviewLine:
    kind: LineKind
    record: Record
    source: SourceName | None
    wages: WageSummary | None = None
    woz: WozValue | None = None  # a home's latest WOZ value
    earlier: tuple[Mortgage, ...] = ()  # the same lender's earlier years, newest first

    @property
    def records(self) -> int:
        return 1 + len(self.earlier)


@dataclass(frozen=True)
class PersonLines:
    role: Role
    lines: tuple[ReviewLine, ...]


@dataclass(frozen=True)
class ReviewGroup:
    key: GroupKey
    count: int
    people: tuple[PersonLines, ...]


def wage_summary(periods: list[WagePeriod]) -> WageSummary | None:
    if not periods:
        return None
    ordered = sorted(periods, key=lambda period: (period.end, period.start))
    last_day = ordered[-1].end
    window = [period for period in ordered if period.end > last_day - _AVERAGE_OVER]
    days = sum((period.end - period.start).days + 1 for period in window)
    per_day_wage = sum((period.sv_wage for period in window), Decimal(0)) / days
    per_day_hours = sum((period.hours for period in window), Decimal(0)) / days
    return WageSummary(
        first_day=min(period.start for period in ordered),
        last_day=last_day,
        monthly_wage=(per_day_wage * _DAYS_PER_MONTH).quantize(Decimal("0.01"), ROUND_HALF_UP),
        monthly_hours=(per_day_hours * _DAYS_PER_MONTH).quantize(Decimal(1), ROUND_HALF_UP),
        recent=tuple(reversed(ordered[-RECENT_PERIODS:])),
    )


def latest_woz(home: Home) -> WozValue | None:
    return max(home.woz_values, key=lambda woz: woz.reference_date, default=None)


def _lines(subject: Subject, sources: dict[str, SourceName]) -> dict[GroupKey, list[ReviewLine]]:
    def line(
        kind: LineKind,
        record: Record,
        wages: WageSummary | None = None,
        woz: WozValue | None = None,
        earlier: tuple[Mortgage, ...] = (),
    ) -> ReviewLine:
        ref = getattr(record, "source_ref", None)
        return ReviewLine(
            kind, record, sources.get(ref) if isinstance(ref, str) else None, wages, woz, earlier
        )

    incomes, pensions, assets = subject.incomes, subject.pensions, subject.assets
    people: list[Person] = [subject.person] if subject.person else []
    state: list[StatePension] = [pensions.state_pension] if pensions.state_pension else []
    relations: list[IncomeRelation] = incomes.relations
    tax_years: list[TaxYear] = sorted(incomes.tax_years, key=lambda year: year.year, reverse=True)
    allowances: list[Allowance] = sorted(incomes.allowances, key=lambda a: (-a.year, a.kind))
    schemes: list[PensionScheme] = pensions.schemes
    survivors: list[SurvivorPension] = pensions.survivor_pensions
    homes: list[Home] = assets.homes
    by_lender: dict[str, list[Mortgage]] = {}
    for mortgage in sorted(assets.mortgages, key=lambda m: m.year, reverse=True):
        by_lender.setdefault(mortgage.lender, []).append(mortgage)
    vehicles: list[Vehicle] = assets.vehicles
    balances: list[BankBalance] = assets.bank_balances
    return {
        "personen": [line("person", person) for person in people],
        "inkomens": [
            *(line("income", r, wages=wage_summary(r.periods)) for r in relations),
            *(line("tax_year", year) for year in tax_years),
            *(line("allowance", allowance) for allowance in allowances),
        ],
        "pensioenen": [
            *(line("state_pension", aow) for aow in state),
            *(line("pension", scheme) for scheme in schemes),
            *(line("survivor_pension", survivor) for survivor in survivors),
        ],
        "bezittingen": [
            *(line("home", home, woz=latest_woz(home)) for home in homes),
            *(line("mortgage", years[0], earlier=tuple(years[1:])) for years in by_lender.values()),
            *(line("vehicle", vehicle) for vehicle in vehicles),
            *(line("balance", balance) for balance in balances),
        ],
    }


def review_groups(people: list[tuple[Subject, list[SourceEntry]]]) -> list[ReviewGroup]:
    """The four groups in the seed's order, each with its count of records (as the receipt counts them) and,
    per person, its lines: one per record, except a mortgage's years, which share their lender's line."""
    per_person = [
        (subject.role, _lines(subject, {entry.id: entry.source for entry in entries}))
        for subject, entries in people
    ]
    groups = []
    for key in GROUP_ORDER:
        sections = tuple(PersonLines(role, tuple(lines[key])) for role, lines in per_person if lines[key])
        count = sum(line.records for section in sections for line in section.lines)
        groups.append(ReviewGroup(key, count, sections))
    return groups
