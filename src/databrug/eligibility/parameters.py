"""The Gemeentepolis rule's parameters: what a municipality (or a session asking for the outcome) chooses."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

RULE_ID = "gemeentepolis-toets"
RULE_VERSION = "1.0"

HomeEquityRule = Literal["exempt", "above_exemption", "counted"]


class RuleParameters(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    percentage: Decimal = Field(default=Decimal(120), ge=100, le=200, description="% of the bijstandsnorm")
    includes_holiday_allowance: bool = Field(
        default=False, description="The limit is the norm including vakantietoeslag (else × 0.95)"
    )
    asset_test: bool = True
    asset_limit_single: Decimal | None = Field(default=None, ge=0, description="None: the bijstand limit")
    asset_limit_family: Decimal | None = Field(
        default=None, ge=0, description="Couples and single parents; None: the bijstand limit"
    )
    home_equity_rule: HomeEquityRule = "above_exemption"


DEFAULT_PARAMETERS = RuleParameters()
