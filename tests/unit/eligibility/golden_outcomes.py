"""Each catalogue persona's outcome and reason codes under the rule, for the golden file beside it.

Regenerate (only when the rule is meant to change, and review the diff as a rule change):
``.venv/bin/python -m tests.unit.eligibility.golden_outcomes``.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from pathlib import Path
from typing import Any

from tests.support.provider_packages import package_for

from databrug.eligibility import RULE_ID, RULE_VERSION, Declaration, RuleParameters, assess
from databrug_sandbox.personas.catalogue import CATALOGUE

GOLDEN = Path(__file__).with_name("golden") / "outcomes.json"
REFERENCE = date(2026, 11, 1)
PARAMETER_SETS: dict[str, RuleParameters] = {
    "default": RuleParameters(),
    "generous": RuleParameters(percentage=Decimal(130), includes_holiday_allowance=True, asset_test=False),
    "home_counted": RuleParameters(
        percentage=Decimal(150), home_equity_rule="counted", asset_limit_single=Decimal(5000)
    ),
}


def persona_outcomes() -> dict[str, Any]:
    outcomes: dict[str, Any] = {}
    for key, household in CATALOGUE.items():
        package = package_for(household)
        declaration = Declaration(
            partner=household.partner is not None, children=household.key_facts["children_at_home"]
        )
        per_set: dict[str, Any] = {}
        for name, parameters in PARAMETER_SETS.items():
            advice = assess(package, declaration, parameters, REFERENCE)
            per_set[name] = {
                "outcome": advice.outcome,
                "household_kind": advice.household.kind,
                "reasons": [r.model_dump(mode="json", exclude_none=True) for r in advice.reasons],
            }
        outcomes[key] = per_set
    return {
        "rule": {"id": RULE_ID, "version": RULE_VERSION},
        "reference_date": REFERENCE.isoformat(),
        "parameter_sets": {name: p.model_dump(mode="json") for name, p in PARAMETER_SETS.items()},
        "personas": outcomes,
    }


def render() -> str:
    return json.dumps(persona_outcomes(), indent=2, sort_keys=True, ensure_ascii=False) + "\n"


if __name__ == "__main__":
    GOLDEN.write_text(render(), encoding="utf-8")
    print(f"wrote {GOLDEN}")
