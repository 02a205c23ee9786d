"""Each named persona really is the case its name promises (the issue's list of municipal cases)."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databrug.records import UWV_BENEFIT_PAYROLL_NUMBERS, IncomeRelation
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.key_facts import is_four_weekly
from databrug_sandbox.personas.model import Citizen, Household

# Bijstand asset limits 2026 (rounded): single ~8,000; home equity limit ~66,000.
SINGLE_ASSET_LIMIT = Decimal("8000")
HOME_EQUITY_LIMIT = Decimal("66000")


def _relations(citizen: Citizen) -> list[IncomeRelation]:
    return citizen.facts.incomes.relations


def _persona(key: str) -> Household:
    return CATALOGUE[key]


def _age(citizen: Citizen, on: date) -> int:
    person = citizen.facts.person
    assert person is not None
    assert person.birth is not None
    born = person.birth.date
    assert born is not None
    return on.year - born.year - ((on.month, on.day) < (born.month, born.day))


def test_single_renter_on_low_wage() -> None:
    household = _persona("single-renter-low-wage")
    assert household.partner is None
    (relation,) = _relations(household.applicant)
    assert relation.kind == "employment"
    monthly = [p.sv_wage for p in relation.periods if p.start.month in (9, 10) and p.start.year == 2026]
    assert monthly
    assert all(Decimal(2000) < wage < Decimal(2900) for wage in monthly)
    assert household.applicant.facts.assets.homes[0].relation == "tenant"


def test_couple_both_employed() -> None:
    household = _persona("couple-both-employed")
    assert household.partner is not None
    assert household.partner_kind == "gehuwd"
    for citizen in household.citizens():
        assert any(r.kind == "employment" for r in _relations(citizen))
        assert citizen.facts.person is not None
        assert citizen.facts.person.marital_status == "gehuwd"


def test_single_parent_on_municipal_benefit() -> None:
    household = _persona("single-parent-benefit")
    assert household.partner is None
    person = household.applicant.facts.person
    assert person is not None
    assert person.children
    (relation,) = _relations(household.applicant)
    assert relation.kind == "benefit"
    assert relation.payer_name.startswith("Gemeente ")
    assert relation.payroll_tax_number not in UWV_BENEFIT_PAYROLL_NUMBERS
    kinds = {a.kind for a in household.applicant.facts.incomes.allowances}
    assert {"zorgtoeslag", "huurtoeslag", "kindgebonden_budget"} <= kinds


def test_retired_couple_with_a_dozen_pensions() -> None:
    household = _persona("retired-couple-many-pensions")
    assert household.partner is not None
    applicant = household.applicant.facts.pensions
    assert len(applicant.schemes) == 12
    assert any(s.kind == "indicative" for s in applicant.schemes)
    for citizen in household.citizens():
        pensions = citizen.facts.pensions
        assert pensions.state_pension is not None
        start = pensions.state_pension.start_age
        assert _age(citizen, household.reference_date) * 12 >= start.years * 12 + start.months
        # AOW is paid by the SVB; every pension scheme pays out as well.
        payers = {r.payer_name for r in _relations(citizen)}
        assert "Sociale Verzekeringsbank" in payers
        assert {s.provider for s in pensions.schemes} <= payers
        assert all(r.kind == "benefit" for r in _relations(citizen))


def test_self_employed_only_in_tax_data() -> None:
    household = _persona("self-employed")
    citizen = household.applicant
    assert _relations(citizen) == []
    years = citizen.facts.incomes.tax_years
    assert len(years) >= 2
    assert all(t.business_profit is not None and t.business_profit > 0 for t in years)


def test_job_change_with_four_weekly_periods() -> None:
    household = _persona("job-change-four-weekly")
    employments = [r for r in _relations(household.applicant) if r.kind == "employment"]
    assert len(employments) == 2
    old, new = sorted(employments, key=lambda r: r.periods[0].start)
    assert old.payer_name != new.payer_name
    assert max(p.end for p in old.periods) < min(p.start for p in new.periods)
    assert is_four_weekly(new)
    assert not is_four_weekly(old)


def test_company_car() -> None:
    household = _persona("company-car")
    periods = [p for r in _relations(household.applicant) for p in r.periods]
    with_car = [p for p in periods if p.car_private_use_value]
    assert with_car
    assert len(with_car) == len(periods)
    for period in with_car:
        assert period.car_private_use_value is not None
        assert period.car_own_contribution is not None
        assert period.sv_wage > period.car_private_use_value - period.car_own_contribution


def test_ww_benefit_after_losing_a_job() -> None:
    household = _persona("ww-benefit")
    relations = _relations(household.applicant)
    ww = [r for r in relations if r.payroll_tax_number in UWV_BENEFIT_PAYROLL_NUMBERS]
    assert len(ww) == 1
    assert ww[0].kind == "benefit"
    assert ww[0].payer_name.startswith("WW")
    job = next(r for r in relations if r.kind == "employment")
    assert max(p.end for p in job.periods) < min(p.start for p in ww[0].periods)


def test_homeowner_with_equity_over_the_asset_limit() -> None:
    household = _persona("homeowner-equity-over-limit")
    assert household.partner is None
    home = household.applicant.facts.assets.homes[0]
    assert home.relation == "owner"
    woz = max(home.woz_values, key=lambda v: v.reference_date).value
    last = max(household.applicant.facts.assets.mortgages, key=lambda m: m.year)
    equity = woz - last.debt_at_start_of_year
    assert equity > HOME_EQUITY_LIMIT
    assert equity > SINGLE_ASSET_LIMIT


def test_no_sms_cases() -> None:
    single = _persona("no-sms-check")
    assert single.applicant.digid.sms_enabled is False
    couple = _persona("couple-partner-no-sms")
    assert couple.partner is not None
    assert couple.applicant.digid.sms_enabled is True
    assert couple.partner.digid.sms_enabled is False
    others = [
        c
        for key, h in CATALOGUE.items()
        if key not in ("no-sms-check", "couple-partner-no-sms")
        for c in h.citizens()
    ]
    assert all(c.digid.sms_enabled for c in others)


def test_cohabiting_partner_is_only_a_fiscal_partner() -> None:
    household = _persona("couple-partner-no-sms")
    assert household.partner_kind == "samenwonend"
    assert household.partner is not None
    applicant, partner = household.applicant.facts, household.partner.facts
    assert applicant.person is not None
    assert applicant.person.partners == []
    assert any(t.fiscal_partner_bsn == household.partner.bsn for t in applicant.incomes.tax_years)
    assert any(t.fiscal_partner_bsn == household.applicant.bsn for t in partner.incomes.tax_years)


def test_divorced_person_has_a_dissolved_marriage() -> None:
    household = _persona("divorced")
    person = household.applicant.facts.person
    assert person is not None
    assert person.marital_status == "gescheiden"
    assert person.current_partner is None
    (former,) = person.partners
    assert former.kind == "huwelijk"
    assert former.dissolved_on is not None
    assert former.since is not None
    assert former.since.date is not None
    assert former.dissolved_on.date is not None
    assert former.since.date < former.dissolved_on.date < household.reference_date
    assert former.bsn is not None


def test_some_names_have_a_prefix_and_some_people_were_born_abroad() -> None:
    people = [c.facts.person for h in CATALOGUE.values() for c in h.citizens()]
    assert any(p is not None and p.name.prefix for p in people)
    assert any(p is not None and p.birth_country != "Nederland" for p in people)


def test_key_facts_match_the_records() -> None:
    for household in CATALOGUE.values():
        facts = household.key_facts
        assert facts["adults"] == len(household.citizens())
        assert facts["partner_expected"] == (household.partner is not None)
        for person, citizen in zip(facts["people"], household.citizens(), strict=True):
            assert person["bsn"] == citizen.bsn
            assert person["income_relations"] == len(_relations(citizen))
            assert person["pension_schemes"] == len(citizen.facts.pensions.schemes)
        people_income = sum(Decimal(p["gross_monthly_income"]) for p in facts["people"])
        assert Decimal(facts["gross_monthly_income"]) == people_income
