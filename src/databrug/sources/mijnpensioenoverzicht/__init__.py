"""Mijnpensioenoverzicht: the pension overview download (XML or JSON) → AOW, schemes, survivor pensions."""

from databrug.sources.mijnpensioenoverzicht.parser_pensioenoverzicht import (
    PARSER,
    MijnpensioenoverzichtParser,
)

__all__ = ["PARSER", "MijnpensioenoverzichtParser"]
