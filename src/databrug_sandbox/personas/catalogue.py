"""The named catalogue: the cases a municipality meets, each a fixed plan with a fixed seed.

Order matters: an entry's position is its BSN block (identifiers.catalogue_bsn), so new entries go at the
END and existing ones keep their place, or every documented BSN shifts.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from typing import Literal

from databrug_sandbox.personas.generator import Identity, build_household
from databrug_sandbox.personas.identifiers import catalogue_bsn
from databrug_sandbox.personas.model import Household
from databrug_sandbox.personas.plan import AdultPlan, HouseholdPlan


@dataclass(frozen=True)
class Entry:
    key: str
    title: str
    plan: HouseholdPlan
    seed: int


ENTRIES: tuple[Entry, ...] = (
    Entry(
        "single-renter-low-wage",
        "Single renter on minimum wage (alleenstaande huurder, laag loon)",
        HouseholdPlan(
            applicant=AdultPlan(
                "vrouw", 29, "employed", wage_level="minimum", pension_schemes=1, savings="low"
            ),
            housing="social_rent",
            city=0,
        ),
        seed=101,
    ),
    Entry(
        "couple-both-employed",
        "Married couple, both employed, two children, own home (echtpaar, beiden in loondienst)",
        HouseholdPlan(
            applicant=AdultPlan("man", 41, "employed", pension_schemes=3, savings="medium", vehicles=1),
            partner=AdultPlan(
                "vrouw", 39, "employed", wage_level="low", part_time=True, pension_schemes=2, vehicles=1
            ),
            partner_kind="gehuwd",
            children=2,
            housing="owner",
            mortgage_share=0.75,
            city=3,
        ),
        seed=202,
    ),
    Entry(
        "single-parent-benefit",
        "Single parent on municipal benefit, two children (alleenstaande ouder in de bijstand)",
        HouseholdPlan(
            applicant=AdultPlan("vrouw", 34, "bijstand", pension_schemes=1, savings="none"),
            children=2,
            housing="social_rent",
            city=2,
        ),
        seed=303,
    ),
    Entry(
        "retired-couple-many-pensions",
        "Retired married couple on AOW with a dozen pensions (gepensioneerd echtpaar)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man", 74, "retired", pension_schemes=12, indicative_schemes=2, savings="medium", vehicles=1
            ),
            partner=AdultPlan("vrouw", 71, "retired", pension_schemes=4, savings="low"),
            partner_kind="gehuwd",
            children=2,
            housing="owner",
            home_value="low",
            mortgage_share=0.0,
            city=6,
        ),
        seed=404,
    ),
    Entry(
        "self-employed",
        "Self-employed, only visible in tax data (zzp'er)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man",
                45,
                "self_employed",
                pension_schemes=2,
                indicative_schemes=1,
                savings="medium",
                vehicles=1,
            ),
            housing="private_rent",
            city=5,
        ),
        seed=505,
    ),
    Entry(
        "job-change-four-weekly",
        "Changed jobs; the new employer pays per four weeks (baanwissel, 4-wekelijks)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man", 31, "job_change", wage_level="low", four_weekly=True, pension_schemes=2
            ),
            housing="social_rent",
            city=8,
        ),
        seed=606,
    ),
    Entry(
        "company-car",
        "Employee with a company car, married, own home (leaseauto van de zaak)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man",
                38,
                "employed",
                wage_level="high",
                company_car=True,
                pension_schemes=3,
                savings="medium",
            ),
            partner=AdultPlan(
                "vrouw", 36, "employed", wage_level="median", part_time=True, pension_schemes=2, vehicles=1
            ),
            partner_kind="gehuwd",
            children=1,
            housing="owner",
            mortgage_share=0.85,
            city=11,
        ),
        seed=707,
    ),
    Entry(
        "ww-benefit",
        "Lost her job, now on WW benefit (WW-uitkering)",
        HouseholdPlan(
            applicant=AdultPlan("vrouw", 52, "ww", wage_level="low", pension_schemes=4, savings="low"),
            housing="social_rent",
            city=9,
        ),
        seed=808,
    ),
    Entry(
        "homeowner-equity-over-limit",
        "Single homeowner whose home equity exceeds the asset limit (overwaarde boven de vermogensgrens)",
        HouseholdPlan(
            applicant=AdultPlan(
                "vrouw", 63, "employed", wage_level="low", part_time=True, pension_schemes=5, savings="medium"
            ),
            housing="owner",
            home_value="high",
            mortgage_share=0.1,
            city=10,
        ),
        seed=909,
    ),
    Entry(
        "no-sms-check",
        "Single person whose DigiD has no SMS check (DigiD zonder sms-controle)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man", 47, "employed", wage_level="low", pension_schemes=3, sms_enabled=False
            ),
            housing="private_rent",
            city=4,
        ),
        seed=1010,
    ),
    Entry(
        "couple-partner-no-sms",
        "Cohabiting couple (fiscal partners only); the partner's DigiD has no SMS check",
        HouseholdPlan(
            applicant=AdultPlan("vrouw", 36, "employed", wage_level="low", part_time=True, pension_schemes=2),
            partner=AdultPlan(
                "man", 38, "wia", wage_level="low", part_time=True, pension_schemes=3, sms_enabled=False
            ),
            partner_kind="samenwonend",
            children=1,
            housing="social_rent",
            city=7,
        ),
        seed=1111,
    ),
    Entry(
        "divorced",
        "Divorced (dissolved marriage), two children, renting (gescheiden)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man", 49, "employed", pension_schemes=4, divorced=True, savings="low", vehicles=1
            ),
            children=2,
            housing="private_rent",
            city=1,
        ),
        seed=1212,
    ),
    Entry(
        "registered-partners",
        "Registered partners, one employed and one without income (geregistreerd partnerschap)",
        HouseholdPlan(
            applicant=AdultPlan("vrouw", 58, "employed", pension_schemes=6, indicative_schemes=1),
            partner=AdultPlan("vrouw", 55, "none", pension_schemes=2, born_abroad=True),
            partner_kind="geregistreerd",
            housing="owner",
            home_value="median",
            mortgage_share=0.5,
            city=4,
        ),
        seed=1313,
    ),
    Entry(
        "young-on-call-worker",
        "Young on-call worker via a temp agency, no pension yet, no AOW build-up shown (oproepkracht)",
        HouseholdPlan(
            applicant=AdultPlan(
                "man", 21, "employed", wage_level="minimum", on_call=True, pension_schemes=0, savings="none"
            ),
            housing="social_rent",
            city=1,
        ),
        seed=1414,
    ),
)


def _catalogue_household(index: int, entry: Entry) -> Household:
    def username(role: Literal["applicant", "partner"]) -> str:
        return entry.key if role == "applicant" else f"{entry.key}-partner"

    identity = Identity(
        key=entry.key,
        title=entry.title,
        bsn=lambda slot: catalogue_bsn(index, slot),
        username=username,
    )
    rng = random.Random(entry.seed)  # noqa: S311 -- reproducible synthetic data, not secrets
    return build_household(entry.plan, rng, identity)


CATALOGUE: dict[str, Household] = {
    entry.key: _catalogue_household(index, entry) for index, entry in enumerate(ENTRIES)
}
