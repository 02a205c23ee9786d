"""The one hardened reader per serialisation: the same behaviour whichever parser reads the bytes.

DOCTYPE/ENTITY, depth, duplicate keys, byte order mark, encodings, sizes, the raw-byte counts and located
errors are checked once on the readers, then against every JSON and every XML parser.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, NoReturn

import pytest

from databrug.sources.connectors import by_document_type
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER_CHARS,
    MAX_JSON_VALUES,
    MAX_XML_ATTRIBUTES,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    ParseContext,
    Parser,
)
from databrug.sources.reading.json import read_json
from databrug.sources.reading.xml import NO_DOCTYPE, read_xml

GOLDEN = Path(__file__).parents[2] / "golden"
UTF8_BOM = b"\xef\xbb\xbf"

JSON_SAMPLES = {
    "brp-persoon": GOLDEN / "mijnoverheid" / "brp-sandbox-suzanne.json",
    "woz-objecten": GOLDEN / "mijnoverheid" / "woz-sandbox-suzanne.json",
    "voertuigen": GOLDEN / "mijnoverheid" / "vehicles-sandbox.json",
    "toeslagen": GOLDEN / "belastingdienst" / "all-kinds.toeslagen.json",
    "pensioenoverzicht": GOLDEN / "mpo" / "handwritten-minimal.json",
}
XML_SAMPLES = {
    "belastinggegevens": GOLDEN / "belastingdienst" / "sandbox-single-renter.via.xml",
    "pensioenoverzicht": GOLDEN / "mpo" / "handwritten-namespaced.xml",
}


def fail(location: str, expected: str) -> NoReturn:
    raise DocumentInvalid(None, None, location, expected)


def json_refusal(data: bytes) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        read_json(data, fail)
    return caught.value


def xml_refusal(data: bytes) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        read_xml(data, fail)
    return caught.value


def parse(document_type: str, data: bytes) -> Any:
    parser: Parser = by_document_type(document_type)  # type: ignore[arg-type]
    return parser.parse(data, ParseContext(subject_bsn="999993653"))


def parser_refusal(document_type: str, data: bytes) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        parse(document_type, data)
    return caught.value


# ---------------------------------------------------------------- JSON


def test_json_values_come_as_decimals_and_ints() -> None:
    assert read_json(b'{"a": [1, 2.50, "x", true, null]}', fail) == {
        "a": [1, __import__("decimal").Decimal("2.50"), "x", True, None]
    }


@pytest.mark.parametrize(
    ("data", "location", "expected"),
    [
        (b'{"a": 1, "a": 2}', "$", "each key at most once per object"),
        (b'{"a": {"b": 1, "b": 1}}', "$", "each key at most once per object"),
        (b'{"a": NaN}', "$", "JSON without NaN or Infinity, with numbers in range"),
        (b'{"a": 1e+3030830830830830830}', "$", "JSON without NaN or Infinity, with numbers in range"),
        (
            b'{"a": ' + b"1" * (MAX_JSON_NUMBER_CHARS + 1) + b"}",
            "$",
            f"JSON numbers of at most {MAX_JSON_NUMBER_CHARS} characters",
        ),
        (b"[" * 20_000 + b"]" * 20_000, "$", f"JSON nested at most {MAX_JSON_DEPTH} levels deep"),
        (
            b"[" + b"0," * MAX_JSON_VALUES + b"0]",
            "$",
            f"at most {MAX_JSON_VALUES} JSON values (members and items)",
        ),
        (b'"' + b" " * MAX_DOCUMENT_BYTES + b'"', "$", f"at most {MAX_DOCUMENT_BYTES} bytes"),
        ('{"a": "é"}'.encode("latin-1"), "byte 7", "UTF-8 text"),
        (UTF8_BOM + '{"a": "é"}'.encode("latin-1"), "byte 10", "UTF-8 text"),
        ('{"a": 1}'.encode("utf-16"), "byte 0", "UTF-8 text"),
    ],
    ids=[
        "duplicate",
        "nested-duplicate",
        "nan",
        "exponent",
        "long-number",
        "deep",
        "values",
        "size",
        "latin-1",
        "latin-1-after-bom",
        "utf-16",
    ],
)
def test_json_refusals_are_located(data: bytes, location: str, expected: str) -> None:
    error = json_refusal(data)
    assert (error.location, error.expected) == (location, expected)


def test_json_nesting_just_over_the_limit_names_the_place() -> None:
    at_limit = b'{"a":' * (MAX_JSON_DEPTH - 1) + b"1" + b"}" * (MAX_JSON_DEPTH - 1)
    assert read_json(at_limit, fail) is not None  # the innermost value sits MAX_JSON_DEPTH deep: read
    error = json_refusal(b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1))
    assert error.location == "$" + ".a" * MAX_JSON_DEPTH


@pytest.mark.parametrize(
    ("data", "refused"),
    [
        pytest.param(b'{"a":"' + b"[" * 100 + b'"}', False, id="brackets-inside-a-string"),
        pytest.param(
            b'["' + b"]" * 100 + b'",' + b"[" * 20 + b"]" * 20 + b"]", False, id="closers-in-a-string"
        ),
        pytest.param(b'["\\\\",' + b"[" * 40 + b"1" + b"]" * 40 + b"]", True, id="deep-after-an-escape"),
        pytest.param(
            b'{"\\"":' + b"[" * 40 + b"1" + b"]" * 40 + b"}", True, id="deep-after-an-escaped-quote"
        ),
        pytest.param(b"[" * MAX_JSON_DEPTH + b"]" * MAX_JSON_DEPTH, False, id="empty-container-at-the-limit"),
        pytest.param(b"[" * MAX_JSON_DEPTH + b"1" + b"]" * MAX_JSON_DEPTH, True, id="value-past-the-limit"),
        pytest.param(
            b'[{"k":"]]]]"},' + b"[" * 40 + b"]" * 40 + b"]", True, id="deep-beside-closers-in-a-string"
        ),
    ],
)
def test_json_depth_is_judged_on_the_containers_not_on_brackets_in_strings(
    data: bytes, refused: bool
) -> None:
    # the quick count of brackets between strings and the walk over the parsed tree must agree
    if refused:
        assert json_refusal(data).expected == f"JSON nested at most {MAX_JSON_DEPTH} levels deep"
    else:
        assert read_json(data, fail) == json.loads(data)


def test_json_syntax_errors_give_line_and_column_not_the_text() -> None:
    error = json_refusal(b'{\n  "a": GEHEIM}')
    assert error.location == "line 2, column 8"
    assert "GEHEIM" not in str(error)


def test_json_accepts_a_utf8_byte_order_mark() -> None:
    assert read_json(UTF8_BOM + b'{"a": 1}', fail) == {"a": 1}


@pytest.mark.parametrize("document_type", sorted(JSON_SAMPLES))
def test_every_json_parser_accepts_a_byte_order_mark(document_type: str) -> None:
    data = JSON_SAMPLES[document_type].read_bytes()
    with_bom = parse(document_type, UTF8_BOM + data)
    without = parse(document_type, data)
    assert with_bom.subject == without.subject


@pytest.mark.parametrize("document_type", sorted(JSON_SAMPLES))
def test_every_json_parser_refuses_duplicate_keys(document_type: str) -> None:
    data = JSON_SAMPLES[document_type].read_bytes().strip()
    first_key = next(iter(json.loads(data)))
    doubled = data[:-1] + b", " + json.dumps(first_key).encode() + b": null}"
    error = parser_refusal(document_type, doubled)
    assert (error.location, error.expected) == ("$", "each key at most once per object")
    assert error.document_type == document_type


@pytest.mark.parametrize("document_type", sorted(JSON_SAMPLES))
def test_every_json_parser_refuses_the_same_way(document_type: str) -> None:
    deep = b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    assert parser_refusal(document_type, deep).expected == f"JSON nested at most {MAX_JSON_DEPTH} levels deep"
    assert parser_refusal(document_type, b'{"a": NaN}').location == "$"
    assert parser_refusal(document_type, b'{"a": [1, 2').location.startswith("line 1, column ")


# ---------------------------------------------------------------- XML


DOCTYPES = [
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY x "y">]><r>&x;</r>',
    '<?xml version="1.0"?><!DOCTYPE r SYSTEM "http://127.0.0.1:9/r.dtd"><r/>',
    '<?xml version="1.0"?><!DOCTYPE r [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><r/>',
]


@pytest.mark.parametrize("document", DOCTYPES, ids=["internal-entity", "external-dtd", "parameter-entity"])
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16", "utf-16-be"])
def test_xml_doctype_is_refused_before_parsing(document: str, encoding: str) -> None:
    if encoding != "utf-8":
        document = document.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    data = document.encode(encoding)
    if encoding == "utf-16-be":
        data = b"\xfe\xff" + data
    error = xml_refusal(data)
    assert (error.location, error.expected) == ("document", NO_DOCTYPE)


@pytest.mark.parametrize(
    ("data", "location", "expected"),
    [
        (b"", "document", "an XML document, got an empty file"),
        (b" \n", "document", "an XML document, got an empty file"),
        ("<r/>".encode("utf-16-le"), "byte 0", "UTF-8, or UTF-16 that starts with a byte order mark"),
        ("<r/>".encode("utf-16-be"), "byte 0", "UTF-8, or UTF-16 that starts with a byte order mark"),
        (
            b"<r>" + b"<a/>" * MAX_XML_ELEMENTS * 2 + b"</r>",
            "document",
            f"at most {MAX_XML_ELEMENTS} elements",
        ),
        (
            b"<r " + b" ".join(b"a%d='1'" % i for i in range(MAX_XML_ATTRIBUTES + 1)) + b"/>",
            "document",
            f"at most {MAX_XML_ATTRIBUTES} attributes",
        ),
        (b"<r>" + b" " * MAX_DOCUMENT_BYTES + b"</r>", "document", f"at most {MAX_DOCUMENT_BYTES} bytes"),
        (b"<r><a>GEHEIM</b></r>", "line 1, column 17", "well-formed XML"),
    ],
    ids=[
        "empty",
        "blank",
        "utf-16-le-without-bom",
        "utf-16-be-without-bom",
        "elements",
        "attributes",
        "size",
        "syntax",
    ],
)
def test_xml_refusals_are_located(data: bytes, location: str, expected: str) -> None:
    error = xml_refusal(data)
    assert (error.location, error.expected) == (location, expected)
    assert "GEHEIM" not in str(error)


def test_xml_nesting_just_over_the_limit_names_the_place() -> None:
    at_limit = b"<r>" + b"<a>" * (MAX_XML_DEPTH - 1) + b"</a>" * (MAX_XML_DEPTH - 1) + b"</r>"
    assert read_xml(at_limit, fail).tag == "r"
    error = xml_refusal(b"<r>" + b"<a>" * MAX_XML_DEPTH + b"</a>" * MAX_XML_DEPTH + b"</r>")
    assert error.location == "/r" + "/a" * MAX_XML_DEPTH
    assert error.expected == f"XML nested at most {MAX_XML_DEPTH} levels deep"


@pytest.mark.parametrize(
    "data",
    [
        b'<?xml version="1.0" encoding="UTF-8"?><r>\xc3\xa9</r>',
        UTF8_BOM + b"<r>\xc3\xa9</r>",
        '<?xml version="1.0" encoding="UTF-16"?><r>é</r>'.encode("utf-16"),
        '<?xml version="1.0" encoding="ISO-8859-1"?><r>é</r>'.encode("latin-1"),  # the VIA may declare it
    ],
    ids=["utf-8", "utf-8-bom", "utf-16-bom", "declared-latin-1"],
)
def test_xml_encodings_that_are_read(data: bytes) -> None:
    assert read_xml(data, fail).text == "é"


def test_xml_bytes_that_do_not_match_the_declared_encoding_are_a_syntax_error() -> None:
    assert xml_refusal("<r>é</r>".encode("latin-1")).location.startswith("line 1, column ")


def test_xml_comments_and_processing_instructions_are_dropped() -> None:
    root = read_xml(b"<r><!-- c --><?pi x?><a/></r>", fail)
    assert [child.tag for child in root] == ["a"]


@pytest.mark.parametrize("document_type", sorted(XML_SAMPLES))
def test_every_xml_parser_accepts_a_byte_order_mark(document_type: str) -> None:
    data = XML_SAMPLES[document_type].read_bytes()
    assert parse(document_type, UTF8_BOM + data).subject == parse(document_type, data).subject


@pytest.mark.parametrize(
    ("document_type", "root"), [("belastinggegevens", "via"), ("pensioenoverzicht", "P")]
)
def test_every_xml_parser_refuses_the_same_way(document_type: str, root: str) -> None:
    root = "Pensioenaanspraken" if root == "P" else root
    data = XML_SAMPLES[document_type].read_bytes()
    head, _, rest = data.partition(b"?>")
    with_doctype = head + b"?><!DOCTYPE x [<!ENTITY e 'e'>]>" + rest
    assert parser_refusal(document_type, with_doctype).expected == NO_DOCTYPE
    depth = MAX_XML_DEPTH
    deep = f"<{root}>{'<a>' * depth}{'</a>' * depth}</{root}>".encode()
    error = parser_refusal(document_type, deep)
    assert (error.location, error.expected) == (
        f"/{root}" + "/a" * depth,
        f"XML nested at most {MAX_XML_DEPTH} levels deep",
    )
    assert parser_refusal(document_type, data[: len(data) // 2]).location.startswith("line ")
