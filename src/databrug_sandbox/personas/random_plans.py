"""Random but plausible household plans, for ``generate_household``.

The weights are rough shares of the cases a municipality sees, not statistics: they make every kind of
household (and every source format variant) appear often enough in a few hundred seeds.
"""

from __future__ import annotations

import random
from dataclasses import replace
from typing import Literal

from databrug_sandbox.personas.plan import AdultPlan, HouseholdPlan, Housing, IncomeKind, PartnerKind

_PARTNER_KINDS: tuple[PartnerKind, ...] = ("none", "gehuwd", "geregistreerd", "samenwonend")
_HOUSING: tuple[Housing, ...] = ("owner", "social_rent", "private_rent")
_WORKING_INCOMES: tuple[IncomeKind, ...] = (
    "employed",
    "job_change",
    "ww",
    "wia",
    "bijstand",
    "self_employed",
    "none",
)


def draw_plan(rng: random.Random) -> HouseholdPlan:
    """A random but plausible household plan."""
    partner_kind = rng.choices(_PARTNER_KINDS, weights=(45, 30, 8, 17))[0]
    retired = rng.random() < 0.18
    applicant = _draw_adult(rng, retired, rng.choice(("man", "vrouw")))
    if applicant.income == "none":
        # Someone applying on their own without any income is, in practice, on municipal benefit.
        applicant = replace(applicant, income="bijstand")
    partner = None
    if partner_kind != "none":
        gender: Literal["man", "vrouw"] = "vrouw" if applicant.gender == "man" else "man"
        if rng.random() < 0.05:
            gender = applicant.gender
        partner = _draw_adult(rng, retired, gender, near_age=applicant.age)
        # Only the applicant's BSN block has a slot for a former partner.
        partner = replace(partner, divorced=False)
    if partner is not None and "bijstand" in (applicant.income, partner.income):
        # Bijstand is means-tested for the couple: the other partner has no income or shares the benefit.
        shared: IncomeKind = "bijstand" if rng.random() < 0.5 else "none"
        if applicant.income == "bijstand" and partner.income != "bijstand":
            partner = replace(partner, income=shared, company_car=False)
        elif partner.income == "bijstand" and applicant.income != "bijstand":
            applicant = replace(applicant, income="bijstand", company_car=False)
            partner = replace(partner, income=shared)
    housing = rng.choices(_HOUSING, weights=(45, 38, 17))[0]
    incomes = [a.income for a in (applicant, partner) if a is not None]
    if any(i in ("bijstand", "ww") for i in incomes) and housing == "owner" and rng.random() < 0.7:
        housing = "social_rent"
    children = 0
    if not retired:
        children = rng.choices((0, 1, 2, 3, 4), weights=(40, 22, 25, 10, 3))[0]
        if applicant.age < 24:
            children = 0
    else:
        children = rng.choices((0, 1, 2, 3), weights=(20, 25, 40, 15))[0]
    return HouseholdPlan(
        applicant=applicant,
        partner=partner,
        partner_kind=partner_kind,
        children=children,
        housing=housing,
        home_value=rng.choice(("low", "median", "median", "high")),
        mortgage_share=rng.choice((0.0, 0.3, 0.5, 0.7, 0.85, 0.95)),
    )


def _draw_adult(
    rng: random.Random, retired: bool, gender: Literal["man", "vrouw"], near_age: int | None = None
) -> AdultPlan:
    if near_age is not None:
        age = max(19, near_age + rng.randint(-6, 6))
    else:
        age = rng.randint(68, 84) if retired else rng.randint(19, 66)
    income: IncomeKind = "retired"
    if retired:
        age = max(age, 68)
    else:
        age = min(age, 66)
        income = rng.choices(_WORKING_INCOMES, weights=(50, 12, 6, 5, 10, 9, 8))[0]
        if age < 22 and income in ("job_change", "ww", "wia", "self_employed"):
            income = "employed"  # too young for a work history that long
    max_schemes = 0 if age < 23 else min(12, (age - 20) // 3 + 1)
    schemes_count = rng.randint(0 if income in ("bijstand", "none") else 1, max(1, max_schemes))
    if income == "self_employed":
        schemes_count = rng.randint(0, min(3, max_schemes))
    indicative = rng.randint(0, min(2, schemes_count))
    return AdultPlan(
        gender=gender,
        age=age,
        income=income,
        wage_level=rng.choice(("minimum", "low", "median", "median", "high")),
        part_time=rng.random() < 0.3,
        four_weekly=rng.random() < 0.3,
        company_car=rng.random() < 0.08,
        pension_schemes=schemes_count,
        indicative_schemes=indicative,
        savings=rng.choices(("none", "low", "medium", "high"), weights=(20, 40, 30, 10))[0],
        vehicles=rng.choices((0, 1, 2), weights=(40, 50, 10))[0],
        sms_enabled=rng.random() > 0.1,
        born_abroad=rng.random() < 0.2,
        divorced=rng.random() < 0.1 and age >= 30,
        on_call=income == "employed" and rng.random() < 0.08,
        second_job=income == "employed" and rng.random() < 0.12,
        full_disability=income == "wia" and rng.random() < 0.3,
        tw_supplement=income == "ww" and rng.random() < 0.3,
    )


_PARTNER_WORDS = {
    "gehuwd": "married couple",
    "geregistreerd": "registered partners",
    "samenwonend": "cohabiting couple",
    "none": "single",
}
_HOUSING_WORDS = {"owner": "own home", "social_rent": "social rent", "private_rent": "private rent"}


def describe(plan: HouseholdPlan) -> str:
    """A one-line description such as 'married couple (employed + none), 2 children, own home'."""
    incomes = " + ".join(a.income.replace("_", " ") for a in (plan.applicant, plan.partner) if a is not None)
    children = f", {plan.children} child{'ren' if plan.children != 1 else ''}" if plan.children else ""
    return f"{_PARTNER_WORDS[plan.partner_kind]} ({incomes}){children}, {_HOUSING_WORDS[plan.housing]}"
