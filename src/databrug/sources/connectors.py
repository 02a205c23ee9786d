"""The one registry of connectors: every source, the documents it gives, their fetchers and parsers.

Plain imports, so the import rules see which connector depends on what. Also the document-type detection
behind uploads and ``databrug parse``.
"""

from __future__ import annotations

from collections.abc import Mapping

from databrug.records import DocumentType, SourceName
from databrug.sources.belastingdienst.connector import CONNECTOR as BELASTINGDIENST
from databrug.sources.connector import Connector, Fetcher
from databrug.sources.errors import UnknownDocument
from databrug.sources.mijnoverheid.connector import CONNECTOR as MIJNOVERHEID
from databrug.sources.mijnpensioenoverzicht.connector import CONNECTOR as MIJNPENSIOENOVERZICHT
from databrug.sources.parsing import Parser
from databrug.sources.uwv.connector import CONNECTOR as UWV

# The order is the order of detection, which matters only where two sniffers could both match: the most
# specific comes first.
CONNECTORS: Mapping[SourceName, Connector] = {
    connector.source: connector for connector in (UWV, MIJNPENSIOENOVERZICHT, BELASTINGDIENST, MIJNOVERHEID)
}

# Lookups derived from CONNECTORS (not a second registry).
SOURCE_DOCUMENTS: Mapping[SourceName, tuple[DocumentType, ...]] = {
    source: connector.document_types for source, connector in CONNECTORS.items()
}
FETCHERS: Mapping[DocumentType, Fetcher] = {
    document_type: fetcher
    for connector in CONNECTORS.values()
    for document_type, fetcher in connector.fetchers.items()
}
_PARSERS: Mapping[DocumentType, Parser] = {
    document_type: parser
    for connector in CONNECTORS.values()
    for document_type, parser in connector.parsers.items()
}


def all_parsers() -> tuple[Parser, ...]:
    """Every parser, in the order of detection."""
    return tuple(_PARSERS.values())


def by_document_type(document_type: DocumentType) -> Parser:
    """The parser of a document type; ``KeyError`` for an unknown one."""
    return _PARSERS[document_type]


def detect(data: bytes, *, source: SourceName | None = None, filename: str | None = None) -> Parser:
    """Pick the parser for a document by its content (and, when given, restricted to one source)."""
    candidates = [p for p in _PARSERS.values() if source is None or p.source == source]
    for parser in candidates:
        try:
            if parser.sniff(data):
                return parser
        except Exception:  # noqa: S112 - a sniffer that trips over hostile bytes simply does not match
            continue
    known = ", ".join(sorted({p.document_type for p in candidates}))
    raise UnknownDocument(
        source,
        None,
        "the start of the file",
        f"one of the known document types ({known})",
        filename=filename,
    )
