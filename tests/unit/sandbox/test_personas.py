"""Invariants every persona must hold: the named catalogue and hundreds of generated households."""

from __future__ import annotations

import itertools
import re
from collections import Counter
from datetime import date, timedelta
from decimal import Decimal

import pytest
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

from databrug.records import UWV_BENEFIT_PAYROLL_NUMBERS, Address, Subject
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.identifiers import GENERATED_BLOCKS
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, Household

GENERATED_COUNT = 500
CONTRACT_VALUES = {
    f"{written} arbeidsovereenkomst voor {term} tijd, {call}"
    for written in ("schriftelijke", "niet schriftelijke")
    for term in ("onbepaalde", "bepaalde")
    for call in ("geen oproepovereenkomst", "oproepovereenkomst")
} | {
    "publiekrechtelijke aanstelling voor onbepaalde tijd",
    "publiekrechtelijke aanstelling voor bepaalde tijd",
}


@pytest.fixture(scope="module")
def generated() -> list[Household]:
    assert GENERATED_COUNT <= GENERATED_BLOCKS
    return [generate_household(seed) for seed in range(GENERATED_COUNT)]


@pytest.fixture(scope="module")
def households(generated: list[Household]) -> list[Household]:
    return [*CATALOGUE.values(), *generated]


def _all_bsns(household: Household) -> list[str]:
    """Every BSN a household mentions: its people, their children and partners (current and former)."""
    found: set[str] = set()
    for citizen in household.citizens():
        person = citizen.facts.person
        assert person is not None
        found.add(person.bsn)
        found.update(r.bsn for r in [*person.children, *person.partners] if r.bsn)
    return sorted(found)


def _address_key(address: Address) -> tuple[object, ...]:
    return (
        address.street,
        address.house_number,
        address.house_letter,
        address.house_number_addition,
        address.postcode,
        address.city,
    )


def test_catalogue_has_at_least_twelve_named_cases() -> None:
    required = {
        "single-renter-low-wage",
        "couple-both-employed",
        "single-parent-benefit",
        "retired-couple-many-pensions",
        "self-employed",
        "job-change-four-weekly",
        "company-car",
        "ww-benefit",
        "homeowner-equity-over-limit",
        "no-sms-check",
        "couple-partner-no-sms",
        "divorced",
    }
    assert required <= set(CATALOGUE)
    assert all(household.key == key for key, household in CATALOGUE.items())


def test_every_record_points_at_the_sandbox_source(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            assert isinstance(citizen.facts, Subject)
            assert citizen.facts.source_refs() == {SANDBOX_REF}


def test_facts_survive_the_json_round_trip(households: list[Household]) -> None:
    # The records are built with validating constructors; the JSON round trip also proves the
    # serialised form (what renderers and the package carry) reads back to the same facts.
    for household in households[: len(CATALOGUE) + 100]:
        for citizen in household.citizens():
            again = Subject.model_validate_json(citizen.facts.model_dump_json())
            assert again == citizen.facts


def test_bsns_are_test_range_valid_and_never_shared(households: list[Household]) -> None:
    owners: Counter[str] = Counter()
    for household in households:
        for bsn in _all_bsns(household):
            assert bsn.startswith("9999")
            assert stdnum_bsn.is_valid(bsn)
            owners[bsn] += 1
    assert [bsn for bsn, count in owners.items() if count > 1] == []


def test_roles_and_logins(households: list[Household]) -> None:
    usernames: Counter[str] = Counter()
    for household in households:
        assert household.applicant.facts.role == "applicant"
        if household.partner is not None:
            assert household.partner.facts.role == "partner"
        assert (household.partner is None) == (household.partner_kind == "none")
        for citizen in household.citizens():
            usernames[citizen.digid.username] += 1
            assert len(citizen.digid.password) >= 8
    assert [name for name, count in usernames.items() if count > 1] == []


def test_generated_usernames_carry_the_seed(generated: list[Household]) -> None:
    for seed, household in enumerate(generated):
        assert household.seed == seed
        assert household.applicant.digid.username == f"gen-{seed}-a"
        if household.partner is not None:
            assert household.partner.digid.username == f"gen-{seed}-p"


def test_partner_links_point_both_ways_for_married_and_registered(households: list[Household]) -> None:
    for household in households:
        applicant = household.applicant.facts.person
        assert applicant is not None
        if household.partner is None:
            assert applicant.current_partner is None
            assert applicant.marital_status in ("ongehuwd", "gescheiden")
            continue
        partner = household.partner.facts.person
        assert partner is not None
        if household.partner_kind in ("gehuwd", "geregistreerd"):
            expected = "huwelijk" if household.partner_kind == "gehuwd" else "geregistreerd_partnerschap"
            for one, other in ((applicant, partner), (partner, applicant)):
                link = one.current_partner
                assert link is not None
                assert link.bsn == other.bsn
                assert link.kind == expected
                assert link.since is not None
                assert link.since.date is not None
                assert link.name == other.name
        else:
            # Cohabiting partners are not in the BRP: only the tax data shows the fiscal partner.
            assert applicant.current_partner is None
            assert partner.current_partner is None
            years = household.applicant.facts.incomes.tax_years + household.partner.facts.incomes.tax_years
            assert any(t.fiscal_partner_bsn in (applicant.bsn, partner.bsn) for t in years)


def test_children_are_shared_by_both_parents(households: list[Household]) -> None:
    for household in households:
        if household.partner is None or household.partner_kind == "none":
            continue
        a, p = household.applicant.facts.person, household.partner.facts.person
        assert a is not None
        assert p is not None
        assert [c.bsn for c in a.children] == [c.bsn for c in p.children]


def test_people_and_addresses(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            person = citizen.facts.person
            assert person is not None
            assert person.birth is not None
            assert person.birth.date is not None
            assert person.birth.date < household.reference_date - timedelta(days=18 * 365)
            assert person.nationalities
            assert person.addresses, "a person lives somewhere"
            starts = [a.valid_from.date for a in person.addresses if a.valid_from and a.valid_from.date]
            assert len(starts) == len(person.addresses)
            assert starts == sorted(starts, reverse=True), "current address first"
            assert person.addresses[0].valid_until is None
            for later, earlier in zip(person.addresses, person.addresses[1:], strict=False):
                assert earlier.valid_until is not None
                assert later.valid_from is not None
                assert earlier.valid_until < (later.valid_from.date or date.max)
            assert all(c.bsn and c.birth and c.birth.date for c in person.children)


def test_one_current_home_at_the_current_address(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            person = citizen.facts.person
            assert person is not None
            homes = citizen.facts.assets.homes
            assert len(homes) == 1
            home = homes[0]
            assert _address_key(home.address) == _address_key(person.addresses[0])
            assert home.woz_object_id is not None
            assert re.fullmatch(r"\d{12}", home.woz_object_id)
            assert 4 <= len(home.woz_values) <= 6
            dates = [v.reference_date for v in home.woz_values]
            assert all(d.month == 1 and d.day == 1 for d in dates)
            assert dates == sorted(set(dates))
            if home.relation == "tenant":
                assert citizen.facts.assets.mortgages == []
            for mortgage in citizen.facts.assets.mortgages:
                assert mortgage.debt_at_start_of_year > 0


def _relation_checks(citizen: Citizen, reference: date) -> None:
    for relation in citizen.facts.incomes.relations:
        periods = sorted(relation.periods, key=lambda p: p.start)
        assert periods, "a relation without periods is not shown"
        for before, after in itertools.pairwise(periods):
            assert before.end < after.start, "periods within a relation never overlap"
        assert periods[-1].end < reference
        assert periods[0].start >= reference - timedelta(days=37 * 31)
        for period in periods:
            assert period.start.year == period.end.year, "a period never crosses a year boundary"
            assert period.hours >= 0
            assert (period.end - period.start).days + 1 <= 35
            if period.car_private_use_value is not None:
                assert period.car_private_use_value > 0
        if relation.payroll_tax_number in UWV_BENEFIT_PAYROLL_NUMBERS:
            assert relation.kind == "benefit"
        if relation.kind == "employment":
            assert relation.contract_type in CONTRACT_VALUES
        else:
            assert relation.contract_type is None


def test_income_relations(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            _relation_checks(citizen, household.reference_date)


def test_four_weekly_periods_follow_the_payroll_calendar() -> None:
    relations = [
        r
        for h in CATALOGUE.values()
        for c in h.citizens()
        for r in c.facts.incomes.relations
        if h.key == "job-change-four-weekly"
    ]
    four_weekly = [r for r in relations if any(p.start.day != 1 for p in r.periods[1:])]
    assert four_weekly, "the job change persona has a four-weekly employer"
    for relation in four_weekly:
        for period in relation.periods[1:-1]:
            length = (period.end - period.start).days + 1
            if period.start.month == 1 and period.start.day == 1:
                assert period.end.weekday() == 6  # first period of the year: 1 January to a Sunday
            elif period.end.month == 12 and period.end.day == 31:
                assert period.start.weekday() == 0
            else:
                assert length == 28
                assert period.start.weekday() == 0


def test_tax_years_and_allowances(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            years = [t.year for t in citizen.facts.incomes.tax_years]
            assert years == sorted(set(years))
            assert all(household.reference_date.year - 3 <= y < household.reference_date.year for y in years)
            for tax_year in citizen.facts.incomes.tax_years:
                parts = [tax_year.box1_income, tax_year.box2_income or 0, tax_year.box3_income or 0]
                assert tax_year.verzamelinkomen == sum(parts)
            for allowance in citizen.facts.incomes.allowances:
                assert allowance.monthly_amount > 0
                assert (allowance.monthly_rent is not None) == (allowance.kind == "huurtoeslag")
        if household.partner is not None:
            assert household.partner.facts.incomes.allowances == []


def test_pensions(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            person = citizen.facts.person
            assert person is not None
            assert person.birth is not None
            assert person.birth.date is not None
            pensions = citizen.facts.pensions
            age = household.reference_date.year - person.birth.date.year
            if age > 40:
                assert pensions.state_pension is not None
            if pensions.state_pension is not None:
                aow = pensions.state_pension
                assert (aow.start_age.years, aow.start_age.months) >= (66, 4)
                for amount in (aow.accrued_single, aow.projected_single, aow.accrued_together):
                    assert amount is not None
                    assert amount == amount.to_integral_value()
                assert (aow.accrued_single or 0) <= (aow.projected_single or 0)
            assert len(pensions.schemes) <= 12
            keys = [(s.provider, s.scheme_id) for s in pensions.schemes]
            assert len(keys) == len(set(keys))
            for scheme in pensions.schemes:
                assert re.fullmatch(r"\d{10}-\d", scheme.scheme_id)
                assert scheme.accrued_yearly is not None
                assert scheme.projected_yearly is not None
                assert scheme.accrued_yearly == scheme.accrued_yearly.to_integral_value()
                assert scheme.accrued_yearly <= scheme.projected_yearly
            for survivor in pensions.survivor_pensions:
                assert (survivor.provider, survivor.scheme_id) in keys


def test_vehicles_and_bank_accounts(households: list[Household]) -> None:
    ibans: Counter[str] = Counter()
    for household in households:
        for citizen in household.citizens():
            for vehicle in citizen.facts.assets.vehicles:
                assert re.fullmatch(r"[A-Z]{2}-\d{3}-[A-Z]", vehicle.registration)
            for balance in citizen.facts.assets.bank_balances:
                assert balance.iban.startswith("NL")
                assert stdnum_iban.is_valid(balance.iban)
                assert balance.reference_date == date(household.reference_date.year, 1, 1)
                ibans[balance.iban] += 1
    assert [i for i, count in ibans.items() if count > 1] == []


def test_variety_of_generated_households(generated: list[Household]) -> None:
    kinds = Counter(h.partner_kind for h in generated)
    assert set(kinds) == {"none", "gehuwd", "geregistreerd", "samenwonend"}
    relations = [r for h in generated for c in h.citizens() for r in c.facts.incomes.relations]
    assert any(r.kind == "benefit" and r.payroll_tax_number.startswith("810220350") for r in relations)
    assert any(r.payer_name.startswith("Gemeente ") for r in relations)
    uwv_numbers = {
        r.payroll_tax_number for r in relations if r.payroll_tax_number in UWV_BENEFIT_PAYROLL_NUMBERS
    }
    assert {"810220350L02", "810220350L04", "810220350L26", "810220350L53"} <= uwv_numbers
    assert any(
        len(
            [
                r
                for r in c.facts.incomes.relations
                if r.kind == "employment" and r.periods[-1].end.year == 2026
            ]
        )
        >= 2
        for h in generated
        for c in h.citizens()
    ), "someone has two jobs at the same time"
    assert any(p.car_private_use_value for r in relations for p in r.periods)
    scheme_counts = {len(c.facts.pensions.schemes) for h in generated for c in h.citizens()}
    assert 0 in scheme_counts
    assert max(scheme_counts) >= 8
    assert any(t.business_profit for h in generated for c in h.citizens() for t in c.facts.incomes.tax_years)
    assert any(h.applicant.facts.assets.homes[0].relation == "owner" for h in generated)
    assert any(h.applicant.facts.assets.homes[0].relation == "tenant" for h in generated)


def test_generation_is_deterministic() -> None:
    for seed in (0, 7, 1234, 10**9):
        first, second = generate_household(seed), generate_household(seed)
        assert first == second
    assert generate_household(1) != generate_household(2)


def test_amounts_have_cents_and_no_floats(households: list[Household]) -> None:
    for household in households[:60]:
        for citizen in household.citizens():
            for relation in citizen.facts.incomes.relations:
                for period in relation.periods:
                    assert isinstance(period.sv_wage, Decimal)
                    assert isinstance(period.hours, Decimal)
                    assert period.sv_wage.as_tuple().exponent == -2


def test_households_on_municipal_benefit_have_no_other_wage(households: list[Household]) -> None:
    for household in households:
        relations = [r for c in household.citizens() for r in c.facts.incomes.relations]
        if any(r.payer_name.startswith("Gemeente ") for r in relations):
            assert all(r.kind == "benefit" for r in relations), household.key


def test_divorce_shows_in_the_brp_and_in_the_pension_settlement(households: list[Household]) -> None:
    for household in households:
        for citizen in household.citizens():
            person = citizen.facts.person
            assert person is not None
            dissolved = [p for p in person.partners if p.dissolved_on is not None]
            settled = [s for s in citizen.facts.pensions.schemes if s.divorce_settlement]
            if settled:
                assert dissolved, "a divorce settlement on a pension needs a dissolved marriage"
            for link in dissolved:
                assert link.since is not None
                assert link.since.date is not None
                assert link.dissolved_on is not None
                assert link.dissolved_on.date is not None
                assert link.since.date < link.dissolved_on.date


def test_life_events_happen_in_adult_life(households: list[Household]) -> None:
    def years_between(earlier: date, later: date) -> float:
        return (later - earlier).days / 365.25

    for household in households:
        for citizen in household.citizens():
            person = citizen.facts.person
            assert person is not None
            assert person.birth is not None
            born = person.birth.date
            assert born is not None
            for child in person.children:
                assert child.birth is not None
                assert child.birth.date is not None
                assert years_between(born, child.birth.date) >= 17
                assert child.birth.date < household.reference_date
            for link in person.partners:
                assert link.since is not None
                assert link.since.date is not None
                assert years_between(born, link.since.date) >= 17.5
            for place in person.addresses:
                assert place.valid_from is not None
                assert place.valid_from.date is not None
                assert years_between(born, place.valid_from.date) >= 17.5
            for relation in citizen.facts.incomes.relations:
                if relation.kind == "employment":
                    assert years_between(born, relation.periods[0].start) >= 17
