"""What the dossier page shows, built from a decrypted package: provenance lookups and the income chart."""

from __future__ import annotations

from collections import defaultdict
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from html import escape

from databrug.records import DataPackage, SourceEntry, Subject, WagePeriod

CHART_MONTHS = 12


@dataclass(frozen=True)
class MonthTotal:
    month: str  # YYYY-MM
    amount: Decimal


def provenance(package: DataPackage) -> dict[str, SourceEntry]:
    return {entry.id: entry for entry in package.sources}


def _cash(period: WagePeriod) -> Decimal:
    car = (period.car_private_use_value or Decimal(0)) - (period.car_own_contribution or Decimal(0))
    return period.sv_wage - car


def monthly_income(subject: Subject, until: date, months: int = CHART_MONTHS) -> list[MonthTotal]:
    """Gross cash income per calendar month (by the month a period ends) over the reported periods."""
    totals: dict[str, Decimal] = defaultdict(Decimal)
    for relation in subject.incomes.relations:
        for period in relation.periods:
            totals[f"{period.end.year:04d}-{period.end.month:02d}"] += _cash(period)
    keys: list[str] = []
    year, month = until.year, until.month
    for _ in range(months):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return [MonthTotal(k, totals.get(k, Decimal(0))) for k in reversed(keys)]


def income_chart_svg(series: list[MonthTotal], label: str) -> str:
    """A small bar chart (SVG, decorative: the same numbers are in a table next to it)."""
    width, height, gap = 480, 140, 4
    top = max((m.amount for m in series), default=Decimal(0))
    scale = float(top) if top > 0 else 1.0
    bar = (width - gap * (len(series) + 1)) / max(len(series), 1)
    parts = [
        f'<svg class="chart" viewBox="0 0 {width} {height + 20}" role="img" aria-label="{escape(label)}"'
        ' xmlns="http://www.w3.org/2000/svg">'
    ]
    for index, item in enumerate(series):
        h = max(0.0, float(item.amount) / scale * height)
        x = gap + index * (bar + gap)
        parts.append(
            f'<rect x="{x:.1f}" y="{height - h:.1f}" width="{bar:.1f}" height="{h:.1f}" fill="#154273">'
            f"<title>{escape(item.month)}: {item.amount:.2f}</title></rect>"
        )
        parts.append(
            f'<text x="{x + bar / 2:.1f}" y="{height + 14}" font-size="10" text-anchor="middle">'
            f"{escape(item.month[5:])}</text>"
        )
    parts.append("</svg>")
    return "".join(parts)
