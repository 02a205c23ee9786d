"""Golden outcomes: every catalogue persona's outcome and reason codes under three parameter sets, checked
against ``golden/outcomes.json``. A change to the rule fails here until the golden file is regenerated
(``python -m tests.unit.eligibility.golden_outcomes``) and the diff reviewed, with a new ``RULE_VERSION``."""

from __future__ import annotations

import json

from tests.unit.eligibility.golden_outcomes import GOLDEN, PARAMETER_SETS, persona_outcomes

from databrug.eligibility import RULE_ID, RULE_VERSION
from databrug_sandbox.personas.catalogue import CATALOGUE


def test_the_golden_file_covers_every_persona_and_parameter_set() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert set(golden["personas"]) == set(CATALOGUE)
    for outcomes in golden["personas"].values():
        assert set(outcomes) == set(PARAMETER_SETS)
    assert {o["outcome"] for p in golden["personas"].values() for o in p.values()} >= {"grant", "reject"}


def test_every_persona_still_gets_its_golden_outcome() -> None:
    golden = json.loads(GOLDEN.read_text(encoding="utf-8"))
    assert golden["rule"] == {"id": RULE_ID, "version": RULE_VERSION}
    now = persona_outcomes()
    assert now["parameter_sets"] == golden["parameter_sets"]
    for key, expected in golden["personas"].items():
        assert now["personas"][key] == expected, key
