"""Inputs the parser fuzzer (bench/fuzz_parsers.py) found crashing in a sibling parser, kept here too."""

from __future__ import annotations

import pytest

from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnpensioenoverzicht.parser_pensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext


def test_an_exponent_beyond_decimal_range_is_a_located_error() -> None:
    # The same json.loads(parse_float=Decimal) call as in the toeslagen and MijnOverheid parsers, where the
    # fuzzer found decimal.InvalidOperation (seed 3, input 25920) escaping.
    document = b'{"Pensioenaanspraken": {"Totalen": {"x": 1e+3030830830830830830}}}'
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(document, ParseContext())
    assert (caught.value.location, caught.value.expected.endswith("with numbers in range")) == ("$", True)
