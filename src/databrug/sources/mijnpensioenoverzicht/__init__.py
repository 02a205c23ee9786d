"""Mijnpensioenoverzicht: the pension overview download (XML or JSON) → AOW, schemes, survivor pensions."""

from databrug.sources.mijnpensioenoverzicht.parser import PARSER, MijnpensioenoverzichtParser

__all__ = ["PARSER", "MijnpensioenoverzichtParser"]
