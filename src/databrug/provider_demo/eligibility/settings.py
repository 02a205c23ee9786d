"""A municipality's Gemeentepolis parameters (the admin screen edits these)."""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field

HomeEquityRule = Literal["exempt", "above_exemption", "counted"]
CheckTiming = Literal["before", "after"]


class MunicipalitySettings(BaseModel):
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
    check_timing: CheckTiming = "before"


DEFAULT_SETTINGS = MunicipalitySettings()
