"""A municipality's Gemeentepolis settings (the admin screen edits these): the rule's parameters, the timing
of the check, and whether the broker sends the data or only its signed outcome of the rule."""

from __future__ import annotations

from typing import Literal

from databrug.eligibility import RuleParameters

CheckTiming = Literal["before", "after"]
Delivery = Literal["data", "outcome"]


class MunicipalitySettings(RuleParameters):
    check_timing: CheckTiming = "before"
    delivery: Delivery = "data"
    """"outcome": the session asks the broker for the rule's signed outcome instead of the data."""

    def rule_parameters(self) -> RuleParameters:
        """Only the rule's parameters (what an outcome session sends the broker)."""
        return RuleParameters.model_validate(self.model_dump(include=set(RuleParameters.model_fields)))


DEFAULT_SETTINGS = MunicipalitySettings()
