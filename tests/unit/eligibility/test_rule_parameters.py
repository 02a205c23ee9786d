"""The rule's parameters: bounded, closed (unknown names refused), shared by the broker's outcome and the demo
provider's municipality settings (which add only when to check)."""

from __future__ import annotations

from decimal import Decimal
from typing import Any

import pytest
from pydantic import ValidationError

from databrug.eligibility import DEFAULT_PARAMETERS, RULE_ID, RULE_VERSION, RuleParameters
from databrug.provider_demo.municipality_settings import DEFAULT_SETTINGS, MunicipalitySettings


def test_the_defaults_are_120_percent_excluding_holiday_allowance_with_the_asset_test() -> None:
    assert (RULE_ID, RULE_VERSION) == ("gemeentepolis-toets", "1.0")
    assert DEFAULT_PARAMETERS.percentage == Decimal(120)
    assert DEFAULT_PARAMETERS.includes_holiday_allowance is False
    assert DEFAULT_PARAMETERS.asset_test is True
    assert DEFAULT_PARAMETERS.home_equity_rule == "above_exemption"


@pytest.mark.parametrize(
    "hostile",
    [
        {"percentage": 99},
        {"percentage": 201},
        {"percentage": "NaN"},
        {"percentage": "1e9999"},
        {"asset_limit_single": -1},
        {"asset_limit_family": "-0.01"},
        {"home_equity_rule": "ignored"},
        {"check_timing": "before"},  # a provider setting, not a rule parameter
        {"includes_holiday_allowance": "perhaps"},
        {"x" * 10_000: 1},
    ],
)
def test_out_of_bounds_or_unknown_parameters_are_refused(hostile: dict[str, Any]) -> None:
    with pytest.raises(ValidationError):
        RuleParameters.model_validate(hostile)


def test_the_parameters_round_trip_as_json() -> None:
    chosen = RuleParameters(percentage=Decimal("137.5"), asset_limit_family=Decimal(12000), asset_test=False)
    assert RuleParameters.model_validate(chosen.model_dump(mode="json")) == chosen


def test_municipality_settings_are_rule_parameters_plus_the_check_timing() -> None:
    settings = MunicipalitySettings(percentage=Decimal(130), check_timing="after")
    assert isinstance(settings, RuleParameters)
    assert set(MunicipalitySettings.model_fields) - set(RuleParameters.model_fields) >= {"check_timing"}
    assert DEFAULT_SETTINGS.check_timing == "before"
    as_rule = RuleParameters.model_validate(
        settings.model_dump(mode="json", include=set(RuleParameters.model_fields))
    )
    assert as_rule.percentage == Decimal(130)
