"""The one connector registry: every document type has exactly one connector, fetcher and parser."""

from __future__ import annotations

from typing import get_args

import pytest

from databrug.records import DocumentType, SourceName
from databrug.sources.connector import Connector
from databrug.sources.connectors import (
    CONNECTORS,
    FETCHERS,
    SOURCE_DOCUMENTS,
    all_parsers,
    by_document_type,
    detect,
)
from databrug.sources.errors import UnknownDocument


def test_every_source_has_one_connector() -> None:
    assert sorted(CONNECTORS) == sorted(get_args(SourceName))
    assert all(connector.source == source for source, connector in CONNECTORS.items())


def test_every_document_type_has_exactly_one_connector_fetcher_and_parser() -> None:
    for document_type in get_args(DocumentType):
        owners = [c for c in CONNECTORS.values() if document_type in c.document_types]
        assert len(owners) == 1, document_type
        assert [p.document_type for p in all_parsers()].count(document_type) == 1
        parser = by_document_type(document_type)
        assert parser is owners[0].parsers[document_type]
        assert parser.source == owners[0].source
        assert FETCHERS[document_type] is owners[0].fetchers[document_type]
    assert sorted(FETCHERS) == sorted(get_args(DocumentType))


def test_the_lookups_are_views_of_the_registry() -> None:
    assert {source: c.document_types for source, c in CONNECTORS.items()} == SOURCE_DOCUMENTS
    assert SOURCE_DOCUMENTS["mijnoverheid"] == ("brp-persoon", "woz-objecten", "voertuigen")
    assert SOURCE_DOCUMENTS["belastingdienst"] == ("belastinggegevens", "toeslagen")


def test_detection_tries_the_most_specific_parser_first() -> None:
    assert [p.document_type for p in all_parsers()] == [
        "verzekeringsbericht",
        "pensioenoverzicht",
        "belastinggegevens",
        "toeslagen",
        "brp-persoon",
        "woz-objecten",
        "voertuigen",
    ]


def test_unknown_document_type_and_unknown_content() -> None:
    with pytest.raises(KeyError):
        by_document_type("loonstrook")  # type: ignore[arg-type]
    with pytest.raises(UnknownDocument):
        detect(b"not a document", source="uwv")


def test_a_connector_refuses_a_parser_of_another_document() -> None:
    uwv = CONNECTORS["uwv"]
    toeslagen = by_document_type("toeslagen")
    with pytest.raises(ValueError, match="reads another document"):
        Connector("uwv", fetchers=uwv.fetchers, parsers={"verzekeringsbericht": toeslagen})
    with pytest.raises(ValueError, match="one fetcher and one parser"):
        Connector("uwv", fetchers=uwv.fetchers, parsers={})
