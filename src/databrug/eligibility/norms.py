"""The yearly figures (bijstandsnormen, asset limits, wage-tax rules) read from ``data/norms_<year>.yaml``.

The numbers live in a data file with their sources so next year's update is a data change, not a code change.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from functools import cache
from importlib import resources
from typing import Any

import yaml

from databrug.eligibility.household import HouseholdKind


@dataclass(frozen=True)
class Bracket:
    upto: Decimal | None
    rate: Decimal
    rate_aow: Decimal


@dataclass(frozen=True)
class LabourCreditStep:
    start: Decimal
    base: Decimal
    rate: Decimal
    base_aow: Decimal
    rate_aow: Decimal


@dataclass(frozen=True)
class TaxRules:
    source: str
    brackets: tuple[Bracket, ...]
    general_max: Decimal
    general_max_aow: Decimal
    general_phase_out_from: Decimal
    general_phase_out_rate: Decimal
    general_phase_out_rate_aow: Decimal
    labour_steps: tuple[LabourCreditStep, ...]
    elderly_max: Decimal
    elderly_phase_out_from: Decimal
    elderly_phase_out_rate: Decimal


@dataclass(frozen=True)
class Norms:
    year: int
    valid_from: str
    aow_age_months: int
    aow_age_source: str
    bijstandsnormen: dict[str, Decimal]
    bijstandsnormen_source: str
    holiday_allowance_share: Decimal
    asset_limits: dict[HouseholdKind, Decimal]
    home_equity_exemption: Decimal
    asset_limits_source: str
    tax: TaxRules

    def norm(self, kind: HouseholdKind, aow: bool) -> Decimal:
        return self.bijstandsnormen[f"{kind}_aow" if aow else kind]


def _d(value: Any) -> Decimal:
    return Decimal(str(value))


def _tax(raw: dict[str, Any]) -> TaxRules:
    general = raw["general_credit"]
    elderly = raw["elderly_credit"]
    return TaxRules(
        source=" ".join(str(raw["source"]).split()),
        brackets=tuple(
            Bracket(
                upto=None if b["upto"] is None else _d(b["upto"]),
                rate=_d(b["rate"]),
                rate_aow=_d(b["rate_aow"]),
            )
            for b in raw["brackets"]
        ),
        general_max=_d(general["max"]),
        general_max_aow=_d(general["max_aow"]),
        general_phase_out_from=_d(general["phase_out_from"]),
        general_phase_out_rate=_d(general["phase_out_rate"]),
        general_phase_out_rate_aow=_d(general["phase_out_rate_aow"]),
        labour_steps=tuple(
            LabourCreditStep(
                start=_d(s["from"]),
                base=_d(s["base"]),
                rate=_d(s["rate"]),
                base_aow=_d(s["base_aow"]),
                rate_aow=_d(s["rate_aow"]),
            )
            for s in raw["labour_credit"]
        ),
        elderly_max=_d(elderly["max"]),
        elderly_phase_out_from=_d(elderly["phase_out_from"]),
        elderly_phase_out_rate=_d(elderly["phase_out_rate"]),
    )


def parse_norms(raw: dict[str, Any]) -> Norms:
    age = raw["aow_age"]
    limits = raw["asset_limits"]
    return Norms(
        year=int(raw["year"]),
        valid_from=str(raw["valid_from"]),
        aow_age_months=int(age["years"]) * 12 + int(age.get("months", 0)),
        aow_age_source=" ".join(str(raw["aow_age_source"]).split()),
        bijstandsnormen={k: _d(v) for k, v in raw["bijstandsnormen"].items()},
        bijstandsnormen_source=" ".join(str(raw["bijstandsnormen_source"]).split()),
        holiday_allowance_share=_d(raw["holiday_allowance_share"]),
        asset_limits={
            "alleenstaande": _d(limits["alleenstaande"]),
            "alleenstaande_ouder": _d(limits["alleenstaande_ouder"]),
            "gehuwden": _d(limits["gehuwden"]),
        },
        home_equity_exemption=_d(raw["home_equity_exemption"]),
        asset_limits_source=" ".join(str(raw["asset_limits_source"]).split()),
        tax=_tax(raw["tax"]),
    )


@cache
def load_norms(year: int = 2026) -> Norms:
    text = resources.files("databrug.eligibility").joinpath(f"data/norms_{year}.yaml").read_text("utf-8")
    return parse_norms(yaml.safe_load(text))
