"""Belastingdienst connector: income tax data (VIA download, XML) and allowances (Mijn toeslagen, JSON)."""

from databrug.sources.belastingdienst.client import BelastingdienstClient
from databrug.sources.belastingdienst.parser_belastinggegevens import PARSER as BELASTINGGEGEVENS_PARSER
from databrug.sources.belastingdienst.parser_belastinggegevens import BelastinggegevensParser
from databrug.sources.belastingdienst.parser_toeslagen import PARSER as TOESLAGEN_PARSER
from databrug.sources.belastingdienst.parser_toeslagen import ToeslagenParser

__all__ = [
    "BELASTINGGEGEVENS_PARSER",
    "TOESLAGEN_PARSER",
    "BelastingdienstClient",
    "BelastinggegevensParser",
    "ToeslagenParser",
]
