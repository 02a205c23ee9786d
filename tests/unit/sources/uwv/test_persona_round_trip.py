"""Every persona's income relations survive the trip through the sandbox verzekeringsbericht and back."""

from __future__ import annotations

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.records import strip_refs

from databrug.records import UWV_BENEFIT_PAYROLL_NUMBERS
from databrug.sources.parsing import ParseContext
from databrug.sources.uwv.parser_verzekeringsbericht import PARSER
from databrug_sandbox.documents.uwv import render_verzekeringsbericht
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.model import Citizen, Household


def catalogue_citizens() -> list[tuple[str, Household, Citizen]]:
    return [
        (f"{key}-{citizen.facts.role}", household, citizen)
        for key, household in CATALOGUE.items()
        for citizen in household.citizens()
    ]


def assert_round_trip(household: Household, citizen: Citizen) -> None:
    data = render_verzekeringsbericht(citizen, reference_date=household.reference_date)
    parsed = PARSER.parse(data, ParseContext(subject=citizen.facts.role))
    # The verzekeringsbericht carries the income relations only (tax years and allowances come elsewhere).
    assert strip_refs(parsed.subject.incomes)["relations"] == strip_refs(citizen.facts.incomes)["relations"]
    assert parsed.entry.subject == citizen.facts.role


@pytest.mark.parametrize(
    ("household", "citizen"),
    [(h, c) for _, h, c in catalogue_citizens()],
    ids=[name for name, _, _ in catalogue_citizens()],
)
def test_catalogue_persona_round_trip(household: Household, citizen: Citizen) -> None:
    assert_round_trip(household, citizen)


def test_catalogue_exercises_the_verzekeringsbericht() -> None:
    relations = [r for _, _, c in catalogue_citizens() for r in c.facts.incomes.relations]
    periods = [p for r in relations for p in r.periods]
    assert any(r.payroll_tax_number in UWV_BENEFIT_PAYROLL_NUMBERS for r in relations)
    assert any(
        r.kind == "benefit" and r.payroll_tax_number not in UWV_BENEFIT_PAYROLL_NUMBERS for r in relations
    )
    assert any(p.car_private_use_value is not None for p in periods)
    assert any((p.end - p.start).days == 27 for p in periods)  # four-weekly
    assert any(len(r.periods) > 25 for r in relations)  # a block that crosses a page break


@settings(max_examples=20, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_household_round_trip(seed: int) -> None:
    household = generate_household(seed)
    for citizen in household.citizens():
        assert_round_trip(household, citizen)
