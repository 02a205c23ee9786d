"""The 2026 wage-tax estimate against the published figures (bracket bounds, credit maxima and end points)."""

from __future__ import annotations

from decimal import Decimal

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databrug.eligibility.norms import load_norms
from databrug.eligibility.tax import (
    bracket_tax,
    elderly_credit,
    estimate_net,
    general_credit,
    labour_credit,
)

RULES = load_norms(2026).tax


@pytest.mark.parametrize(
    ("income", "aow", "expected"),
    [
        ("38883", False, "13900.67"),  # 38,883 × 35.75%
        ("38883", True, "6940.62"),  # 38,883 × 17.85%
        ("78426", False, "28753.02"),  # 13,900.67 + 39,543 × 37.56% (14,852.35)
        ("100000", False, "39432.15"),  # + 21,574 × 49.50% (10,679.13)
        ("0", False, "0.00"),
    ],
)
def test_bracket_tax(income: str, aow: bool, expected: str) -> None:
    assert bracket_tax(Decimal(income), RULES, aow) == Decimal(expected)


@pytest.mark.parametrize(
    ("labour", "aow", "expected"),
    [
        ("11965", False, "996.00"),  # published knik: 996 (8.324% × 11,965 = 995.97 just below)
        ("11964", False, "995.88"),
        ("25845", False, "5300.00"),  # published knik: 5,300
        ("45592", False, "5685.00"),  # published maximum: 5,685
        ("132920", False, "0.00"),  # published: nihil from 132,920
        ("45592", True, "2840.00"),  # AOW maximum: 2,840
        ("0", False, "0.00"),
    ],
)
def test_labour_credit(labour: str, aow: bool, expected: str) -> None:
    assert labour_credit(Decimal(labour), RULES, aow) == Decimal(expected)


@pytest.mark.parametrize(
    ("income", "aow", "expected"),
    [
        ("20000", False, "3115.00"),  # maximum below 29,736
        ("29736", False, "3115.00"),
        ("78426", False, "0.00"),  # published: nihil from 78,426 (3,115 − 6.398% × 48,690 < 0)
        ("20000", True, "1556.00"),  # AOW maximum
    ],
)
def test_general_credit(income: str, aow: bool, expected: str) -> None:
    assert general_credit(Decimal(income), RULES, aow) == Decimal(expected)


def test_elderly_credit_only_at_aow_age_and_phased_out_at_59782() -> None:
    assert elderly_credit(Decimal(30000), RULES, aow=False) == 0
    assert elderly_credit(Decimal(30000), RULES, aow=True) == Decimal(2067)
    assert elderly_credit(Decimal(59782), RULES, aow=True) == 0  # published end point


def test_low_income_pays_no_tax() -> None:
    # 1,000/month of wages: tax 12,000 × 35.75% = 4,290 − AHK 3,115 − AK (996 + 31.009% × 35 = 1,006.85)
    # → due 168.15 → net (12,000 − 168.15) / 12 = 985.99
    estimate = estimate_net(Decimal(1000), Decimal(1000), RULES, aow=False)
    assert estimate.tax_due == Decimal("168.15")
    assert estimate.net_monthly == Decimal("985.99")
    none = estimate_net(Decimal(500), Decimal(500), RULES, aow=False)
    assert none.tax_due == 0
    assert none.net_monthly == Decimal("500.00")


@settings(max_examples=150, deadline=None)
@given(
    low=st.decimals(min_value=0, max_value=20000, places=2),
    step=st.decimals(min_value=Decimal("0.01"), max_value=5000, places=2),
    aow=st.booleans(),
)
def test_more_gross_never_gives_less_net(low: Decimal, step: Decimal, aow: bool) -> None:
    # the steepest combined marginal rate (49.5% + 6.51% + 6.398%) stays below 100%
    lower = estimate_net(low, low, RULES, aow)
    higher = estimate_net(low + step, low + step, RULES, aow)
    assert higher.net_monthly >= lower.net_monthly
    assert Decimal(0) <= lower.net_monthly <= low
