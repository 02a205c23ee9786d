"""Inkomens: employment and benefits per payer, tax years and allowances."""

from __future__ import annotations

from typing import Literal

from pydantic import Field, model_validator

from databrug.records.base import Bsn, Day, Hours, Loonheffingennummer, Money, Record, SourceRef

# UWV pays benefits under its own payroll tax numbers (verzekeringsbericht layout notes).
UWV_BENEFIT_PAYROLL_NUMBERS = frozenset(
    f"810220350{suffix}" for suffix in ("L02", "L04", "L20", "L23", "L26", "L53")
)


class WagePeriod(Record):
    start: Day
    end: Day
    hours: Hours
    sv_wage: Money = Field(description="SV-loon; negative for corrections")
    car_private_use_value: Money | None = Field(default=None, description="Waarde privégebruik auto")
    car_own_contribution: Money | None = Field(default=None, description="Eigen bijdrage auto")

    @model_validator(mode="after")
    def _ordered(self) -> WagePeriod:
        if self.end < self.start:
            raise ValueError("a wage period cannot end before it starts")
        return self


class IncomeRelation(Record):
    """One inkomstenverhouding: an employer or a benefit payer, with its wage periods."""

    source_ref: SourceRef
    kind: Literal["employment", "benefit"]
    payer_name: str = Field(min_length=1, max_length=200)
    payroll_tax_number: Loonheffingennummer
    insured_laws: list[str] = Field(default_factory=list, max_length=10)
    contract_type: str | None = Field(default=None, max_length=200)
    periods: list[WagePeriod] = Field(default_factory=list)


class WageStatement(Record):
    """Wage and withheld tax per withholding agent in one tax year."""

    payer_name: str = Field(min_length=1, max_length=200)
    payroll_tax_number: Loonheffingennummer | None = None
    wage: Money
    withheld_tax: Money


class TaxYear(Record):
    source_ref: SourceRef
    year: int = Field(ge=2000, le=2100)
    verzamelinkomen: Money
    box1_income: Money
    box2_income: Money | None = None
    box3_income: Money | None = None
    business_profit: Money | None = Field(default=None, description="Winst uit onderneming (self-employed)")
    wages: list[WageStatement] = Field(default_factory=list)
    fiscal_partner_bsn: Bsn | None = None


AllowanceKind = Literal["zorgtoeslag", "huurtoeslag", "kindgebonden_budget", "kinderopvangtoeslag"]


class Allowance(Record):
    source_ref: SourceRef
    kind: AllowanceKind
    year: int = Field(ge=2000, le=2100)
    monthly_amount: Money = Field(ge=0)
    status: Literal["voorschot", "definitief"]
    assessment_income: Money | None = Field(default=None, description="Toetsingsinkomen used")
    monthly_rent: Money | None = Field(default=None, description="Huurtoeslag only: the rent")


class Incomes(Record):
    relations: list[IncomeRelation] = Field(default_factory=list)
    tax_years: list[TaxYear] = Field(default_factory=list)
    allowances: list[Allowance] = Field(default_factory=list)
