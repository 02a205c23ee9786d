"""Hostile and broken input: only ``DocumentInvalid`` escapes, located, bounded, and never quoting a value."""

from __future__ import annotations

import json
import time
from collections.abc import Iterator

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from tests.unit.sources.belastingdienst import belastingdienst_citizens

from databrug.sources.belastingdienst import BELASTINGGEGEVENS_PARSER, TOESLAGEN_PARSER
from databrug.sources.belastingdienst.xml_elements import MAX_REPEATS
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, MAX_XML_DEPTH, MAX_XML_ELEMENTS, ParseContext
from databrug_sandbox.documents.belastingdienst import render_belastinggegevens, render_toeslagen

CONTEXT = ParseContext(filename="upload.xml")
SECRET = "GEHEIM4711"  # planted in bad values: must never appear in an error


def via_error(data: bytes) -> DocumentInvalid:
    started = time.perf_counter()
    with pytest.raises(DocumentInvalid) as caught:
        BELASTINGGEGEVENS_PARSER.parse(data, CONTEXT)
    assert time.perf_counter() - started < 1.0, "hostile input must be refused quickly"
    error = caught.value
    assert error.source == "belastingdienst"
    assert error.document_type == "belastinggegevens"
    assert error.filename == "upload.xml"
    assert SECRET not in str(error)
    return error


def toeslagen_error(data: bytes) -> DocumentInvalid:
    started = time.perf_counter()
    with pytest.raises(DocumentInvalid) as caught:
        TOESLAGEN_PARSER.parse(data, ParseContext())
    assert time.perf_counter() - started < 1.0, "hostile input must be refused quickly"
    assert caught.value.document_type == "toeslagen"
    assert SECRET not in str(caught.value)
    return caught.value


def via(years: str) -> bytes:
    return f'<?xml version="1.0" encoding="UTF-8"?><via xmlns="urn:x">{years}</via>'.encode()


def year(body: str, jaar: str = "2025") -> str:
    return f"<belastingjaar><jaar>{jaar}</jaar>{body}</belastingjaar>"


def account(saldo: str = "10", iban: str = "NL91ABNA0417164300", extra: str = "") -> str:
    return (
        f"<bankrekeningen><bankrekening><iban>{iban}</iban><saldo>{saldo}</saldo>{extra}"
        "</bankrekening></bankrekeningen>"
    )


# ---------------------------------------------------------------- entities, DTDs, nesting, size

BILLION_LAUGHS = """<?xml version="1.0"?>
<!DOCTYPE via [
 <!ENTITY a "GEHEIM4711GEHEIM4711">
 <!ENTITY b "&a;&a;&a;&a;&a;&a;&a;&a;&a;&a;">
 <!ENTITY c "&b;&b;&b;&b;&b;&b;&b;&b;&b;&b;">
 <!ENTITY d "&c;&c;&c;&c;&c;&c;&c;&c;&c;&c;">
 <!ENTITY e "&d;&d;&d;&d;&d;&d;&d;&d;&d;&d;">
 <!ENTITY f "&e;&e;&e;&e;&e;&e;&e;&e;&e;&e;">
 <!ENTITY g "&f;&f;&f;&f;&f;&f;&f;&f;&f;&f;">
 <!ENTITY h "&g;&g;&g;&g;&g;&g;&g;&g;&g;&g;">
 <!ENTITY i "&h;&h;&h;&h;&h;&h;&h;&h;&h;&h;">
]>
<via><belastingjaar><jaar>2025</jaar><hypotheken><hypotheek><geldverstrekker>&i;</geldverstrekker>
<schuldPer1Januari>1</schuldPer1Januari></hypotheek></hypotheken></belastingjaar></via>"""

EXTERNAL_ENTITY = """<?xml version="1.0"?>
<!DOCTYPE via [<!ENTITY x SYSTEM "file:///etc/passwd">]>
<via><belastingjaar><jaar>2025</jaar><hypotheken><hypotheek><geldverstrekker>&x;</geldverstrekker>
<schuldPer1Januari>1</schuldPer1Januari></hypotheek></hypotheken></belastingjaar></via>"""

EXTERNAL_DTD = '<?xml version="1.0"?><!DOCTYPE via SYSTEM "http://127.0.0.1:9/via.dtd"><via/>'
PARAMETER_ENTITY = (
    '<?xml version="1.0"?><!DOCTYPE via [<!ENTITY % p SYSTEM "http://127.0.0.1:9/p.dtd"> %p;]><via/>'
)


@pytest.mark.parametrize(
    "document",
    [BILLION_LAUGHS, EXTERNAL_ENTITY, EXTERNAL_DTD, PARAMETER_ENTITY],
    ids=["billion-laughs", "external-entity", "external-dtd", "parameter-entity"],
)
@pytest.mark.parametrize("encoding", ["utf-8", "utf-16"])
def test_doctype_and_entities_are_refused(document: str, encoding: str) -> None:
    if encoding == "utf-16":
        document = document.replace('<?xml version="1.0"?>', '<?xml version="1.0" encoding="UTF-16"?>')
    error = via_error(document.encode(encoding))
    assert error.location == "document"
    assert "DOCTYPE" in error.expected
    assert "root:" not in str(error)  # nothing of /etc/passwd


def test_deep_nesting_within_libxml2_limits_is_refused_by_our_depth_limit() -> None:
    depth = MAX_XML_DEPTH + 5
    error = via_error(b"<via>" + b"<a>" * depth + b"</a>" * depth + b"</via>")
    assert error.location == "/via" + "/a" * MAX_XML_DEPTH  # the first element one level too deep
    assert f"at most {MAX_XML_DEPTH}" in error.expected


def test_absurd_nesting_is_refused_without_recursion() -> None:
    depth = MAX_XML_ELEMENTS - 1  # deeper still is refused by the element count before parsing
    error = via_error(b"<via>" + b"<a>" * depth + b"</a>" * depth + b"</via>")
    assert error.expected in ("well-formed XML", f"XML nested at most {MAX_XML_DEPTH} levels deep")


def test_oversized_document_is_refused_before_parsing() -> None:
    error = via_error(b"<via>" + b" " * MAX_DOCUMENT_BYTES + b"</via>")
    assert error.location == "document"
    with pytest.raises(DocumentInvalid):
        TOESLAGEN_PARSER.parse(b'{"toeslagen": []' + b" " * MAX_DOCUMENT_BYTES + b"}", ParseContext())


def test_too_many_repeated_elements_are_refused() -> None:
    many = "".join(
        f"<belastingjaar><jaar>{2000 + i % 100}</jaar></belastingjaar>" for i in range(MAX_REPEATS + 1)
    )
    error = via_error(via(many))
    assert error.location == "/via/belastingjaar"


# ---------------------------------------------------------------- broken files


def test_truncated_document_reports_line_and_column() -> None:
    whole = render_belastinggegevens(belastingdienst_citizens.self_employed_homeowner())
    error = via_error(whole[: len(whole) // 2])
    assert error.location.startswith("line ")
    assert error.expected == "well-formed XML"


@pytest.mark.parametrize("data", [b"", b"   \n", b"not xml at all", b"\x00\x01\x02", b"<via>"])
def test_junk_is_refused(data: bytes) -> None:
    via_error(data)


def test_bytes_that_do_not_match_the_declared_encoding_are_refused() -> None:
    latin1 = via(
        year(
            "<hypotheken><hypotheek><geldverstrekker>Noë</geldverstrekker>"
            "<schuldPer1Januari>1</schuldPer1Januari></hypotheek></hypotheken>"
        )
    )
    error = via_error(latin1.decode("utf-8").encode("latin-1"))
    assert error.location.startswith("line 1, column ")


def test_utf16_without_byte_order_mark_or_declaration_is_refused() -> None:
    via_error("<via></via>".encode("utf-16-le"))


def test_wrong_root_element_is_refused() -> None:
    error = via_error(b"<Pensioenoverzicht/>")
    assert error.location == "/"
    assert "<via>" in error.expected


# ---------------------------------------------------------------- wrong values, at their element path


@pytest.mark.parametrize(
    ("years", "location"),
    [
        (year(account(saldo=SECRET)), "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/saldo"),
        (
            year("", jaar="2024") + year(account(saldo="12.345")),
            "/via/belastingjaar[2]/bankrekeningen/bankrekening[1]/saldo",
        ),
        (year(account(saldo="1,50")), "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/saldo"),
        (year(account(saldo="")), "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/saldo"),
        (year(account(saldo="<x>1</x>")), "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/saldo"),
        (
            year(account(iban="NL00ABNA" + SECRET)),
            "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/iban",
        ),
        (
            year(account(extra=f"<peildatum>2025-02-30{SECRET}</peildatum>")),
            "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/peildatum",
        ),
        (
            year(account(extra="<peildatum>2025-02-30</peildatum>")),
            "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/peildatum",
        ),
        (
            year(account(extra="<saldo>3</saldo>")),
            "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/saldo",
        ),
        (
            year("<bankrekeningen><bankrekening><saldo>1</saldo></bankrekening></bankrekeningen>"),
            "/via/belastingjaar[1]/bankrekeningen/bankrekening[1]/iban",
        ),
        (year("", jaar=SECRET), "/via/belastingjaar[1]/jaar"),
        (year("", jaar="1999"), "/via/belastingjaar[1]/jaar"),
        ("<belastingjaar/>", "/via/belastingjaar[1]/jaar"),
        (year("") + year(""), "/via/belastingjaar[2]/jaar"),
        (
            year(
                "<inkomenLoondienst><inhoudingsplichtige><naam>X</naam>"
                f"<loonheffingennummer>{SECRET}</loonheffingennummer><loon>1</loon>"
                "<ingehoudenLoonheffing>0</ingehoudenLoonheffing></inhoudingsplichtige></inkomenLoondienst>"
                "<inkomensgegevens><box1><belastbaarInkomen>1</belastbaarInkomen></box1>"
                "<verzamelinkomen>1</verzamelinkomen></inkomensgegevens>"
            ),
            "/via/belastingjaar[1]/inkomenLoondienst/inhoudingsplichtige[1]/loonheffingennummer",
        ),
        (
            year(
                "<persoonlijkeGegevens><fiscaalPartner><bsn>999900019</bsn></fiscaalPartner></persoonlijkeGegevens>"
            ),
            "/via/belastingjaar[1]/persoonlijkeGegevens/fiscaalPartner/bsn",
        ),
        (
            year(
                "<inkomensgegevens><box1><belastbaarInkomen>1</belastbaarInkomen></box1></inkomensgegevens>"
            ),
            "/via/belastingjaar[1]/inkomensgegevens/verzamelinkomen",
        ),
        (
            year("<inkomensgegevens><verzamelinkomen>1</verzamelinkomen></inkomensgegevens>"),
            "/via/belastingjaar[1]/inkomensgegevens/box1",
        ),
        (
            year(
                "<hypotheken><hypotheek><geldverstrekker>B</geldverstrekker>"
                "<schuldPer1Januari>-5</schuldPer1Januari></hypotheek></hypotheken>"
            ),
            "/via/belastingjaar[1]/hypotheken/hypotheek[1]/schuldPer1Januari",
        ),
        (
            year(
                f"<hypotheken><hypotheek><geldverstrekker>{'B' * 201}</geldverstrekker>"
                "<schuldPer1Januari>5</schuldPer1Januari></hypotheek></hypotheken>"
            ),
            "/via/belastingjaar[1]/hypotheken/hypotheek[1]/geldverstrekker",
        ),
    ],
)
def test_wrong_values_are_located_by_element_path(years: str, location: str) -> None:
    error = via_error(via(years))
    assert error.location == location
    assert error.expected


def test_namespace_prefixes_do_not_change_the_path() -> None:
    document = b'<p:via xmlns:p="urn:y"><p:belastingjaar><p:jaar>20x5</p:jaar></p:belastingjaar></p:via>'
    assert via_error(document).location == "/via/belastingjaar[1]/jaar"


# ---------------------------------------------------------------- toeslagen JSON


def toeslag(**fields: object) -> dict[str, object]:
    return {"soort": "ZORGTOESLAG", "jaar": 2026, "status": "VOORSCHOT", "bedragPerMaand": 100, **fields}


def as_json(item: object) -> bytes:
    return json.dumps({"toeslagen": [toeslag(), item]}).encode()


ONE_TOESLAG = (
    b'{"toeslagen": [{"soort": "ZORGTOESLAG", "jaar": 2026, "status": "VOORSCHOT", "bedragPerMaand": 100}]}'
)


@pytest.mark.parametrize(
    ("data", "location"),
    [
        (as_json(toeslag(bedragPerMaand=SECRET)), "$.toeslagen[1].bedragPerMaand"),
        (as_json(toeslag(bedragPerMaand="12.50")), "$.toeslagen[1].bedragPerMaand"),
        (as_json(toeslag(bedragPerMaand=True)), "$.toeslagen[1].bedragPerMaand"),
        (as_json(toeslag(bedragPerMaand=None)), "$.toeslagen[1].bedragPerMaand"),
        (as_json(toeslag(bedragPerMaand=-3)), "$.toeslagen[1]"),
        (
            ONE_TOESLAG.replace(b"100", b"1.005"),
            "$.toeslagen[0].bedragPerMaand",
        ),
        (
            ONE_TOESLAG.replace(b"100", b"1e300"),
            "$.toeslagen[0].bedragPerMaand",
        ),
        (as_json(toeslag(toetsingsinkomen=SECRET)), "$.toeslagen[1].toetsingsinkomen"),
        (as_json(toeslag(soort=SECRET)), "$.toeslagen[1].soort"),
        (as_json(toeslag(status="voorschot")), "$.toeslagen[1].status"),
        (as_json(toeslag(jaar="2026")), "$.toeslagen[1].jaar"),
        (as_json(toeslag(jaar=True)), "$.toeslagen[1].jaar"),
        (as_json(toeslag(jaar=1999)), "$.toeslagen[1].jaar"),
        (as_json(toeslag(huurgegevens=[])), "$.toeslagen[1].huurgegevens"),
        (as_json(toeslag(huurgegevens={})), "$.toeslagen[1].huurgegevens.rekenhuur"),
        (as_json(toeslag(huurgegevens={"rekenhuur": SECRET})), "$.toeslagen[1].huurgegevens.rekenhuur"),
        (as_json([SECRET]), "$.toeslagen[1]"),
        (b'{"toeslagen": {}}', "$.toeslagen"),
        (b'{"versie": "1.0"}', "$.toeslagen"),
        (b"[]", "$"),
        (b'"GEHEIM4711"', "$"),
    ],
)
def test_wrong_toeslagen_values_are_located_by_json_path(data: bytes, location: str) -> None:
    assert toeslagen_error(data).location == location


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b'{"toeslagen": [',
        b'{"toeslagen": [] GEHEIM4711',
        b'{"toeslagen": [{"soort": "ZORGTOESLAG", "jaar": 2026, "bedragPerMaand": NaN}]}',
        b'{"toeslagen": [], "toeslagen": []}',
        b'{"toeslagen": [{"jaar": 1' + b"0" * 5000 + b"}]}",
        b"[" * 200_000 + b"]" * 200_000,
        '{"toeslagen": [], "x": "Noë GEHEIM4711"}'.encode("latin-1"),
        '{"toeslagen": []}'.encode("utf-16"),
    ],
    ids=[
        "empty",
        "truncated",
        "trailing-junk",
        "nan",
        "duplicate-key",
        "huge-integer",
        "deep-nesting",
        "latin-1",
        "utf-16",
    ],
)
def test_broken_toeslagen_documents_are_refused(data: bytes) -> None:
    toeslagen_error(data)


def test_too_many_toeslagen_are_refused() -> None:
    error = toeslagen_error(json.dumps({"toeslagen": [toeslag()] * 1001}).encode())
    assert error.location == "$.toeslagen"


# ---------------------------------------------------------------- mutation fuzzing: nothing else escapes


def _goldens() -> Iterator[bytes]:
    for make in belastingdienst_citizens.ALL.values():
        yield render_belastinggegevens(make())
        yield render_toeslagen(make())


GOLDENS = list(_goldens())


@st.composite
def _mutated(draw: st.DrawFn) -> bytes:
    data = bytearray(draw(st.sampled_from(GOLDENS)))
    for _ in range(draw(st.integers(min_value=1, max_value=8))):
        position = draw(st.integers(min_value=0, max_value=len(data) - 1))
        action = draw(st.sampled_from(["flip", "delete", "insert", "cut"]))
        if action == "flip":
            data[position] = draw(st.integers(min_value=0, max_value=255))
        elif action == "delete":
            del data[position : position + draw(st.integers(min_value=1, max_value=40))]
        elif action == "insert":
            data[position:position] = draw(
                st.sampled_from([b"<", b">", b"&", b"-", b".", b"{", b'"', b"\xff", b"9"])
            )
        else:
            del data[position:]
        if not data:
            break
    return bytes(data)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=_mutated())
def test_mutated_documents_parse_or_raise_document_invalid(data: bytes) -> None:
    for parser in (BELASTINGGEGEVENS_PARSER, TOESLAGEN_PARSER):
        problems: list[DocumentInvalid] = []
        try:
            parser.parse(data, ParseContext())
        except DocumentInvalid as error:
            problems.append(error)
        assert all(problem.location and problem.expected for problem in problems)
