"""What a household should look like, before the details are drawn.

A ``HouseholdPlan`` fixes the case (who lives there, how they earn, how they live); the generator then
fills in names, addresses, amounts and numbers from a seeded ``random.Random``. The named catalogue
writes plans by hand; ``generate_household`` draws one from the seed.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

IncomeKind = Literal[
    "employed",  # one employer during the whole window
    "job_change",  # a new employer during the window
    "ww",  # lost a job during the window, WW benefit since
    "wia",  # WIA benefit for the whole window, sometimes with part-time work
    "bijstand",  # municipal benefit (Participatiewet)
    "self_employed",  # only visible in tax data
    "retired",  # AOW and pensions being paid
    "none",  # no income of their own
]
WageLevel = Literal["minimum", "low", "median", "high"]
Savings = Literal["none", "low", "medium", "high"]
Housing = Literal["owner", "social_rent", "private_rent"]
PartnerKind = Literal["gehuwd", "geregistreerd", "samenwonend", "none"]


@dataclass(frozen=True)
class AdultPlan:
    gender: Literal["man", "vrouw"]
    age: int  # whole years at the household's reference date
    income: IncomeKind
    wage_level: WageLevel = "median"
    part_time: bool = False
    four_weekly: bool = False  # paid per four weeks (for job_change: the new employer)
    company_car: bool = False
    on_call: bool = False  # works via a temp agency on an on-call contract
    second_job: bool = False  # employed: a small second job at another employer at the same time
    full_disability: bool = False  # wia: IVA (fully and lastingly disabled) instead of WGA
    tw_supplement: bool = False  # ww: a Toeslagenwet supplement from UWV on top of the WW
    pension_schemes: int = 1  # 0..12, including indicative (DC) schemes
    indicative_schemes: int = 0
    savings: Savings = "low"
    vehicles: int = 0
    sms_enabled: bool = True
    born_abroad: bool = False
    divorced: bool = False  # has a dissolved marriage in the BRP


@dataclass(frozen=True)
class HouseholdPlan:
    applicant: AdultPlan
    partner: AdultPlan | None = None
    partner_kind: PartnerKind = "none"
    children: int = 0
    housing: Housing = "social_rent"
    home_value: Literal["low", "median", "high"] = "median"
    mortgage_share: float = 0.7  # of the current WOZ value, for owners
    city: int | None = None  # index into the city list; None = drawn

    def __post_init__(self) -> None:
        if (self.partner is None) != (self.partner_kind == "none"):
            raise ValueError("a partner needs a partner kind, and a partner kind needs a partner")
        if not 0 <= self.children <= 4:
            raise ValueError("a household has 0 to 4 children")
