"""Gemeentepolis eligibility: pure functions from a data package + declaration + settings to an advice."""

from databrug.provider_demo.eligibility.advice import assess
from databrug.provider_demo.eligibility.household import Declaration
from databrug.provider_demo.eligibility.model import Advice
from databrug.provider_demo.eligibility.norms import Norms, load_norms
from databrug.provider_demo.eligibility.settings import DEFAULT_SETTINGS, MunicipalitySettings

__all__ = [
    "DEFAULT_SETTINGS",
    "Advice",
    "Declaration",
    "MunicipalitySettings",
    "Norms",
    "assess",
    "load_norms",
]
