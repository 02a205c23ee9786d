"""Random documents built from the download's own vocabulary: the parser answers with records or with
DocumentInvalid, never with any other exception."""

from __future__ import annotations

import copy
import json
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from lxml import etree

from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnpensioenoverzicht import PARSER
from databrug.sources.parsing import ParseContext

VOCABULARY = [
    "StatusCode", "TijdstipAanmakenBericht", "OntbrekendePuvsError", "Puv", "Totalen", "Details",
    "OuderdomsPensioenDetails", "OuderdomsPensioen", "PartnerPensioenDetails", "PartnerPensioen",
    "WezenPensioenDetails", "WezenPensioen", "OuderdomsPensioenTotalen", "OuderdomsPensioenTotaal",
    "Van", "Tot", "Leeftijd", "Jaren", "Maanden", "OuderdomsPensioenEvent", "PartnerEvent", "WezenEvent",
    "AOW", "StandPer", "AOWDetailsOpbouw", "OpgebouwdAlleenstaand", "TeBereikenSamenwonend", "Pensioen",
    "IndicatiefPensioen", "AlleenstaandenPensioen", "PensioenUitvoerder", "HerkenningsNummer", "Opgebouwd",
    "TeBereiken", "Bedragen", "VerzekerdBedrag", "PerKind", "AfhandelingVerevening",
]  # fmt: skip
TEXTS = [
    "000", "999", "", "Overlijden", "OverlijdenPartner", "OverlijdenOuder", "67", "3", "-1", "12.5",
    "2026-01-01", "2026-13-01", "2026-01-01T09:00:00+01:00", "true", "nee", "0012-3", " ", "1e9",
]  # fmt: skip

scalars = (
    st.sampled_from(TEXTS)
    | st.integers(-(10**15), 10**15)
    | st.booleans()
    | st.none()
    | st.decimals(allow_nan=False, allow_infinity=False, places=3).map(Decimal)
)
json_trees = st.recursive(
    scalars,
    lambda children: (
        st.lists(children, max_size=3) | st.dictionaries(st.sampled_from(VOCABULARY), children, max_size=5)
    ),
    max_leaves=40,
)


def mostly_a_download(tree: Any) -> Any:
    if isinstance(tree, dict):
        return {"StatusCode": "000", **tree}
    return tree


def assert_only_document_invalid(data: bytes) -> None:
    """Records or a located DocumentInvalid; any other exception fails the test by escaping."""
    location = "parsed"
    try:
        PARSER.parse(data, ParseContext())
    except DocumentInvalid as error:
        location = error.location
    assert location


class _Encoder(json.JSONEncoder):
    def default(self, o: object) -> object:
        if isinstance(o, Decimal):
            return float(o)
        return super().default(o)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(json_trees.map(mostly_a_download))
def test_random_json_documents(tree: Any) -> None:
    assert_only_document_invalid(json.dumps(tree, cls=_Encoder).encode())


xml_texts = st.sampled_from(TEXTS)
xml_trees: st.SearchStrategy[Any] = st.recursive(
    st.tuples(st.sampled_from(VOCABULARY), xml_texts, st.booleans(), st.just([])),
    lambda children: st.tuples(
        st.sampled_from(VOCABULARY), st.just(""), st.booleans(), st.lists(children, max_size=4)
    ),
    max_leaves=40,
)


def to_element(node: tuple[str, str, bool, list[Any]], parent: etree._Element) -> None:
    name, text, nil, children = node
    element = etree.SubElement(parent, name)
    if nil:
        element.set("{http://www.w3.org/2001/XMLSchema-instance}nil", "true")
    element.text = text or None
    for child in children:
        to_element(child, element)


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(xml_trees, max_size=4))
def test_random_xml_documents(children: list[tuple[str, str, bool, list[Any]]]) -> None:
    root = etree.Element("Pensioenaanspraken")
    etree.SubElement(root, "StatusCode").text = "000"
    for child in children:
        to_element(child, root)
    assert_only_document_invalid(etree.tostring(root))


GOLDEN = Path(__file__).parents[3] / "golden" / "mpo"
RICH = json.loads((GOLDEN / "sandbox-rich.json").read_bytes())


def _containers(tree: Any) -> list[Any]:
    found = [tree]
    children = tree.values() if isinstance(tree, dict) else tree if isinstance(tree, list) else []
    for child in children:
        if isinstance(child, dict | list):
            found.extend(_containers(child))
    return found


@settings(max_examples=80, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.data())
def test_a_real_shaped_download_with_one_part_replaced(data: st.DataObject) -> None:
    document = copy.deepcopy(RICH)
    containers = _containers(document)
    target = containers[data.draw(st.integers(0, len(containers) - 1))]
    replacement = data.draw(json_trees)
    if isinstance(target, dict) and target:
        key = data.draw(st.sampled_from(sorted(target)))
        target[key] = replacement
    elif isinstance(target, list) and target:
        target[data.draw(st.integers(0, len(target) - 1))] = replacement
    assert_only_document_invalid(json.dumps(document, cls=_Encoder).encode())
