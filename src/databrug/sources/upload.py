"""Reading a document the citizen downloaded themselves: behind ``databrug parse`` and the app upload."""

from __future__ import annotations

from databrug.observability.tracing import span
from databrug.records import Role, SourceName
from databrug.sources.connectors import detect
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext, ParsedDocument


def parse_upload(
    data: bytes,
    *,
    source: SourceName | None = None,
    subject: Role = "applicant",
    filename: str | None = None,
    subject_bsn: str | None = None,
) -> ParsedDocument:
    if len(data) > MAX_DOCUMENT_BYTES:
        raise DocumentInvalid(
            source,
            None,
            "the whole file",
            f"at most {MAX_DOCUMENT_BYTES // (1024 * 1024)} MB",
            filename=filename,
        )
    if not data:
        raise DocumentInvalid(source, None, "the whole file", "a non-empty document", filename=filename)
    parser = detect(data, source=source, filename=filename)
    context = ParseContext(subject=subject, origin="uploaded", filename=filename, subject_bsn=subject_bsn)
    with span("document.parse", source=parser.source, document_type=parser.document_type):
        return parser.parse(data, context)
