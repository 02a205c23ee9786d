"""Bad and hostile downloads: always DocumentInvalid with a location, never a value, always quickly."""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest
from lxml import etree

from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.mijnpensioenoverzicht.overview import MAX_LIST_ITEMS
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, MAX_JSON_VALUES, ParseContext

GOLDEN = Path(__file__).parents[3] / "golden" / "mpo"
CONTEXT = ParseContext()


def refused(data: bytes) -> DocumentInvalid:
    started = time.process_time()  # CPU time: other jobs on the machine must not make this flaky
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(data, CONTEXT)
    assert time.process_time() - started < 2.0
    error = caught.value
    assert error.code == "document_invalid"
    assert error.source == "mijnpensioenoverzicht"
    assert error.location
    assert error.__cause__ is None  # nothing chained that could carry a value into a log
    return error


def minimal_json() -> dict[str, Any]:
    loaded: dict[str, Any] = json.loads((GOLDEN / "handwritten-verevening.json").read_bytes())
    return loaded


def as_json(document: dict[str, Any]) -> bytes:
    return json.dumps(document).encode()


XML_HEAD = b'<?xml version="1.0" encoding="UTF-8"?>\n'


def test_billion_laughs_is_refused() -> None:
    entities = "".join(
        f'<!ENTITY lol{i} "{("&lol" + str(i - 1) + ";") * 10}">' for i in range(1, 10)
    ).encode()
    data = (
        XML_HEAD + b'<!DOCTYPE Pensioenaanspraken [<!ENTITY lol0 "lol">' + entities + b"]>"
        b"<Pensioenaanspraken><StatusCode>000</StatusCode><Naam>&lol9;</Naam></Pensioenaanspraken>"
    )
    error = refused(data)
    assert "DOCTYPE" in error.expected


def test_external_entity_is_refused() -> None:
    data = (
        XML_HEAD + b'<!DOCTYPE r [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>'
        b"<Pensioenaanspraken><StatusCode>&xxe;</StatusCode></Pensioenaanspraken>"
    )
    refused(data)


def test_doctype_in_utf16_is_refused_after_decoding() -> None:
    text = '<?xml version="1.0" encoding="UTF-16"?><!DOCTYPE Pensioenaanspraken><Pensioenaanspraken/>'
    error = refused(text.encode("utf-16"))  # with BOM: valid encoding, but a DOCTYPE
    assert "DOCTYPE" in error.expected


@pytest.mark.parametrize("fmt", ["xml", "json"])
def test_deep_nesting_is_refused(fmt: str) -> None:
    depth = 5000
    if fmt == "xml":
        data = b"<Pensioenaanspraken>" + b"<a>" * depth + b"</a>" * depth + b"</Pensioenaanspraken>"
    else:
        data = b'{"StatusCode": "000", "x": ' + b"[" * depth + b"]" * depth + b"}"
    refused(data)


def test_nesting_just_over_the_limit_names_the_place() -> None:
    data = b"<Pensioenaanspraken><Details>" + b"<a>" * 70 + b"</a>" * 70 + b"</Details></Pensioenaanspraken>"
    error = refused(data)
    assert error.location.startswith("/Pensioenaanspraken/Details/a/a")
    assert "64" in error.expected


@pytest.mark.parametrize("name", ["handwritten-namespaced.xml", "handwritten-verevening.json"])
def test_truncated_download_is_refused_with_line_and_column(name: str) -> None:
    data = (GOLDEN / name).read_bytes()
    error = refused(data[: len(data) // 2])
    assert error.location.startswith("line ")


def test_utf16_without_bom_is_refused() -> None:
    data = (GOLDEN / "handwritten-missing-sections.xml").read_text().replace("UTF-8", "UTF-16")
    refused(data.encode("utf-16-le"))
    refused(json.dumps(minimal_json()).encode("utf-16-le"))


def test_latin1_bytes_in_a_utf8_document_are_refused() -> None:
    document = minimal_json()
    document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"][0]["Pensioen"][0][
        "PensioenUitvoerder"
    ] = "Pensioenfonds Caf\u00e9"
    error = refused(json.dumps(document, ensure_ascii=False).encode("latin-1"))
    assert error.location.startswith("byte ")
    xml = (GOLDEN / "handwritten-namespaced.xml").read_text().replace("ABP", "AB\u00c9")
    refused(xml.encode("latin-1"))


def test_latin1_declared_as_such_is_read() -> None:
    xml = (GOLDEN / "handwritten-namespaced.xml").read_text()
    xml = xml.replace('encoding="UTF-8"', 'encoding="ISO-8859-1"').replace("ABP", "AB\u00c9")
    pensions = PARSER.parse(xml.encode("latin-1"), CONTEXT).subject.pensions
    assert pensions.schemes[0].provider == "Stichting Pensioenfonds AB\u00c9"


def test_status_code_as_number_is_refused() -> None:
    document = minimal_json()
    document["StatusCode"] = 0
    error = refused(as_json(document))
    assert error.location == "$.StatusCode"
    assert "as text" in error.expected


@pytest.mark.parametrize("code", ["999", "", " 0 "])
def test_other_status_codes_are_refused(code: str) -> None:
    document = minimal_json()
    document["StatusCode"] = code
    error = refused(as_json(document))
    assert error.location == "$.StatusCode"
    assert '"000"' in error.expected


def test_status_code_other_than_success_in_xml() -> None:
    data = (GOLDEN / "handwritten-missing-sections.xml").read_bytes().replace(b">000<", b">999<")
    error = refused(data)
    assert error.location == "/Pensioenaanspraken/StatusCode"


@pytest.mark.parametrize("amount", ["twaalfduizend", "1.234,56", "12e3", "1234.567", True, [1]])
def test_amount_that_is_not_a_number_names_its_json_path(amount: object) -> None:
    document = minimal_json()
    document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"][0]["Pensioen"][0]["Opgebouwd"] = (
        amount
    )
    error = refused(as_json(document))
    assert error.location == "$.Details.OuderdomsPensioenDetails.OuderdomsPensioen[0].Pensioen[0].Opgebouwd"
    assert str(amount) not in str(error)


def test_amount_that_is_not_a_number_names_its_xml_path() -> None:
    data = (
        (GOLDEN / "handwritten-namespaced.xml")
        .read_bytes()
        .replace(b"<pa:TeBereiken>1260<", b"<pa:TeBereiken>veel<")
    )
    error = refused(data)
    assert error.location == (
        "/Pensioenaanspraken/Details/OuderdomsPensioenDetails/OuderdomsPensioen[2]/IndicatiefPensioen[1]/TeBereiken"
    )
    assert "veel" not in str(error)


def test_bad_amount_in_totalen_is_refused_too() -> None:
    data = (
        (GOLDEN / "handwritten-namespaced.xml").read_bytes().replace(b">18779</pa:AOWAll", b">x</pa:AOWAll")
    )
    error = refused(data)
    assert error.location.endswith("/OuderdomsPensioenTotaal[2]/AOWAlleenstaand")


def test_scheme_number_must_stay_text() -> None:
    document = minimal_json()
    document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"][0]["Pensioen"][0][
        "HerkenningsNummer"
    ] = 4471203
    error = refused(as_json(document))
    assert error.location.endswith("Pensioen[0].HerkenningsNummer")


@pytest.mark.parametrize(
    ("edit", "location_end"),
    [
        ({"Van": {"Leeftijd": {"Jaren": 67, "Maanden": 12}}}, "Van.Leeftijd.Maanden"),
        ({"Van": {"OuderdomsPensioenEvent": "Overlijden"}}, "OuderdomsPensioen[0].Van"),
        ({"Tot": {"OuderdomsPensioenEvent": "Pensionering"}}, "Tot.OuderdomsPensioenEvent"),
        ({"Tot": {}}, "OuderdomsPensioen[0].Tot"),
        ({"Van": {"Leeftijd": {"Jaren": "zeventig"}}}, "Van.Leeftijd.Jaren"),
        ({"AOW": {"StandPer": "01-04-2026"}}, "AOW.StandPer"),
        ({"AOW": {"StandPer": "2026-02-30"}}, "AOW.StandPer"),
        ({"AOW": {"StandPer": "2026-02-01T00:00:00"}}, "AOW.StandPer"),
        ({"AOW": {"AOWDetailsOpbouw": {"OpgebouwdAlleenstaand": "99999999999"}}}, "OpgebouwdAlleenstaand"),
        ({"Pensioen": [{"PensioenUitvoerder": "x" * 201, "HerkenningsNummer": "1"}]}, "PensioenUitvoerder"),
        ({"Pensioen": [{"HerkenningsNummer": "1"}]}, "Pensioen[0].PensioenUitvoerder"),
        ({"Pensioen": "tekst"}, "Pensioen[0]"),
    ],
)
def test_bad_window_values_are_located(edit: dict[str, Any], location_end: str) -> None:
    document = minimal_json()
    document["Details"]["OuderdomsPensioenDetails"]["OuderdomsPensioen"][0].update(edit)
    error = refused(as_json(document))
    assert error.location.endswith(location_end), error.location


@pytest.mark.parametrize(
    "data",
    [
        b"",
        b"   ",
        b"%PDF-1.7",
        b"[]",
        b'{"mpoPensioengegevens": {"pensioenDetails": {}}}',
        b"<html><body>Onderhoud</body></html>",
        b'{"StatusCode": "000", "StatusCode": "000"}',
        b'{"StatusCode": "000", "Totalen": NaN}',
        b"<Pensioenaanspraken><StatusCode>000</StatusCode>los<Details/></Pensioenaanspraken>",
        b"<Pensioenaanspraken><StatusCode>000</StatusCode><StatusCode>000</StatusCode></Pensioenaanspraken>",
    ],
)
def test_not_a_download_is_refused(data: bytes) -> None:
    refused(data)


def test_oversized_document_is_refused_before_parsing() -> None:
    error = refused(b" " * (MAX_DOCUMENT_BYTES + 1))
    assert error.location == "document"


def test_filename_is_carried_into_the_error() -> None:
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(b"{}", ParseContext(filename="pensioenaanspraken.json", origin="uploaded"))
    assert caught.value.filename == "pensioenaanspraken.json"


def test_many_windows_stay_fast_and_too_many_are_refused() -> None:
    document = minimal_json()
    windows = document["Details"]["OuderdomsPensioenDetails"]
    window = windows["OuderdomsPensioen"][0]
    windows["OuderdomsPensioen"] = [window] * 500
    started = time.process_time()
    assert len(PARSER.parse(as_json(document), CONTEXT).subject.pensions.schemes) == 2
    assert time.process_time() - started < 2.0
    windows["OuderdomsPensioen"] = [window] * (MAX_LIST_ITEMS + 1)
    error = refused(as_json(document))
    assert error.location == "$.Details.OuderdomsPensioenDetails.OuderdomsPensioen"
    windows["OuderdomsPensioen"] = [window] * 20000  # more values than any download: refused before parsing
    assert refused(as_json(document)).expected == f"at most {MAX_JSON_VALUES} JSON values (members and items)"


def test_sniff_tells_mpo_apart() -> None:
    assert PARSER.sniff((GOLDEN / "handwritten-namespaced.xml").read_bytes())
    assert PARSER.sniff((GOLDEN / "handwritten-minimal.json").read_bytes())
    assert PARSER.sniff(b"\xef\xbb\xbf" + (GOLDEN / "handwritten-minimal.json").read_bytes())
    assert not PARSER.sniff(b'{"type": "RaadpleegMetBurgerservicenummer", "personen": []}')
    assert not PARSER.sniff(b"<?xml version='1.0'?><Aangifte/>")
    assert not PARSER.sniff(b"%PDF-1.7")
    assert not PARSER.sniff(b"")


def test_too_many_entries_over_all_windows_are_refused() -> None:
    document = minimal_json()
    windows = document["Details"]["OuderdomsPensioenDetails"]
    window = windows["OuderdomsPensioen"][0]
    window["Pensioen"] = window["Pensioen"] * 30
    windows["OuderdomsPensioen"] = [window] * 200
    error = refused(as_json(document))
    assert error.location == "$.Details.OuderdomsPensioenDetails"


def _error_of(data: bytes) -> DocumentInvalid | None:
    try:
        PARSER.parse(data, CONTEXT)
    except DocumentInvalid as error:
        return error
    return None


def _leaf_paths(value: Any, path: tuple[str | int, ...] = ()) -> list[tuple[str | int, ...]]:
    if isinstance(value, dict):
        return [p for key, item in value.items() for p in _leaf_paths(item, (*path, key))]
    if isinstance(value, list):
        return [p for index, item in enumerate(value) for p in _leaf_paths(item, (*path, index))]
    return [path]


def _json_path(path: tuple[str | int, ...]) -> str:
    return "$" + "".join(f"[{step}]" if isinstance(step, int) else f".{step}" for step in path)


def test_every_json_value_replaced_by_garbage_fails_at_its_path_or_reads_as_text() -> None:
    original = json.loads((GOLDEN / "sandbox-rich.json").read_bytes())
    failures = 0
    for number, path in enumerate(_leaf_paths(original)):
        document = json.loads((GOLDEN / "sandbox-rich.json").read_bytes())
        target = document
        for step in path[:-1]:
            target = target[step]
        marker = f"GEHEIM{number:04d}"
        target[path[-1]] = marker
        error = _error_of(as_json(document))
        if error is not None:
            failures += 1
            assert marker not in str(error)
            assert _json_path(path).startswith(error.location), (path, error.location)
    assert failures > 40  # amounts, ages, dates, events, status: most values are not free text


def test_every_xml_leaf_replaced_by_garbage_never_leaks_into_the_error() -> None:
    root = etree.fromstring((GOLDEN / "sandbox-rich.xml").read_bytes())
    leaves = [element for element in root.iter() if len(element) == 0]
    failures = 0
    for number, leaf in enumerate(leaves):
        marker = f"GEHEIM{number:04d}"
        saved = leaf.text
        leaf.text = marker
        error = _error_of(etree.tostring(root))
        leaf.text = saved
        if error is not None:
            failures += 1
            assert marker not in str(error)
            assert error.location.startswith("/Pensioenaanspraken/")
    assert failures > 40
