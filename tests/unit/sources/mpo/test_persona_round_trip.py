"""Every persona's pensions survive the trip through the sandbox download and back, in XML and in JSON."""

from __future__ import annotations

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.unit.sources.mpo.round_trip import assert_exact_round_trip

from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.model import Citizen, Household


def catalogue_citizens() -> list[tuple[str, Citizen]]:
    return [
        (f"{key}-{citizen.facts.role}", citizen)
        for key, household in CATALOGUE.items()
        for citizen in household.citizens()
    ]


@pytest.mark.parametrize(("name", "citizen"), catalogue_citizens(), ids=[n for n, _ in catalogue_citizens()])
def test_catalogue_persona_round_trip(name: str, citizen: Citizen) -> None:
    assert_exact_round_trip(citizen)


def test_catalogue_has_pensions_worth_testing() -> None:
    citizens = [c for _, c in catalogue_citizens()]
    assert any(c.facts.pensions.state_pension for c in citizens)
    assert any(len(c.facts.pensions.schemes) >= 3 for c in citizens)


@settings(max_examples=40, deadline=None)
@given(st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_household_round_trip(seed: int) -> None:
    household: Household = generate_household(seed)
    for citizen in household.citizens():
        assert_exact_round_trip(citizen)
        xml = PARSER.parse(render_pensioenoverzicht(citizen, "xml"), ParseContext(subject=citizen.facts.role))
        assert xml.entry.subject == citizen.facts.role
