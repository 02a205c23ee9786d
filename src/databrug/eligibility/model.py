"""The advice and its whole computation as one structured, JSON-serialisable object the dossier renders."""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

Outcome = Literal["grant", "reject", "investigate"]
Role = Literal["applicant", "partner"]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class Finding(_Model):
    """A reason for the outcome. ``code`` is stable (translated in the dossier); no personal data inside."""

    code: str
    role: Role | None = None
    detail: str | None = None


class HouseholdFacts(_Model):
    kind: Literal["alleenstaande", "alleenstaande_ouder", "gehuwden"]
    aow: bool = Field(description="The AOW-age norm applies (someone in the household reached the AOW age)")
    partner_declared: bool
    partner_delivered: bool
    partner_in_brp: bool
    declared_children: int
    children_at_home: int = Field(description="Children under 18 in the BRP data")
    ages: dict[str, int]


class PeriodUsed(_Model):
    start: date
    end: date
    amount: Decimal


class IncomeItem(_Model):
    role: Role
    category: Literal["employment", "benefit", "business_profit", "state_pension", "pension", "allowance"]
    label: str
    monthly_gross: Decimal
    counted: bool
    reason: str = Field(description="Why counted or excluded, as a code")
    source_ref: str | None = None
    periods: list[PeriodUsed] = Field(default_factory=list)
    four_weekly: bool = False
    projected: bool = False


class NetEstimate(_Model):
    """Estimated 2026 loonheffing on a year of this income; an estimate, not the payslip's figure."""

    annual_gross: Decimal
    annual_labour: Decimal
    aow: bool
    bracket_tax: Decimal
    general_credit: Decimal
    labour_credit: Decimal
    elderly_credit: Decimal
    tax_due: Decimal
    net_annual: Decimal
    net_monthly: Decimal


class PersonIncome(_Model):
    role: Role
    age: int | None
    aow: bool
    gross_monthly: Decimal
    labour_monthly: Decimal
    net: NetEstimate
    items: list[IncomeItem]


class IncomeTest(_Model):
    norm_including_holiday_allowance: Decimal
    norm_applied: Decimal
    includes_holiday_allowance: bool
    percentage: Decimal
    limit: Decimal
    household_gross_monthly: Decimal
    household_net_monthly: Decimal
    passed: bool


class AssetItem(_Model):
    role: Role | None
    category: Literal["bank", "home_equity", "vehicle"]
    label: str
    amount: Decimal | None
    counted_amount: Decimal
    reason: str
    source_ref: str | None = None


class AssetTest(_Model):
    applied: bool
    home_equity_rule: str
    home_equity_exemption: Decimal
    limit: Decimal
    total_counted: Decimal
    items: list[AssetItem]
    passed: bool


class Advice(_Model):
    outcome: Outcome
    reasons: list[Finding]
    reference_date: date
    norms_year: int
    household: HouseholdFacts
    persons: list[PersonIncome]
    income_test: IncomeTest
    asset_test: AssetTest
    sources: list[str] = Field(description="Where the norms and tax figures come from")
