"""Hand-built citizens with pensions, for the MPO renderer and parser tests."""

from __future__ import annotations

from datetime import date
from decimal import Decimal

from databrug.records import (
    Age,
    FuzzyDate,
    Pensions,
    PensionScheme,
    Person,
    PersonName,
    StatePension,
    Subject,
    SurvivorPension,
)
from databrug_sandbox.personas.model import SANDBOX_REF, Citizen, DigidAccount

AS_OF = date(2026, 10, 1)
AOW_AGE = Age(years=67, months=3)
AGE_68 = Age(years=68)


def citizen_with(pensions: Pensions, *, bsn: str = "999993653", born: date = date(1961, 4, 12)) -> Citizen:
    person = Person(
        source_ref=SANDBOX_REF,
        bsn=bsn,
        name=PersonName(given_names="Suzanne", surname="Moulin"),
        birth=FuzzyDate(date=born),
    )
    return Citizen(
        digid=DigidAccount(username="moulin", password="geheim-123"),
        facts=Subject(role="applicant", person=person, pensions=pensions),
    )


def state_pension(start: Age = AOW_AGE, single: str = "18000", together: str = "12600") -> StatePension:
    return StatePension(
        source_ref=SANDBOX_REF,
        start_age=start,
        as_of=AS_OF,
        accrued_single=Decimal(single) * Decimal("0.8"),
        projected_single=Decimal(single),
        accrued_together=Decimal(together) * Decimal("0.8"),
        projected_together=Decimal(together),
    )


def scheme(
    provider: str,
    scheme_id: str,
    *,
    accrued: str | None = "4000",
    projected: str | None = "6500",
    start: Age = AGE_68,
    end: Age | None = None,
    kind: str = "guaranteed",
    divorce_settlement: str | None = None,
) -> PensionScheme:
    return PensionScheme.model_validate(
        {
            "source_ref": SANDBOX_REF,
            "provider": provider,
            "scheme_id": scheme_id,
            "kind": kind,
            "accrued_yearly": accrued,
            "projected_yearly": projected,
            "start_age": start,
            "end_age": end,
            "as_of": AS_OF,
            "divorce_settlement": divorce_settlement,
        }
    )


def survivor(
    beneficiary: str,
    provider: str,
    scheme_id: str,
    *,
    insured: str | None = "3000",
    accrued: str | None = "1500",
    indicative: bool = False,
    per_child: bool = False,
) -> SurvivorPension:
    return SurvivorPension.model_validate(
        {
            "source_ref": SANDBOX_REF,
            "beneficiary": beneficiary,
            "provider": provider,
            "scheme_id": scheme_id,
            "indicative": indicative,
            "insured_amount": insured,
            "accrued_amount": accrued,
            "per_child": per_child,
            "as_of": AS_OF,
        }
    )


def rich_pensions() -> Pensions:
    """Early start, a temporary bridging pension, DC, a supplement, a divorce split, survivors."""
    return Pensions(
        state_pension=state_pension(),
        schemes=[
            scheme("Stichting Pensioenfonds ABP", "0012345678-1", start=Age(years=65), accrued="9120.00"),
            scheme(
                "Stichting Pensioenfonds ABP",
                "0012345678-2",
                start=Age(years=65),
                end=Age(years=67, months=3),
                accrued="2100",
                projected="2400",
            ),
            scheme("PFZW", "000777", accrued="1234.56", projected=None, divorce_settlement="Verevend"),
            scheme(
                "Nationale-Nederlanden", "NN-2019-00042", kind="indicative", accrued=None, projected="850"
            ),
            scheme("PFZW", "000777", kind="single_person_supplement", accrued="300", projected="310"),
        ],
        survivor_pensions=[
            survivor("partner", "Stichting Pensioenfonds ABP", "0012345678-1"),
            survivor("partner", "Nationale-Nederlanden", "NN-2019-00042", indicative=True, accrued=None),
            survivor("orphan", "Stichting Pensioenfonds ABP", "0012345678-1", insured="900", per_child=True),
        ],
    )
