"""What every parser takes and returns; shared by all connectors and by ``databrug parse``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, date, datetime
from decimal import Decimal
from typing import Literal, Protocol

from databrug.records import DocumentType, Role, SourceEntry, SourceName, Subject

# Limits on what a parser accepts (docs/design.md §3.8): hostile input must stay bounded.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_XML_DEPTH = 64
MAX_JSON_DEPTH = 32  # the real downloads nest at most about 8 levels

# PDF, checked on the raw bytes before PDFium reads them (uwv/pdf_scan.py). A sandbox verzekeringsbericht of
# one to three pages has 13 to 19 objects and its streams decode to about 160 KB (mostly its font).
MAX_PDF_OBJECTS = 10_000
MAX_PDF_DECODED_BYTES = 4 * 1024 * 1024  # all streams together, as far as their filters can be undone cheaply
# PDF, checked by the worker process while PDFium reads (pdf_worker.py). A VZB page holds about 2,000
# characters; building PDFium's text of a page costs about 230 bytes and 0.7 us per character.
MAX_PDF_PAGE_OBJECTS = 20_000  # objects one page draws (in forms: per drawing), counted before its text
MAX_PDF_PAGE_CHARS = 100_000
MAX_PDF_TEXT_CHARS = 500_000  # the whole document
# What reading one PDF may cost at most, whatever its construction: past either bound the worker reading it is
# stopped and the document refused. Within the 2 s / 256 MiB the broker promises per hostile document.
PDF_READ_SECONDS = 1.5
PDF_READ_MEMORY_BYTES = 192 * 1024 * 1024

# JSON and XML, counted on the raw bytes before parsing: the parsed tree costs 25 to 75 bytes of memory and
# up to 5 us of reading per value or element, so counts bound both. The sandbox's documents hold at most a few
# hundred values or elements.
MAX_JSON_VALUES = 50_000
MAX_JSON_NUMBER_CHARS = 40  # an amount of 10**13 euros with cents is 16
MAX_XML_ELEMENTS = 50_000
MAX_XML_ATTRIBUTES = 10_000


def json_values_at_most(data: bytes) -> int:
    """An upper bound on the values (members and items) in a JSON text, without parsing it.

    Each value but the first follows a comma or opens a container; commas inside strings only make the bound
    looser.
    """
    return data.count(b",") + data.count(b"[") + data.count(b"{") + 1


def xml_elements_at_most(data: bytes) -> int:
    """An upper bound on the elements in an XML text: each has a start tag, and every tag starts with '<'."""
    return data.count(b"<")


def xml_attributes_at_most(data: bytes) -> int:
    """An upper bound on the attributes in an XML text: each has an '='."""
    return data.count(b"=")


class JsonNumberTooLong(ValueError):
    """A JSON number of more than ``MAX_JSON_NUMBER_CHARS`` characters (raised from inside ``json.loads``)."""


def json_decimal(text: str) -> Decimal:
    """``parse_float`` for ``json.loads``: a fraction as Decimal (never float), of bounded length."""
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise JsonNumberTooLong
    return Decimal(text)


def json_integer(text: str) -> int:
    """``parse_int`` for ``json.loads``, of bounded length."""
    if len(text) > MAX_JSON_NUMBER_CHARS:
        raise JsonNumberTooLong
    return int(text)


@dataclass(frozen=True)
class ParseContext:
    subject: Role = "applicant"
    retrieved_at: datetime = field(default_factory=lambda: datetime.now(UTC))
    origin: Literal["fetched", "uploaded"] = "fetched"
    filename: str | None = None
    # The BSN of the logged-in citizen (the DigiD token's subject), for documents that list several persons
    # and need it to tell which one is the citizen (e.g. WOZ: owner or tenant). None when unknown.
    subject_bsn: str | None = None


@dataclass(frozen=True)
class DocumentHolder:
    """Whose document it is, as the document itself says: compared with the logged-in person
    (``sources.binding``), then dropped. Never a record, never sealed, never logged.

    Every value listed must fit the person: a BSN the document names as its subject, a name as printed
    ("J. de Vries", "Mevrouw" and the like already stripped), a full birth date. A partial birth date
    ("maart 1980", "onbekend") is not one: it cannot tell two people apart.
    """

    bsns: frozenset[str] = frozenset()
    names: frozenset[str] = frozenset()
    birth_dates: frozenset[date] = frozenset()

    @property
    def says_anything(self) -> bool:
        return bool(self.bsns or self.names or self.birth_dates)


NO_HOLDER = DocumentHolder()
"""A document that names nobody (vehicles, an empty WOZ list)."""


@dataclass(frozen=True)
class ParsedDocument:
    """One document's provenance entry and the records it yielded, as a partial ``Subject``; beside them,
    whom the document names (``holder``, for the binding check only: the vault does not keep it)."""

    entry: SourceEntry
    subject: Subject
    holder: DocumentHolder = field(default=NO_HOLDER, compare=False)


class Parser(Protocol):
    # Read-only, so that a parser may declare its own source and document type as narrower literals.
    @property
    def source(self) -> SourceName: ...
    @property
    def document_type(self) -> DocumentType: ...
    @property
    def media_type(self) -> str: ...
    @property
    def version(self) -> str: ...

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument: ...

    @staticmethod
    def sniff(data: bytes) -> bool:
        """Cheap check on the first bytes: is this my kind of document?"""
        ...


def source_id(role: Role, document_type: DocumentType) -> str:
    """Stable provenance id: a retried or re-uploaded document replaces its earlier version."""
    return f"src-{role}-{document_type}"


def make_entry(
    *,
    data: bytes,
    context: ParseContext,
    source: SourceName,
    document_type: DocumentType,
    media_type: str,
    parser_version: str,
) -> SourceEntry:
    return SourceEntry(
        id=source_id(context.subject, document_type),
        subject=context.subject,
        source=source,
        document_type=document_type,
        media_type=media_type,
        sha256=hashlib.sha256(data).hexdigest(),
        retrieved_at=context.retrieved_at,
        parser_version=parser_version,
        origin=context.origin,
    )
