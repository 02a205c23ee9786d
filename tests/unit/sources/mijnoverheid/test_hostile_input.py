"""Hostile input: every bad document is a located DocumentInvalid, never another exception or a partial."""

from __future__ import annotations

import contextlib
import json
from collections.abc import Callable
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from tests.support.mijnoverheid_citizens import citizen, suzanne
from tests.unit.sources.mijnoverheid.test_woz_and_vehicles import sample_homes, sample_vehicles

from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnoverheid.json_document import MAX_JSON_DEPTH
from databrug.sources.mijnoverheid.parser_brp import PARSER as BRP
from databrug.sources.mijnoverheid.parser_vehicles import PARSER as VEHICLES
from databrug.sources.mijnoverheid.parser_woz import PARSER as WOZ
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext, Parser
from databrug_sandbox.documents.brp import render_brp
from databrug_sandbox.documents.vehicles import render_vehicles
from databrug_sandbox.documents.woz import render_woz

PARSERS: list[Parser] = [BRP, WOZ, VEHICLES]
CITIZEN = citizen(suzanne(), homes=sample_homes(), vehicles=sample_vehicles())
GOOD = {
    "brp-persoon": render_brp(CITIZEN),
    "woz-objecten": render_woz(CITIZEN),
    "voertuigen": render_vehicles(CITIZEN),
}


def refused(parser: Any, data: bytes, subject_bsn: str | None = "999993653") -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        parser.parse(data, ParseContext(subject_bsn=subject_bsn))
    error = caught.value
    assert error.location
    assert error.expected
    assert error.document_type == parser.document_type
    for secret in ("999993653", "Moulin", "Suzanne", "Berliozplantsoen"):
        assert secret not in str(error)
    return error


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_wrong_encoding(parser: Any) -> None:
    text = GOOD[parser.document_type].decode("utf-8").replace('": "', '": "é', 1)  # a non-ASCII character
    assert refused(parser, text.encode("latin-1", errors="replace")).location.startswith("byte ")
    assert refused(parser, "{}".encode("utf-16")).location.startswith("byte ")


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_truncated_json(parser: Any) -> None:
    good = GOOD[parser.document_type]
    for cut in (1, len(good) // 3, len(good) // 2, len(good) - 2):
        assert refused(parser, good[:cut]).location.startswith("line ")


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_deep_nesting(parser: Any) -> None:
    assert refused(parser, b"[" * 100_000 + b"]" * 100_000).location == "$"
    just_too_deep = b'{"a":' * (MAX_JSON_DEPTH + 1) + b"1" + b"}" * (MAX_JSON_DEPTH + 1)
    error = refused(parser, just_too_deep)
    assert error.location.startswith("$.a.a")


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_huge_numbers_and_nan(parser: Any) -> None:
    assert refused(parser, b'{"n": ' + b"9" * 5000 + b"}").location == "$"
    assert refused(parser, b'{"n": NaN}').location == "$"
    assert refused(parser, b'{"n": -Infinity}').location == "$"


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_oversized_document(parser: Any) -> None:
    data = b'{"x": "' + b"a" * (MAX_DOCUMENT_BYTES + 1) + b'"}'
    assert refused(parser, data).location == "$"


@pytest.mark.parametrize("parser", PARSERS, ids=lambda p: p.document_type)
def test_not_an_object(parser: Any) -> None:
    for data in (b"[]", b'"text"', b"42", b"null", b""):
        refused(parser, data)


BRP_CHANGES = [
    (lambda d: d.update(type="ZoekMetPostcodeEnHuisnummer"), "$.type"),
    (lambda d: d.update(personen={"0": {}}), "$.personen"),
    (lambda d: d.update(personen=[]), "$.personen"),
    (lambda d: d["personen"].__setitem__(0, "persoon"), "$.personen[0]"),
    (lambda d: d["personen"][0].update(burgerservicenummer=999993653), "$.personen[0].burgerservicenummer"),
    (lambda d: d["personen"][0].update(burgerservicenummer="123456789"), "$.personen[0].burgerservicenummer"),
    (lambda d: d["personen"][0].pop("naam"), "$.personen[0].naam"),
    (lambda d: d["personen"][0]["naam"].update(geslachtsnaam=["Moulin"]), "$.personen[0].naam.geslachtsnaam"),
    (lambda d: d["personen"][0]["naam"].update(voorvoegsel="x" * 500), "$.personen[0].naam.voorvoegsel"),
    (lambda d: d["personen"][0]["geslacht"].update(code="X"), "$.personen[0].geslacht.code"),
    (
        lambda d: d["personen"][0]["geboorte"]["datum"].update(type="Jaartal"),
        "$.personen[0].geboorte.datum.type",
    ),
    (
        lambda d: d["personen"][0]["geboorte"]["datum"].update(datum="1985-13-01"),
        "$.personen[0].geboorte.datum.datum",
    ),
    (
        lambda d: d["personen"][0]["geboorte"].update(
            datum={"type": "JaarMaandDatum", "jaar": 1985, "maand": 13}
        ),
        "$.personen[0].geboorte.datum",
    ),
    (
        lambda d: d["personen"][0]["geboorte"].update(datum={"type": "JaarDatum", "jaar": "1985"}),
        "$.personen[0].geboorte.datum.jaar",
    ),
    (
        lambda d: d["personen"][0]["verblijfplaats"].update(type="Postbus"),
        "$.personen[0].verblijfplaats.type",
    ),
    (
        lambda d: d["personen"][0]["verblijfplaats"]["verblijfadres"].update(huisnummer="31"),
        "$.personen[0].verblijfplaats.verblijfadres.huisnummer",
    ),
    (
        lambda d: d["personen"][0]["verblijfplaats"]["verblijfadres"].update(postcode="0000XX"),
        "$.personen[0].verblijfplaats",
    ),
    (
        lambda d: d["personen"][0]["partners"][0].pop("soortVerbintenis"),
        "$.personen[0].partners[0].soortVerbintenis.code",
    ),
    (
        lambda d: d["personen"][0]["kinderen"][0].update(naam={"voornamen": "Sanne"}),
        "$.personen[0].kinderen[0].naam.geslachtsnaam",
    ),
    (
        lambda d: d["personen"][0]["nationaliteiten"][0].update(type="Wereldburger"),
        "$.personen[0].nationaliteiten[0].type",
    ),
    (
        lambda d: d["personen"][0].update(geheimhoudingPersoonsgegevens="1"),
        "$.personen[0].geheimhoudingPersoonsgegevens",
    ),
    (
        lambda d: d["mijnOverheid"]["burgerlijkeStaat"].update(omschrijving="het is ingewikkeld"),
        "$.mijnOverheid.burgerlijkeStaat.omschrijving",
    ),
    (
        lambda d: d["mijnOverheid"]["woongeschiedenis"][0].update(
            datumTot={"type": "JaarDatum", "jaar": 2019, "langFormaat": "2019"}
        ),
        "$.mijnOverheid.woongeschiedenis[0].datumTot",
    ),
    (lambda d: d["mijnOverheid"].update(partnerhistorie=[[]]), "$.mijnOverheid.partnerhistorie[0]"),
]


@pytest.mark.parametrize(("change", "location"), BRP_CHANGES)
def test_wrong_types_in_brp_are_located(change: Any, location: str) -> None:
    document = json.loads(GOOD["brp-persoon"])
    change(document)
    assert refused(BRP, json.dumps(document).encode(), subject_bsn=None).location == location


def test_wrong_types_in_woz_are_located() -> None:
    cases: list[tuple[Callable[[dict[str, Any]], object], str]] = [
        (lambda d: d.pop("_embedded"), "$._embedded.wozobjecten"),
        (lambda d: d["_embedded"].update(wozobjecten="none"), "$._embedded.wozobjecten"),
        (
            lambda d: d["_embedded"]["wozobjecten"][0].pop("aanduiding"),
            "$._embedded.wozobjecten[0].aanduiding",
        ),
        (lambda d: d["_embedded"]["wozobjecten"][0].update(identificatie="12"), "$._embedded.wozobjecten[0]"),
        (
            lambda d: d["_embedded"]["wozobjecten"][0]["waarden"][0].update(waardepeildatum="2024"),
            "$._embedded.wozobjecten[0].waarden[0].waardepeildatum",
        ),
    ]
    for change, location in cases:
        document = json.loads(GOOD["woz-objecten"])
        change(document)
        assert refused(WOZ, json.dumps(document).encode()).location == location


@settings(max_examples=150, deadline=None)
@given(st.binary(max_size=300))
def test_random_bytes_never_escape_as_other_errors(data: bytes) -> None:
    for parser in PARSERS:
        with contextlib.suppress(DocumentInvalid):
            parser.parse(data, ParseContext())


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.text(max_size=12),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=8), inner, max_size=4),
    max_leaves=20,
)


@settings(max_examples=150, deadline=None)
@given(st.sampled_from(PARSERS), st.data())
def test_mutated_documents_never_escape_as_other_errors(parser: Any, data: st.DataObject) -> None:
    document = json.loads(GOOD[parser.document_type])
    node = document
    path_steps = data.draw(st.integers(0, 6))
    for _ in range(path_steps):  # walk to a random member and replace it with junk
        if isinstance(node, dict) and node:
            key = data.draw(st.sampled_from(sorted(node)))
            if not isinstance(node[key], dict | list) or data.draw(st.booleans()):
                node[key] = data.draw(json_values)
                break
            node = node[key]
        elif isinstance(node, list) and node:
            index = data.draw(st.integers(0, len(node) - 1))
            if not isinstance(node[index], dict | list) or data.draw(st.booleans()):
                node[index] = data.draw(json_values)
                break
            node = node[index]
        else:
            break
    with contextlib.suppress(DocumentInvalid):
        parser.parse(json.dumps(document).encode(), ParseContext(subject_bsn="999993653"))


def test_a_byte_order_mark_is_tolerated() -> None:
    person = BRP.parse(b"\xef\xbb\xbf" + GOOD["brp-persoon"], ParseContext()).subject.person
    assert person is not None
    assert person.bsn == "999993653"
