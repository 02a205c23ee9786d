"""Gemeentepolis eligibility: pure functions from a data package + declaration + rule parameters to an advice.

One implementation, shared by the broker (outcome-only delivery) and the demo provider (its own advice).
"""

from databrug.eligibility.advice import assess
from databrug.eligibility.household import Declaration
from databrug.eligibility.model import Advice, Finding, Outcome
from databrug.eligibility.norms import Norms, load_norms
from databrug.eligibility.parameters import (
    DEFAULT_PARAMETERS,
    RULE_ID,
    RULE_VERSION,
    HomeEquityRule,
    RuleParameters,
)

__all__ = [
    "DEFAULT_PARAMETERS",
    "RULE_ID",
    "RULE_VERSION",
    "Advice",
    "Declaration",
    "Finding",
    "HomeEquityRule",
    "Norms",
    "Outcome",
    "RuleParameters",
    "assess",
    "load_norms",
]
