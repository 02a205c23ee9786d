"""Pensioenen: AOW and the schemes from the Mijnpensioenoverzicht download."""

from __future__ import annotations

from typing import Literal

from pydantic import Field

from databrug.records.base import Day, Money, Record, SourceRef


class Age(Record):
    years: int = Field(ge=0, le=130)
    months: int = Field(default=0, ge=0, le=11)


class StatePension(Record):
    """AOW, gross euros per year, for living alone and living together."""

    source_ref: SourceRef
    start_age: Age
    as_of: Day | None = None
    accrued_single: Money | None = None
    projected_single: Money | None = None
    accrued_together: Money | None = None
    projected_together: Money | None = None


class PensionScheme(Record):
    """One scheme (HerkenningsNummer) of one provider, de-duplicated across age periods."""

    source_ref: SourceRef
    provider: str = Field(min_length=1, max_length=200)
    scheme_id: str = Field(min_length=1, max_length=60, description="HerkenningsNummer, kept as text")
    kind: Literal["guaranteed", "indicative", "single_person_supplement"]
    accrued_yearly: Money | None = None
    projected_yearly: Money | None = None
    start_age: Age | None = None
    end_age: Age | None = Field(default=None, description="None when paid until death")
    as_of: Day | None = None
    divorce_settlement: str | None = Field(default=None, max_length=200)


class SurvivorPension(Record):
    """Partner or orphan pension: insured and accrued amounts, gross per year."""

    source_ref: SourceRef
    beneficiary: Literal["partner", "orphan"]
    provider: str = Field(min_length=1, max_length=200)
    scheme_id: str = Field(min_length=1, max_length=60)
    indicative: bool = False
    insured_amount: Money | None = None
    accrued_amount: Money | None = None
    per_child: bool = False
    as_of: Day | None = None


class Pensions(Record):
    state_pension: StatePension | None = None
    schemes: list[PensionScheme] = Field(default_factory=list)
    survivor_pensions: list[SurvivorPension] = Field(default_factory=list)
