"""JSON and XML documents are bounded before they are parsed: values, elements, attributes, number lengths.

The parsed tree costs 25 to 75 bytes and up to 5 us of reading per value or element, so a 1 MB document of
empty objects or elements cost 25 to 75 MiB and up to 1.4 s before these counts (20 MB: twenty times that).
Each refusal here must come before the parse: quickly and without building the tree.
"""

from __future__ import annotations

import time
import tracemalloc
from collections.abc import Callable

import pytest

from databrug.records import DocumentType
from databrug.sources.belastingdienst.xml_elements import MAX_TEXT
from databrug.sources.connectors import all_parsers, by_document_type
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import (
    MAX_JSON_NUMBER_CHARS,
    MAX_JSON_VALUES,
    MAX_XML_ATTRIBUTES,
    MAX_XML_ELEMENTS,
    ParseContext,
)

JSON_TYPES: tuple[DocumentType, ...] = (
    "toeslagen",
    "brp-persoon",
    "woz-objecten",
    "voertuigen",
    "pensioenoverzicht",
)
XML_ROOTS: dict[DocumentType, bytes] = {
    "belastinggegevens": b"via",
    "pensioenoverzicht": b"Pensioenaanspraken",
}


@pytest.fixture(autouse=True, scope="module")
def parsers_imported() -> None:
    all_parsers()  # imports are not the refusal's cost


def refusal(document_type: DocumentType, data: bytes) -> DocumentInvalid:
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(DocumentInvalid) as caught:
            by_document_type(document_type).parse(data, ParseContext())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 0.1
    assert peak < 2 * len(data) + 1024 * 1024  # the text of the document at most, never its tree
    return caught.value


def json_with(member: bytes) -> bytes:
    return b'{"StatusCode": "000", "toeslagen": [], "x": ' + member + b"}"


def xml_with(root: bytes, body: bytes) -> bytes:
    return b'<?xml version="1.0" encoding="UTF-8"?><' + root + b">" + body + b"</" + root + b">"


JSON_FLOODS: dict[str, Callable[[int], bytes]] = {
    "empty objects": lambda n: json_with(b"[" + b"{}," * n + b"{}]"),
    "empty arrays": lambda n: json_with(b"[" + b"[]," * n + b"[]]"),
    "numbers": lambda n: json_with(b"[" + b"1e1," * n + b"1]"),
    "members": lambda n: json_with(b"{" + b",".join(b'"%d":0' % i for i in range(n)) + b"}"),
}


@pytest.mark.parametrize("flood", JSON_FLOODS)
@pytest.mark.parametrize("document_type", JSON_TYPES)
def test_json_with_more_values_than_the_limit_is_refused_before_parsing(
    document_type: DocumentType, flood: str
) -> None:
    error = refusal(document_type, JSON_FLOODS[flood](MAX_JSON_VALUES))
    assert error.expected == f"at most {MAX_JSON_VALUES} JSON values (members and items)"


@pytest.mark.parametrize(
    "number", [b"1" * (MAX_JSON_NUMBER_CHARS + 1), b"1." + b"5" * 1_000_000, b"-" + b"9" * 4000]
)
@pytest.mark.parametrize("document_type", JSON_TYPES)
def test_json_numbers_longer_than_the_limit_are_refused(document_type: DocumentType, number: bytes) -> None:
    error = refusal(document_type, json_with(number))
    assert error.expected == f"JSON numbers of at most {MAX_JSON_NUMBER_CHARS} characters"
    assert "5555" not in str(error)


@pytest.mark.parametrize("document_type", JSON_TYPES)
def test_json_numbers_up_to_the_limit_are_read(document_type: DocumentType) -> None:
    expected = ""
    try:
        by_document_type(document_type).parse(json_with(b"1" * MAX_JSON_NUMBER_CHARS), ParseContext())
    except DocumentInvalid as error:  # refused for what the document lacks, not for its number
        expected = error.expected
    assert "numbers" not in expected


XML_FLOODS: dict[str, tuple[Callable[[int], bytes], str]] = {
    "empty elements": (lambda n: b"<a/>" * n, f"at most {MAX_XML_ELEMENTS} elements"),
    "nested pairs": (lambda n: b"<a><b/></a>" * (n // 2), f"at most {MAX_XML_ELEMENTS} elements"),
    "distinct names": (
        lambda n: b"".join(b"<n%d/>" % i for i in range(n)),
        f"at most {MAX_XML_ELEMENTS} elements",
    ),
}


@pytest.mark.parametrize("flood", XML_FLOODS)
@pytest.mark.parametrize("document_type", XML_ROOTS)
def test_xml_with_more_elements_than_the_limit_is_refused_before_parsing(
    document_type: DocumentType, flood: str
) -> None:
    build, expected = XML_FLOODS[flood]
    error = refusal(document_type, xml_with(XML_ROOTS[document_type], build(2 * MAX_XML_ELEMENTS + 2)))
    assert (error.location, error.expected) == ("document", expected)


@pytest.mark.parametrize("document_type", XML_ROOTS)
def test_xml_with_more_attributes_than_the_limit_is_refused_before_parsing(
    document_type: DocumentType,
) -> None:
    attributes = b" ".join(b'x%d=""' % i for i in range(MAX_XML_ATTRIBUTES + 1))
    error = refusal(document_type, xml_with(XML_ROOTS[document_type], b"<a " + attributes + b"/>"))
    assert (error.location, error.expected) == ("document", f"at most {MAX_XML_ATTRIBUTES} attributes")


def test_a_belastingdienst_value_longer_than_the_limit_is_refused_at_its_element() -> None:
    via = (
        b"<via><belastingjaar><jaar>2026</jaar><inkomenLoondienst><inhoudingsplichtige><naam>"
        + b"N" * (MAX_TEXT + 1)
        + b"</naam><loon>20100</loon><ingehoudenLoonheffing>1320</ingehoudenLoonheffing>"
        + b"</inhoudingsplichtige></inkomenLoondienst></belastingjaar></via>"
    )
    with pytest.raises(DocumentInvalid) as caught:
        by_document_type("belastinggegevens").parse(via, ParseContext())
    assert caught.value.location == "/via/belastingjaar[1]/inkomenLoondienst/inhoudingsplichtige[1]/naam"
    assert caught.value.expected == f"a value of at most {MAX_TEXT} characters"
    assert "NNNN" not in str(caught.value)
    within = via.replace(b"N" * (MAX_TEXT + 1), b"N" * MAX_TEXT)
    by_document_type("belastinggegevens").parse(within, ParseContext())  # read, not refused


def test_json_nested_too_deep_is_located_and_a_wide_document_checked_quickly() -> None:
    nested = b'{"type": "RaadpleegMetBurgerservicenummer", "personen": [' + b"[" * 40 + b"]" * 40 + b"]}"
    with pytest.raises(DocumentInvalid) as caught:
        by_document_type("brp-persoon").parse(nested, ParseContext())
    assert caught.value.location.startswith("$.personen[0]")
    # the depth check builds no path for a document within the limits
    wide = b'{"type": "x", "personen": [' + b"[1]," * (MAX_JSON_VALUES // 3) + b"[1]]}"
    tracemalloc.start()
    started = time.process_time()
    try:
        with pytest.raises(DocumentInvalid):
            by_document_type("brp-persoon").parse(wide, ParseContext())
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 0.5
    assert peak < 16 * 1024 * 1024
