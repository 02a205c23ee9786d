"""The income-limit method against limits municipalities published (reference/provider.md §2.2).

The published tables round the norm excluding holiday allowance to cents first (norm × 0.95), then apply
the percentage. Checked with the 1 July 2025 norms, for which Veendam (130% excl. VT) and Stimulansz (130%
incl. VT) published their limits, and with Westland's 2024 pair (incl./excl. VT).
"""

from __future__ import annotations

from dataclasses import replace
from decimal import Decimal

import pytest

from databrug.eligibility import RuleParameters, load_norms
from databrug.eligibility.advice import income_limit

JULY_2025 = {
    "alleenstaande": Decimal("1369.06"),
    "alleenstaande_ouder": Decimal("1369.06"),
    "gehuwden": Decimal("1955.80"),
    "alleenstaande_aow": Decimal("1530.21"),
    "alleenstaande_ouder_aow": Decimal("1530.21"),
    "gehuwden_aow": Decimal("2094.98"),
}
NORMS_JULY_2025 = replace(load_norms(2026), bijstandsnormen=JULY_2025)


@pytest.mark.parametrize(
    ("kind", "aow", "veendam_excl", "stimulansz_incl"),
    [
        ("alleenstaande", False, "1690.79", "1779.78"),
        ("gehuwden", False, "2415.41", "2542.54"),
        ("alleenstaande", True, "1889.81", "1989.27"),
        ("gehuwden", True, "2587.30", "2723.47"),
    ],
)
def test_published_130_percent_limits(kind: str, aow: bool, veendam_excl: str, stimulansz_incl: str) -> None:
    excl = RuleParameters(percentage=Decimal(130), includes_holiday_allowance=False)
    incl = RuleParameters(percentage=Decimal(130), includes_holiday_allowance=True)
    assert income_limit(NORMS_JULY_2025, excl, kind, aow)[2] == Decimal(veendam_excl)  # type: ignore[arg-type]
    assert income_limit(NORMS_JULY_2025, incl, kind, aow)[2] == Decimal(stimulansz_incl)  # type: ignore[arg-type]


def test_westland_2024_norm_excluding_holiday_allowance() -> None:
    norms = replace(load_norms(2026), bijstandsnormen={**JULY_2025, "alleenstaande": Decimal("1283.83")})
    _, applied, limit = income_limit(norms, RuleParameters(percentage=Decimal(100)), "alleenstaande", False)
    assert applied == Decimal("1219.64")
    assert limit == Decimal("1219.64")


def test_2026_table_values() -> None:
    # reference/provider.md §2.2, 1-1-2026: 120% excl. VT and 110% incl. VT columns
    norms = load_norms(2026)
    cases = [
        (RuleParameters(percentage=Decimal(120)), "gehuwden", True, "2444.34"),
        (
            RuleParameters(percentage=Decimal(110), includes_holiday_allowance=True),
            "gehuwden",
            False,
            "2202.34",
        ),
        (
            RuleParameters(percentage=Decimal(150), includes_holiday_allowance=True),
            "alleenstaande",
            True,
            "2347.04",
        ),
    ]
    for settings, kind, aow, expected in cases:
        assert income_limit(norms, settings, kind, aow)[2] == Decimal(expected)  # type: ignore[arg-type]
