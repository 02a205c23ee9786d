"""Payroll period calendars (tijdvakken) as they appear in the UWV verzekeringsbericht.

Monthly: the 1st to the last day of each calendar month. Four-weekly: 13 periods a year of four ISO weeks
each; period 1 starts on 1 January (cut) and ends on the Sunday of ISO week 4, period 13 runs from the
Monday of ISO week 49 to 31 December (cut). So periods never cross a year boundary.
"""

from __future__ import annotations

import calendar
from datetime import date, timedelta
from functools import cache
from typing import Literal

PayFrequency = Literal["monthly", "four_weekly"]

Period = tuple[date, date]


@cache
def monthly_periods(year: int) -> tuple[Period, ...]:
    return tuple((date(year, m, 1), date(year, m, calendar.monthrange(year, m)[1])) for m in range(1, 13))


@cache
def four_weekly_periods(year: int) -> tuple[Period, ...]:
    starts = [date(year, 1, 1)] + [date.fromisocalendar(year, 4 * k + 1, 1) for k in range(1, 13)]
    ends = [start - timedelta(days=1) for start in starts[1:]] + [date(year, 12, 31)]
    return tuple(zip(starts, ends, strict=True))


def periods_between(frequency: PayFrequency, first: date, last: date) -> list[Period]:
    """All periods of the calendar that overlap [first, last], uncut."""
    make = monthly_periods if frequency == "monthly" else four_weekly_periods
    return [
        period
        for year in range(first.year, last.year + 1)
        for period in make(year)
        if period[1] >= first and period[0] <= last
    ]


def periods_per_year(frequency: PayFrequency) -> int:
    return 12 if frequency == "monthly" else 13
