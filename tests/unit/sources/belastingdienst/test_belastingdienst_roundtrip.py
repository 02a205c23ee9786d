"""parse(render(citizen)) gives back exactly the citizen's Belastingdienst facts.

Hand-built citizens always; hypothesis-built facts for the four lists; the persona catalogue and generated
households once ``databrug_sandbox.personas`` offers ``CATALOGUE`` and ``generate_household``.
"""

from __future__ import annotations

from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.sources.belastingdienst import belastingdienst_citizens
from tests.unit.sources.belastingdienst.belastingdienst_citizens import belastingdienst_facts

from databrug.records import (
    Allowance,
    Assets,
    BankBalance,
    Incomes,
    Mortgage,
    Role,
    Subject,
    TaxYear,
    WageStatement,
)
from databrug.sources.belastingdienst import BELASTINGGEGEVENS_PARSER, TOESLAGEN_PARSER
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents.belastingdienst import render_belastinggegevens, render_toeslagen
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount

CONTEXT = ParseContext(retrieved_at=datetime(2026, 11, 1, 9, 0, tzinfo=UTC))


def parsed_facts(citizen: Citizen) -> dict[str, Any]:
    context = ParseContext(subject=citizen.facts.role, retrieved_at=CONTEXT.retrieved_at)
    via = BELASTINGGEGEVENS_PARSER.parse(render_belastinggegevens(citizen), context)
    toeslagen = TOESLAGEN_PARSER.parse(render_toeslagen(citizen), context)
    assert via.entry.status == "complete"
    assert via.subject.role == toeslagen.subject.role == citizen.facts.role
    assert via.subject.person is None
    assert toeslagen.subject.person is None
    assert via.subject.incomes.allowances == []
    assert toeslagen.subject.incomes.tax_years == []
    merged = Subject(
        role=citizen.facts.role,
        incomes=Incomes(
            tax_years=via.subject.incomes.tax_years, allowances=toeslagen.subject.incomes.allowances
        ),
        assets=Assets(bank_balances=via.subject.assets.bank_balances, mortgages=via.subject.assets.mortgages),
    )
    return belastingdienst_facts(merged)


@pytest.mark.parametrize("name", sorted(belastingdienst_citizens.ALL))
def test_hand_built_citizens_round_trip(name: str) -> None:
    citizen = belastingdienst_citizens.ALL[name]()
    assert parsed_facts(citizen) == belastingdienst_facts(citizen.facts)


def test_records_point_at_their_own_source_entries() -> None:
    citizen = belastingdienst_citizens.self_employed_homeowner()
    via = BELASTINGGEGEVENS_PARSER.parse(render_belastinggegevens(citizen), CONTEXT)
    toeslagen = TOESLAGEN_PARSER.parse(render_toeslagen(belastingdienst_citizens.single_renter()), CONTEXT)
    assert via.subject.source_refs() == {"src-applicant-belastinggegevens"} == {via.entry.id}
    assert toeslagen.subject.source_refs() == {"src-applicant-toeslagen"} == {toeslagen.entry.id}
    assert via.entry.media_type == "application/xml"
    assert toeslagen.entry.media_type == "application/json"


def test_rendering_is_deterministic() -> None:
    first, second = belastingdienst_citizens.single_renter(), belastingdienst_citizens.single_renter()
    assert render_belastinggegevens(first) == render_belastinggegevens(second)
    assert render_toeslagen(first) == render_toeslagen(second)


# ---------------------------------------------------------------- hypothesis-built facts

_YEARS = st.integers(min_value=2000, max_value=2100)
_CENTS = st.integers(min_value=-(10**11), max_value=10**11).map(lambda c: Decimal(c) / 100)
_WHOLE = st.integers(min_value=-(10**9), max_value=10**9).map(Decimal)
_AMOUNTS = st.one_of(_CENTS, _WHOLE)
_NON_NEGATIVE = _AMOUNTS.map(abs)
# Names with what XML must escape or encode: ampersands, angle brackets, quotes, accents.
_TEXT = st.text(alphabet="abXY09 &<>'\"ëØ.-", min_size=1, max_size=24).map(str.strip).filter(bool)
_IBANS = st.sampled_from(
    ["NL91ABNA0417164300", "NL44RABO0123456789", "NL20INGB0001234567", "DE89370400440532013000"]
)
_BSNS = st.sampled_from(["999900018", "999900031", None])
_LH_NUMBERS = st.sampled_from(["999993653L01", "999900043L02", None])


def _tax_year(year: int) -> st.SearchStrategy[TaxYear]:
    wage = st.builds(
        WageStatement, payer_name=_TEXT, payroll_tax_number=_LH_NUMBERS, wage=_AMOUNTS, withheld_tax=_AMOUNTS
    )
    return st.builds(
        TaxYear,
        source_ref=st.just(SANDBOX_REF),
        year=st.just(year),
        verzamelinkomen=_AMOUNTS,
        box1_income=_AMOUNTS,
        box2_income=st.none() | _AMOUNTS,
        box3_income=st.none() | _AMOUNTS,
        business_profit=st.none() | _AMOUNTS,
        wages=st.lists(wage, max_size=3),
        fiscal_partner_bsn=_BSNS,
    )


@st.composite
def _facts(draw: st.DrawFn) -> Subject:
    years = draw(st.lists(_YEARS, unique=True, max_size=4))
    tax_years = [draw(_tax_year(year)) for year in years]
    balances = draw(
        st.lists(
            st.builds(
                BankBalance,
                source_ref=st.just(SANDBOX_REF),
                iban=_IBANS,
                bank=st.none() | _TEXT,
                balance=_AMOUNTS,
                reference_date=st.dates(min_value=date(2000, 1, 1), max_value=date(2100, 12, 31)),
            ),
            max_size=4,
        )
    )
    mortgages = draw(
        st.lists(
            st.builds(
                Mortgage,
                source_ref=st.just(SANDBOX_REF),
                year=_YEARS,
                lender=_TEXT,
                debt_at_start_of_year=_NON_NEGATIVE,
                interest_paid=st.none() | _NON_NEGATIVE,
            ),
            max_size=3,
        )
    )
    allowances = draw(
        st.lists(
            st.builds(
                Allowance,
                source_ref=st.just(SANDBOX_REF),
                kind=st.sampled_from(
                    ["zorgtoeslag", "huurtoeslag", "kindgebonden_budget", "kinderopvangtoeslag"]
                ),
                year=_YEARS,
                monthly_amount=_NON_NEGATIVE,
                status=st.sampled_from(["voorschot", "definitief"]),
                assessment_income=st.none() | _AMOUNTS,
                monthly_rent=st.none() | _NON_NEGATIVE,
            ),
            max_size=4,
        )
    )
    role: Role = draw(st.sampled_from(["applicant", "partner"]))
    return Subject(
        role=role,
        incomes=Incomes(tax_years=tax_years, allowances=allowances),
        assets=Assets(bank_balances=balances, mortgages=mortgages),
    )


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(facts=_facts())
def test_any_facts_round_trip(facts: Subject) -> None:
    citizen = Citizen(digid=DigidAccount(username="x", password="y"), facts=facts)
    assert parsed_facts(citizen) == belastingdienst_facts(facts)


# ---------------------------------------------------------------- the persona catalogue and generator


def _personas() -> tuple[Any, Any]:
    """The catalogue and generator, wherever the personas package exports them; (None, None) before then."""
    try:
        from databrug_sandbox import personas

        exported = vars(personas)
        if "CATALOGUE" in exported and "generate_household" in exported:
            return exported["CATALOGUE"], exported["generate_household"]
        from databrug_sandbox.personas.catalogue import CATALOGUE  # type: ignore[import-not-found,unused-ignore]
        from databrug_sandbox.personas.generator import (  # type: ignore[import-not-found,unused-ignore]
            generate_household,
        )
    except ImportError:
        return None, None
    return CATALOGUE, generate_household


CATALOGUE, generate_household = _personas()

needs_personas = pytest.mark.skipif(CATALOGUE is None, reason="persona catalogue not available yet")


def _catalogue_citizens() -> list[tuple[str, Citizen]]:
    if CATALOGUE is None:
        return []
    households = CATALOGUE.values() if isinstance(CATALOGUE, dict) else CATALOGUE
    return [
        (f"{household.key}-{citizen.facts.role}", citizen)
        for household in households
        for citizen in household.citizens()
    ]


@needs_personas
@pytest.mark.parametrize(("key", "citizen"), _catalogue_citizens() or [("none", None)])
def test_catalogue_personas_round_trip(key: str, citizen: Citizen) -> None:
    assert parsed_facts(citizen) == belastingdienst_facts(citizen.facts), key


@needs_personas
@settings(max_examples=40, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(seed=st.integers(min_value=0, max_value=2**32 - 1))
def test_generated_personas_round_trip(seed: int) -> None:
    assert generate_household is not None
    for citizen in generate_household(seed).citizens():
        assert parsed_facts(citizen) == belastingdienst_facts(citizen.facts), seed
