"""Every catalogue persona, under random requests within the gemeentepolis template: the package built from
the bounded subjects holds nothing the template excludes. The checker below walks the package's JSON with its
own reading of the published template (docs/purposes.md), not with ``bounded_subject``'s code."""

from __future__ import annotations

import base64
import json
from dataclasses import dataclass
from datetime import UTC, date, datetime, time
from decimal import Decimal
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.support.consent_logins import login_before
from tests.support.provider_packages import package_for

from databrug.consent import make_consent
from databrug.delivery.package import build_package, package_bytes
from databrug.eligibility import Declaration, RuleParameters, assess
from databrug.purposes import bounded_subject, template
from databrug.records import DataPackage, Document, ProviderRef
from databrug_sandbox.personas.catalogue import CATALOGUE

PROVIDER = ProviderRef(id="gezondverzekerd", name="Gezondverzekerd (demo)")
GEMEENTEPOLIS = template("gemeentepolis", "1")

# The gemeentepolis v1 template as docs/purposes.md states it, written out by hand.
EXCLUDED_KINDS = {("pensions", "survivor_pensions")}
EXCLUDED_FIELDS = {
    "person": {"birth_place", "birth_country", "nationalities"},
    "tax_years": {"wages", "box2_income", "box3_income"},
    "mortgages": {"interest_paid"},
    "schemes": {"divorce_settlement"},
}
NEWEST_WOZ_VALUES = 2


@dataclass(frozen=True)
class Asked:
    wage_months: int
    tax_years: int
    include_documents: bool = False


def _too_old(end: date, day: date, months: int) -> bool:
    """A wage period ending more than ``months`` calendar months before ``day``."""
    months_back = (day.year - end.year) * 12 + (day.month - end.month)
    if months_back != months:
        return months_back > months
    shortest = min(day.day, _month_length(end))
    return end.day < shortest


def _month_length(day: date) -> int:
    following = date(day.year + day.month // 12, day.month % 12 + 1, 1)
    return (following - date(day.year, day.month, 1)).days


def _empty(value: Any) -> bool:
    return value in (None, [], {}, "")


def outside_the_template(package: dict[str, Any], asked: Asked, day: date) -> list[str]:
    """What in the package JSON the gemeentepolis template excludes, in words (empty: nothing)."""
    found: list[str] = []
    first_year = day.year - asked.tax_years
    if package.get("documents"):
        found.append("documents")
    for subject in package["subjects"]:
        role = subject["role"]
        for group, kind in EXCLUDED_KINDS:
            if not _empty(subject.get(group, {}).get(kind)):
                found.append(f"{role}: {group}.{kind}")
        person = subject.get("person") or {}
        for name in EXCLUDED_FIELDS["person"]:
            if not _empty(person.get(name)):
                found.append(f"{role}: person.{name}")
        for address in person.get("addresses", []):
            until = address.get("valid_until")
            if until is not None and date.fromisoformat(until) < day:
                found.append(f"{role}: an ended address")
        incomes = subject.get("incomes", {})
        for relation in incomes.get("relations", []):
            if not relation.get("periods"):
                found.append(f"{role}: a relation without periods")
            for period in relation.get("periods", []):
                if _too_old(date.fromisoformat(period["end"]), day, asked.wage_months):
                    found.append(f"{role}: a wage period ending {period['end']}")
        for tax_year in incomes.get("tax_years", []):
            if tax_year["year"] < first_year:
                found.append(f"{role}: tax year {tax_year['year']}")
            for name in EXCLUDED_FIELDS["tax_years"]:
                if not _empty(tax_year.get(name)):
                    found.append(f"{role}: tax_years.{name}")
        for allowance in incomes.get("allowances", []):
            if allowance["year"] < first_year:
                found.append(f"{role}: allowance of {allowance['year']}")
        assets = subject.get("assets", {})
        for mortgage in assets.get("mortgages", []):
            if mortgage["year"] < first_year:
                found.append(f"{role}: mortgage of {mortgage['year']}")
            if not _empty(mortgage.get("interest_paid")):
                found.append(f"{role}: mortgages.interest_paid")
        for balance in assets.get("bank_balances", []):
            if date.fromisoformat(balance["reference_date"]).year < first_year:
                found.append(f"{role}: bank balance of {balance['reference_date']}")
        for home in assets.get("homes", []):
            if len(home.get("woz_values", [])) > NEWEST_WOZ_VALUES:
                found.append(f"{role}: more than {NEWEST_WOZ_VALUES} WOZ values")
        for scheme in subject.get("pensions", {}).get("schemes", []):
            if not _empty(scheme.get("divorce_settlement")):
                found.append(f"{role}: schemes.divorce_settlement")
    return found


def bounded_package(key: str, asked: Asked, day: date) -> DataPackage:
    full = package_for(CATALOGUE[key], created_at=datetime.combine(day, time(10), tzinfo=UTC))
    subjects = [bounded_subject(GEMEENTEPOLIS, asked, s, day) for s in full.subjects]
    now = datetime.combine(day, time(10, 5), tzinfo=UTC)
    consents = [make_consent(s, full.sources, PROVIDER, "nl", now, login_before(now)) for s in subjects]
    original = Document(
        source_ref=full.sources[0].id,
        media_type="application/json",
        filename="brp-persoon.json",
        content_base64=base64.b64encode(b"{}").decode(),
    )
    return build_package(
        PROVIDER, "case-test", subjects, full.sources, consents, [original], asked.include_documents
    )


@settings(max_examples=150, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    key=st.sampled_from(sorted(CATALOGUE)),
    wage_months=st.integers(1, GEMEENTEPOLIS.max_wage_months),
    tax_years=st.integers(1, GEMEENTEPOLIS.max_tax_years),
    day=st.dates(date(2026, 1, 1), date(2027, 6, 30)),
)
def test_a_package_within_the_template_holds_nothing_it_excludes(
    key: str, wage_months: int, tax_years: int, day: date
) -> None:
    asked = Asked(wage_months, tax_years, include_documents=GEMEENTEPOLIS.originals_allowed)
    package = json.loads(package_bytes(bounded_package(key, asked, day)))
    assert outside_the_template(package, asked, day) == []


@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_every_persona_at_the_defaults(key: str) -> None:
    day = date(2026, 11, 1)
    asked = Asked(GEMEENTEPOLIS.max_wage_months, GEMEENTEPOLIS.max_tax_years)
    package = json.loads(package_bytes(bounded_package(key, asked, day)))
    assert outside_the_template(package, asked, day) == []


def test_the_checker_sees_what_the_full_data_holds() -> None:
    """The checker is not blind: on the untrimmed data of the catalogue it finds every kind of excess."""
    day = date(2026, 11, 1)
    asked = Asked(wage_months=3, tax_years=1)
    found = " ".join(
        " ".join(outside_the_template(package_for(household).model_dump(mode="json"), asked, day))
        for household in CATALOGUE.values()
    )
    for excess in (
        "survivor_pensions",
        "person.nationalities",
        "an ended address",
        "a wage period ending",
        "tax year",
        "tax_years.wages",
        "mortgage of",
        "interest_paid",
        "WOZ values",
    ):
        assert excess in found


def test_the_bounded_data_keeps_recent_history() -> None:
    """Trimming cuts history, not everything: every persona with recent wage periods keeps them."""
    day = date(2026, 11, 1)
    asked = Asked(wage_months=6, tax_years=2)
    for key, household in CATALOGUE.items():
        full = package_for(household)
        for subject in full.subjects:
            bounded = bounded_subject(GEMEENTEPOLIS, asked, subject, day)
            recent = [p for r in subject.incomes.relations for p in r.periods if p.end >= date(2026, 5, 1)]
            kept = [p for r in bounded.incomes.relations for p in r.periods]
            assert len(kept) == len(recent), key
            assert [t.year for t in bounded.incomes.tax_years] == sorted(
                t.year for t in subject.incomes.tax_years if t.year >= 2024
            ), key


A = RuleParameters(
    percentage=Decimal(120),
    includes_holiday_allowance=False,
    asset_test=True,
    home_equity_rule="above_exemption",
)
B = RuleParameters(percentage=Decimal(130), includes_holiday_allowance=True, asset_test=False)
C = RuleParameters(percentage=Decimal(110), home_equity_rule="counted", asset_limit_single=Decimal(5000))


@pytest.mark.parametrize("parameters", [A, B, C], ids=["A", "B", "C"])
@pytest.mark.parametrize("key", sorted(CATALOGUE))
def test_the_rule_gives_the_same_advice_on_the_bounded_data(key: str, parameters: RuleParameters) -> None:
    """The template keeps every input of the rule: the advice on the bounded data is the advice on all of it
    (the template's default request: its maxima)."""
    day = date(2026, 11, 1)
    household = CATALOGUE[key]
    full = package_for(household)
    asked = Asked(GEMEENTEPOLIS.max_wage_months, GEMEENTEPOLIS.max_tax_years)
    bounded = full.model_copy(
        update={"subjects": [bounded_subject(GEMEENTEPOLIS, asked, s, day) for s in full.subjects]}
    )
    declaration = Declaration(
        partner=household.partner is not None, children=household.key_facts["children_at_home"]
    )
    on_all = assess(full, declaration, parameters, day)
    on_bounded = assess(bounded, declaration, parameters, day)
    assert on_bounded.model_dump() == on_all.model_dump()
