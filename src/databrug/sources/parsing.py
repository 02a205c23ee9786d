"""What every parser takes and returns; shared by all connectors and by ``databrug parse``."""

from __future__ import annotations

import hashlib
from dataclasses import dataclass, field
from datetime import UTC, datetime
from typing import Literal, Protocol

from databrug.records import DocumentType, Role, SourceEntry, SourceName, Subject

# Limits on what a parser accepts (DESIGN §3.8): hostile input must stay bounded.
MAX_DOCUMENT_BYTES = 20 * 1024 * 1024
MAX_PDF_PAGES = 200
MAX_XML_DEPTH = 64


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
class ParsedDocument:
    """One document's provenance entry and the records it yielded, as a partial ``Subject``."""

    entry: SourceEntry
    subject: Subject


class Parser(Protocol):
    source: SourceName
    document_type: DocumentType
    media_type: str
    version: str

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
