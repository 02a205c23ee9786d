"""Every parser the product knows, and document-type detection for uploads and ``databrug parse``."""

from __future__ import annotations

import importlib
from functools import cache

from databrug.records import DocumentType, SourceName
from databrug.sources.errors import UnknownDocument
from databrug.sources.parsing import Parser

# Order matters for detection only where two sniffers could both match; the most specific comes first.
PARSER_MODULES: tuple[str, ...] = (
    "databrug.sources.uwv.parser",
    "databrug.sources.mijnpensioenoverzicht.parser",
    "databrug.sources.belastingdienst.parser_belastinggegevens",
    "databrug.sources.belastingdienst.parser_toeslagen",
    "databrug.sources.mijnoverheid.parser_brp",
    "databrug.sources.mijnoverheid.parser_woz",
    "databrug.sources.mijnoverheid.parser_vehicles",
)


@cache
def all_parsers() -> tuple[Parser, ...]:
    parsers: list[Parser] = []
    for name in PARSER_MODULES:
        module = importlib.import_module(name)
        parsers.append(module.PARSER)
    return tuple(parsers)


def by_document_type(document_type: DocumentType) -> Parser:
    for parser in all_parsers():
        if parser.document_type == document_type:
            return parser
    raise KeyError(document_type)


def detect(data: bytes, *, source: SourceName | None = None, filename: str | None = None) -> Parser:
    """Pick the parser for a document by its content (and, when given, restricted to one source)."""
    candidates = [p for p in all_parsers() if source is None or p.source == source]
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
