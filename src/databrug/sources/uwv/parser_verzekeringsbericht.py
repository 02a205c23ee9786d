"""The UWV verzekeringsbericht (PDF) → the citizen's income relations (employers and benefit payers).

Two stages: ``extract_pages`` turns the PDF into text per page (cheap checks of the raw bytes first, then
pypdfium2 in a worker process bounded in time and memory), and ``parse_text`` (in ``pdf_text``) reads that
text into records. The PDF is not the source of truth for the person (BRP is): only ``incomes.relations``
is returned; the person header is checked to carry the same name on every page, and its name, birth date and
BSN (the regular download has one, the IBL variant none) go out as the document's holder, which the binding
check compares with the logged-in person (``sources.binding``) and nothing keeps.
"""

from __future__ import annotations

import dataclasses
from typing import NoReturn

from databrug.records import DocumentType, Incomes, SourceName, Subject
from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_PDF_PAGE_CHARS,
    MAX_PDF_PAGE_OBJECTS,
    MAX_PDF_PAGES,
    MAX_PDF_TEXT_CHARS,
    PDF_READ_MEMORY_BYTES,
    PDF_READ_SECONDS,
    ParseContext,
    ParsedDocument,
    make_entry,
    source_id,
)
from databrug.sources.pdf_worker import PdfRefusal, TextLimits, pdf_workers
from databrug.sources.uwv.pdf_scan import check_raw_pdf
from databrug.sources.uwv.pdf_text import Fail, invalid, parse_text, read_text

__all__ = ["PARSER", "VerzekeringsberichtParser", "extract_pages", "parse_text"]

_PDF_MAGIC = b"%PDF-"
_HEADER_WINDOW = 1024  # the PDF header may follow a little junk (PDF 32000-1, 7.5.2 / implementation note)
_EOF_WINDOW = 1024
_TEXT_LIMITS = TextLimits(
    pages=MAX_PDF_PAGES,
    page_objects=MAX_PDF_PAGE_OBJECTS,
    page_chars=MAX_PDF_PAGE_CHARS,
    text_chars=MAX_PDF_TEXT_CHARS,
)


class VerzekeringsberichtParser:
    source: SourceName = "uwv"
    document_type: DocumentType = "verzekeringsbericht"
    media_type = "application/pdf"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        return _PDF_MAGIC in data[:_HEADER_WINDOW]

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        pages = extract_pages(data, filename=context.filename)
        source_ref = source_id(context.subject, "verzekeringsbericht")
        relations, holder = read_text(pages, source_ref=source_ref, fail=invalid(context.filename))
        entry = make_entry(
            data=data,
            context=context,
            source="uwv",
            document_type="verzekeringsbericht",
            media_type=self.media_type,
            parser_version=self.version,
        )
        subject = Subject(role=context.subject, incomes=Incomes(relations=relations))
        return ParsedDocument(entry, subject, holder)


PARSER = VerzekeringsberichtParser()


def extract_pages(data: bytes, *, filename: str | None = None) -> list[str]:
    """The text of each page: size, type and completeness first, then the raw-byte bounds, then PDFium.

    PDFium runs in a worker process (``databrug.sources.pdf_worker``) that stops reading past
    ``PDF_READ_SECONDS`` or ``PDF_READ_MEMORY_BYTES``, so no document holds up another citizen's.
    """
    fail = invalid(filename)
    if len(data) > MAX_DOCUMENT_BYTES:
        fail("document", f"a document of at most {MAX_DOCUMENT_BYTES} bytes")
    if not VerzekeringsberichtParser.sniff(data):
        fail("document, byte 0", "a PDF file (starting with '%PDF-')")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        fail("document, end", "a complete PDF ending in '%%EOF' (the file looks truncated)")
    raw = check_raw_pdf(data, fail)
    limits = dataclasses.replace(_TEXT_LIMITS, count_in_forms=raw.has_forms)
    try:
        return pdf_workers().page_texts(data, limits)
    except PdfRefusal as refusal:
        _refuse(refusal, fail)


def _refuse(refusal: PdfRefusal, fail: Fail) -> NoReturn:
    page = f"page {refusal.page}" if refusal.page is not None else "document"
    match refusal.reason:
        case "encrypted":
            fail("document", "an unencrypted PDF (this one is an encrypted PDF)")
        case "no_pages":
            fail("document", "at least one page")
        case "too_many_pages":
            fail("document", f"at most {MAX_PDF_PAGES} pages")
        case "page_objects":
            fail(page, f"at most {MAX_PDF_PAGE_OBJECTS} drawing objects per page")
        case "page_chars":
            fail(page, f"at most {MAX_PDF_PAGE_CHARS} characters of text per page")
        case "text_chars":
            fail(page, f"at most {MAX_PDF_TEXT_CHARS} characters of text in the whole document")
        case "too_slow":
            fail(
                "document",
                f"a PDF whose text can be read within {PDF_READ_SECONDS:g} s (this one takes longer)",
            )
        case "too_much_memory":
            memory = PDF_READ_MEMORY_BYTES // (1024 * 1024)
            fail("document", f"a PDF whose text can be read within {memory} MiB (this one needs more)")
        case "unreadable":
            fail("document", "a readable PDF (PDFium could not open it)")
        case "extraction_failed" | "crashed":
            fail("document", "a readable PDF (text extraction failed)")
