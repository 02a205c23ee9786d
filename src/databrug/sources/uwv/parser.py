"""The UWV verzekeringsbericht (PDF) → the citizen's income relations (employers and benefit payers).

Two stages: ``extract_pages`` turns the PDF into text per page with pypdfium2 (limits first, then under a
lock: PDFium is not thread-safe), and ``parse_text`` (in ``layout``) reads that text into records. The PDF is
not the source of truth for the person (BRP is): only ``incomes.relations`` is returned; the person header is
only checked to carry the same name on every page.

A BSN in the document is not by itself a reason to refuse it: the IBL variant carries none, the regular
download does, and Databrug has the BSN from BRP anyway. A header BSN is only compared with the logged-in
citizen's (``ParseContext.subject_bsn``), so an upload of someone else's verzekeringsbericht is refused; it is
never returned or kept.
"""

from __future__ import annotations

import bisect
import re
import threading

import pypdfium2 as pdfium
import pypdfium2.raw as pdfium_c

from databrug.records import Incomes, Subject
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_PDF_PAGES,
    ParseContext,
    ParsedDocument,
    make_entry,
    source_id,
)
from databrug.sources.uwv.layout import Fail, invalid, parse_text

__all__ = ["PARSER", "VerzekeringsberichtParser", "extract_pages", "parse_text"]

# Text a page may yield; a real VZB page holds a few thousand characters.
MAX_PAGE_CHARS = 100_000

_PDF_MAGIC = b"%PDF-"
_HEADER_WINDOW = 1024  # the PDF header may follow a little junk (PDF 32000-1, 7.5.2 / implementation note)
_EOF_WINDOW = 1024
_PDFIUM_LOCK = threading.Lock()
# Possessive quantifiers: no backtracking over long runs of white space or comments on hostile input.
_STREAM_START = re.compile(rb">>(?:[\x00\t\n\x0c\r ]++|%[^\r\n]*+)*+stream(?![A-Za-z0-9])")
# Literal first, the letter before checked apart: a leading look-behind stops `re` from scanning for the
# literal, which made this search 1 to 3 ms per document (a quarter of the parse; bench/parse.py).
_STREAM_END = re.compile(rb"endstream(?![A-Za-z0-9])")


class VerzekeringsberichtParser:
    source = "uwv"
    document_type = "verzekeringsbericht"
    media_type = "application/pdf"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        return _PDF_MAGIC in data[:_HEADER_WINDOW]

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        pages = extract_pages(data, filename=context.filename)
        relations = parse_text(
            pages,
            source_ref=source_id(context.subject, "verzekeringsbericht"),
            fail=invalid(context.filename),
            subject_bsn=context.subject_bsn,
        )
        entry = make_entry(
            data=data,
            context=context,
            source="uwv",
            document_type="verzekeringsbericht",
            media_type=self.media_type,
            parser_version=self.version,
        )
        return ParsedDocument(entry, Subject(role=context.subject, incomes=Incomes(relations=relations)))


PARSER = VerzekeringsberichtParser()


def extract_pages(data: bytes, *, filename: str | None = None) -> list[str]:
    """The text of each page, after the size, type, completeness, encryption and page-count checks."""
    fail = invalid(filename)
    if len(data) > MAX_DOCUMENT_BYTES:
        fail("document", f"a document of at most {MAX_DOCUMENT_BYTES} bytes")
    if not VerzekeringsberichtParser.sniff(data):
        fail("document, byte 0", "a PDF file (starting with '%PDF-')")
    if b"%%EOF" not in data[-_EOF_WINDOW:]:
        fail("document, end", "a complete PDF ending in '%%EOF' (the file looks truncated)")
    if not _streams_terminated(data):
        fail("document", "a PDF whose every stream ends in 'endstream' before the next one starts")
    with _PDFIUM_LOCK:
        try:
            document = pdfium.PdfDocument(data)
        except pdfium.PdfiumError as exc:
            if exc.err_code in (pdfium_c.FPDF_ERR_PASSWORD, pdfium_c.FPDF_ERR_SECURITY):
                fail("document", "an unencrypted PDF (this one is an encrypted PDF)")
            fail("document", "a readable PDF (PDFium could not open it)")
        except Exception:  # ctypes or decoding failures on hostile input
            fail("document", "a readable PDF (PDFium could not open it)")
        try:
            return _page_texts(document, fail)
        except DocumentInvalid:
            raise
        except Exception:  # PDFium errors, ctypes and decoding failures on hostile input
            fail("document", "a readable PDF (text extraction failed)")
        finally:
            document.close()


def _streams_terminated(data: bytes) -> bool:
    """Each stream is followed by its ``endstream`` before the next stream starts.

    PDFium looks for the end of a stream whose /Length is wrong by scanning ahead, once per stream: a file of
    many unterminated streams costs time quadratic in its size (3,000 such objects in 150 KB: 1.4 s of CPU;
    a few MB: minutes, holding the PDFium lock). Found by the parser fuzzer (bench/fuzz_parsers.py).
    A stream starts where the keyword follows a dictionary, with only white space or comments between (as
    PDFium's tokenizer reads it), so the word "stream" in uncompressed page text does not count.
    """
    ends = [m.start() for m in _STREAM_END.finditer(data) if not data[m.start() - 1 : m.start()].isalpha()]
    starts = [match.end() for match in _STREAM_START.finditer(data)]
    for index, start in enumerate(starts):
        following = bisect.bisect_left(ends, start)
        if following == len(ends):
            return False
        if index + 1 < len(starts) and ends[following] > starts[index + 1]:
            return False
    return True


def _page_texts(document: pdfium.PdfDocument, fail: Fail) -> list[str]:
    if pdfium_c.FPDF_GetSecurityHandlerRevision(document.raw) != -1:
        fail("document", "an unencrypted PDF (this one is an encrypted PDF)")
    count = len(document)
    if count == 0:
        fail("document", "at least one page")
    if count > MAX_PDF_PAGES:
        fail("document", f"at most {MAX_PDF_PAGES} pages")
    texts: list[str] = []
    for index in range(count):
        page = document[index]
        try:
            textpage = page.get_textpage()
            try:
                if textpage.count_chars() > MAX_PAGE_CHARS:
                    fail(f"page {index + 1}", f"at most {MAX_PAGE_CHARS} characters of text per page")
                texts.append(textpage.get_text_range())
            finally:
                textpage.close()
        finally:
            page.close()
    return texts
