"""Every catalogue persona's advice under two municipality settings, with the numbers worked out by hand.

Inputs are the key facts in docs/personas.md (gross €/month per person, children at home, WOZ, mortgage,
bank balances); the nets were computed by hand with the 2026 rules (see test_tax.py for the formulas):
annual = monthly × 12, bracket tax 35.75% (17.85% at AOW age) up to 38,883 then 37.56%, minus the
algemene heffingskorting (3,115 − 6.398% above 29,736; AOW 1,556 − 3.195%), the arbeidskorting on labour
income, and the ouderenkorting (2,067) at AOW age; net = (annual − tax) / 12.

Setting A: 120% of the norm excluding holiday allowance, asset test on, home equity above 67,500 counted.
Setting B: 130% of the norm including holiday allowance, no asset test.
Limits (norm × 0.95 rounded, then × %): A single 1,331.43 × 1.2 = 1,597.72; A couple 1,902.02 × 1.2 =
2,282.42; A AOW couple 2,036.95 × 1.2 = 2,444.34. B single 1,401.50 × 1.3 = 1,821.95; B couple 2,002.13 ×
1.3 = 2,602.77; B AOW couple 2,144.16 × 1.3 = 2,787.41.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import date
from decimal import Decimal

import pytest
from tests.support.provider_packages import package_for

from databrug.eligibility import Declaration, RuleParameters, assess
from databrug_sandbox.personas.catalogue import CATALOGUE

A = RuleParameters(
    percentage=Decimal(120),
    includes_holiday_allowance=False,
    asset_test=True,
    home_equity_rule="above_exemption",
)
B = RuleParameters(percentage=Decimal(130), includes_holiday_allowance=True, asset_test=False)
REFERENCE = date(2026, 11, 1)


@dataclass(frozen=True)
class Expected:
    kind: str
    aow: bool
    gross: tuple[str, ...]
    net: tuple[str, ...]
    limit_a: str
    limit_b: str
    assets_a: str
    asset_limit: str
    outcome_a: str
    outcome_b: str


EXPECTED: dict[str, Expected] = {
    # 2,539.35 × 12 = 30,472.20; tax 10,893.81; AHK 3,067.90; AK 5,390.23 → due 2,435.68 → 2,336.38
    "single-renter-low-wage": Expected(
        "alleenstaande",
        False,
        ("2539.35",),
        ("2336.38",),
        "1597.72",
        "1821.95",
        "4842.06",
        "8000",
        "reject",
        "reject",
    ),
    # assets A: 36,483.20 + (81,445.30 − 67,500) = 50,428.50
    "couple-both-employed": Expected(
        "gehuwden",
        False,
        ("4018.00", "2001.73"),
        ("3188.06", "1940.23"),
        "2282.42",
        "2602.77",
        "50428.50",
        "16000",
        "reject",
        "reject",
    ),
    # bijstand (no labour credit): 18,720 × 35.75% = 6,692.40 − AHK 3,115 → due 3,577.40 → 1,261.88
    "single-parent-benefit": Expected(
        "alleenstaande_ouder",
        False,
        ("1560.00",),
        ("1261.88",),
        "1597.72",
        "1821.95",
        "119.72",
        "16000",
        "grant",
        "grant",
    ),
    # 32,067 × 17.85% = 5,723.96 − AHK 1,481.52 − OK 2,067 → due 2,175.44 → 2,490.96;
    # assets A: 33,278.69 + (304,000 − 67,500) = 269,778.69
    "retired-couple-many-pensions": Expected(
        "gehuwden",
        True,
        ("2672.25", "1882.66"),
        ("2490.96", "1848.52"),
        "2444.34",
        "2787.41",
        "269778.69",
        "16000",
        "reject",
        "reject",
    ),
    "self-employed": Expected(
        "alleenstaande",
        False,
        ("3296.00",),
        ("2787.86",),
        "1597.72",
        "1821.95",
        "31995.57",
        "8000",
        "reject",
        "reject",
    ),
    # four-weekly: mean(1,680.68; 3,048.02; 2,649.21) × 13/12 = 2,664.25
    "job-change-four-weekly": Expected(
        "alleenstaande",
        False,
        ("2664.25",),
        ("2411.07",),
        "1597.72",
        "1821.95",
        "4199.05",
        "8000",
        "reject",
        "reject",
    ),
    # the car's private-use value (815.83) is not cash: 7,833.83 − 815.83 = 7,018.00;
    # equity 36,397.90 < 67,500
    "company-car": Expected(
        "gehuwden",
        False,
        ("7018.00", "2777.00"),
        ("4647.29", "2478.50"),
        "2282.42",
        "2602.77",
        "10577.28",
        "16000",
        "reject",
        "reject",
    ),
    # the ended job does not count, the WW does: 20,235.60 × 35.75% = 7,234.23 − 3,115 → 1,343.03
    "ww-benefit": Expected(
        "alleenstaande",
        False,
        ("1686.30",),
        ("1343.03",),
        "1597.72",
        "1821.95",
        "2070.69",
        "8000",
        "grant",
        "grant",
    ),
    # assets A: 6,482.52 + (705,741.33 − 67,500) = 644,723.85
    "homeowner-equity-over-limit": Expected(
        "alleenstaande",
        False,
        ("1984.05",),
        ("1923.38",),
        "1597.72",
        "1821.95",
        "644723.85",
        "8000",
        "reject",
        "reject",
    ),
    "no-sms-check": Expected(
        "alleenstaande",
        False,
        ("2583.86",),
        ("2362.99",),
        "1597.72",
        "1821.95",
        "2069.15",
        "8000",
        "reject",
        "reject",
    ),
    # partner: WGA 1,023.05 (no labour credit) + wage mean 1,637.14 (labour) = 2,660.19
    "couple-partner-no-sms": Expected(
        "gehuwden",
        False,
        ("1518.17", "2660.19"),
        ("1479.59", "2238.57"),
        "2282.42",
        "2602.77",
        "6891.34",
        "16000",
        "reject",
        "reject",
    ),
    "divorced": Expected(
        "alleenstaande_ouder",
        False,
        ("3469.00",),
        ("2888.19",),
        "1597.72",
        "1821.95",
        "3421.01",
        "16000",
        "reject",
        "reject",
    ),
    # assets A: 9,267.96 + (195,271.34 − 67,500) = 137,039.30
    "registered-partners": Expected(
        "gehuwden",
        False,
        ("4400.00", "0.00"),
        ("3377.27", "0.00"),
        "2282.42",
        "2602.77",
        "137039.30",
        "16000",
        "reject",
        "reject",
    ),
    # 20,284.20 × 35.75% = 7,251.60 − AHK 3,115 − AK (996 + 31.009% × 8,319.20 = 3,575.69) → 1,643.61:
    # above A's 1,597.72, below B's 1,821.95 — the two settings disagree
    "young-on-call-worker": Expected(
        "alleenstaande",
        False,
        ("1690.35",),
        ("1643.61",),
        "1597.72",
        "1821.95",
        "453.55",
        "8000",
        "reject",
        "grant",
    ),
}


def test_every_catalogue_persona_has_an_expectation() -> None:
    assert set(EXPECTED) == set(CATALOGUE)


@pytest.mark.parametrize("key", sorted(EXPECTED))
def test_persona_advice_under_two_settings(key: str) -> None:
    household = CATALOGUE[key]
    expected = EXPECTED[key]
    package = package_for(household)
    children = household.key_facts["children_at_home"]
    declaration = Declaration(partner=household.partner is not None, children=children)

    advice_a = assess(package, declaration, A, REFERENCE)
    advice_b = assess(package, declaration, B, REFERENCE)

    for advice in (advice_a, advice_b):
        assert advice.household.kind == expected.kind
        assert advice.household.aow is expected.aow
        assert tuple(str(p.gross_monthly) for p in advice.persons) == expected.gross
        assert tuple(str(p.net.net_monthly) for p in advice.persons) == expected.net
        assert advice.income_test.household_net_monthly == sum(Decimal(n) for n in expected.net)
    assert advice_a.income_test.limit == Decimal(expected.limit_a)
    assert advice_b.income_test.limit == Decimal(expected.limit_b)
    assert advice_a.asset_test.total_counted == Decimal(expected.assets_a)
    assert advice_a.asset_test.limit == Decimal(expected.asset_limit)
    assert advice_a.outcome == expected.outcome_a
    assert advice_b.outcome == expected.outcome_b


def test_allowances_are_listed_but_never_counted() -> None:
    advice = assess(
        package_for(CATALOGUE["single-parent-benefit"]), Declaration(partner=False, children=2), A, REFERENCE
    )
    allowances = [i for i in advice.persons[0].items if i.category == "allowance"]
    assert {i.label for i in allowances} == {"huurtoeslag", "kindgebonden_budget", "zorgtoeslag"}
    assert not any(i.counted for i in allowances)
    assert advice.persons[0].gross_monthly == Decimal("1560.00")


def test_main_residence_exempt_setting_lets_assets_pass() -> None:
    exempt = A.model_copy(update={"home_equity_rule": "exempt"})
    advice = assess(
        package_for(CATALOGUE["homeowner-equity-over-limit"]),
        Declaration(partner=False, children=0),
        exempt,
        REFERENCE,
    )
    assert advice.asset_test.total_counted == Decimal("6482.52")
    assert advice.asset_test.passed
    assert [r.code for r in advice.reasons] == ["income_too_high"]


def test_declared_partner_not_delivered_means_investigate() -> None:
    package = package_for(CATALOGUE["couple-partner-no-sms"], with_partner=False)
    advice = assess(package, Declaration(partner=True, children=1), B, REFERENCE)
    assert advice.outcome == "investigate"
    assert advice.reasons[0].code == "partner_declared_not_delivered"


def test_brp_partner_not_declared_nor_delivered_means_investigate() -> None:
    package = package_for(CATALOGUE["couple-both-employed"], with_partner=False)
    advice = assess(package, Declaration(partner=False, children=2), B, REFERENCE)
    assert advice.outcome == "investigate"
    assert "partner_in_brp_not_delivered" in [r.code for r in advice.reasons]


def test_income_source_ended_without_current_income_means_investigate() -> None:
    # three months later the WW relation's last period (October) is more than 62 days old too
    package = package_for(CATALOGUE["ww-benefit"])
    advice = assess(package, Declaration(partner=False, children=0), B, date(2027, 2, 1))
    assert advice.outcome == "investigate"
    assert "income_ended_no_current_income" in [r.code for r in advice.reasons]


def test_declared_children_differing_from_brp_means_investigate() -> None:
    package = package_for(CATALOGUE["single-renter-low-wage"])
    advice = assess(package, Declaration(partner=False, children=2), B, REFERENCE)
    assert advice.outcome == "investigate"
    assert advice.reasons[0].code == "children_differ"
    assert advice.household.kind == "alleenstaande_ouder"


def test_advice_round_trips_as_json_for_storage() -> None:
    advice = assess(
        package_for(CATALOGUE["retired-couple-many-pensions"]),
        Declaration(partner=True, children=0),
        A,
        REFERENCE,
    )
    again = type(advice).model_validate_json(advice.model_dump_json())
    assert again == advice


def test_past_aow_age_without_payments_in_the_uwv_data_counts_projected_pensions() -> None:
    # The retired applicant's UWV payments mirror his Mijnpensioenoverzicht amounts: AOW together
    # 13,600 / 12 = 1,133.33 plus twelve schemes (1,161 … 819 a year, 18,467 in all; per scheme / 12 in
    # cents: 96.75 + 187.75 + 29.58 + 171.00 + 163.58 + 134.67 + 203.17 + 174.75 + 209.75 + 45.92 + 53.75 +
    # 68.25 = 1,538.92) = 2,672.25 — the same gross as when they are read from the UWV data.
    household = CATALOGUE["retired-couple-many-pensions"]
    package = package_for(household)
    applicant = package.subjects[0]
    without_uwv = applicant.model_copy(
        update={"incomes": applicant.incomes.model_copy(update={"relations": []})}
    )
    package = package.model_copy(update={"subjects": [without_uwv, package.subjects[1]]})
    advice = assess(package, Declaration(partner=True, children=0), B, REFERENCE)
    person = advice.persons[0]
    assert person.gross_monthly == Decimal("2672.25")
    assert all(i.projected for i in person.items if i.counted)
    assert {i.category for i in person.items if i.counted} == {"state_pension", "pension"}
    assert advice.persons[1].gross_monthly == Decimal("1882.66")  # the partner still from UWV
