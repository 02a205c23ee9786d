"""Typed, located errors of the source connectors. Messages name places and rules, never personal values."""

from __future__ import annotations

from databrug.errors import CodedError
from databrug.records import DocumentType, SourceName


class SourceError(CodedError):
    """Base of every error a connector raises; ``code`` is stable and mapped to HTTP only in ``web/``."""

    code = "source_error"

    def __init__(self, source: SourceName | None, message: str) -> None:
        self.source = source
        super().__init__(message)

    def __str__(self) -> str:
        return f"{self.source or 'unknown source'}: {self.message}"


class SourceUnavailable(SourceError):
    code = "source_unavailable"


class SourceMaintenance(SourceError):
    code = "source_maintenance"

    def __init__(self, source: SourceName, message: str, retry_after_seconds: int | None) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(source, message)


class SourceNotAuthorised(SourceError):
    code = "source_not_authorised"


class DocumentInvalid(SourceError):
    """A document that could not be read. ``location`` says where (file, page/line, element or JSON path)."""

    code = "document_invalid"

    def __init__(
        self,
        source: SourceName | None,
        document_type: DocumentType | None,
        location: str,
        expected: str,
        filename: str | None = None,
    ) -> None:
        self.document_type = document_type
        self.location = location
        self.expected = expected
        self.filename = filename
        where = f"{filename}, {location}" if filename else location
        kind = document_type or "document"
        super().__init__(source, f"{kind} invalid at {where}: expected {expected}")


class UnknownDocument(DocumentInvalid):
    """``databrug parse`` could not tell which source a file comes from."""

    code = "document_unknown"


class DocumentNotBound(SourceError):
    """A document the binding check (``sources.binding``) refused: it is not shown to be the logged-in
    person's. ``reason`` names what was compared, never a value of it."""

    def __init__(
        self,
        source: SourceName | None,
        document_type: DocumentType | None,
        reason: str,
        filename: str | None = None,
    ) -> None:
        self.document_type = document_type
        self.reason = reason
        self.filename = filename
        kind = f"{document_type} ({filename})" if filename else (document_type or "document")
        super().__init__(source, f"{kind} refused: {reason}")


class DocumentOfAnotherPerson(DocumentNotBound):
    """The document names someone else: another BSN, or a name or birth date that is not the person's."""

    code = "document_of_another_person"


class DocumentIdentityUnchecked(DocumentNotBound):
    """An uploaded document that carries too little to show whose it is (no BSN, and not a name with a
    full birth date)."""

    code = "document_identity_unchecked"
