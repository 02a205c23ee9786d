"""The raw-byte checks before PDFium: decoded stream bytes and objects counted cheaply, however written."""

from __future__ import annotations

import base64
import time
import tracemalloc
import zlib
from pathlib import Path

import pytest
from bench.fuzz_parsers import pdf_file
from tests.support.pdf_bombs import nested_forms, pages_sharing, repeated_text, stream

from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_PDF_DECODED_BYTES, MAX_PDF_OBJECTS
from databrug.sources.uwv.pdf_scan import check_raw_pdf
from databrug.sources.uwv.pdf_text import invalid

GOLDEN = Path(__file__).parents[3] / "golden" / "uwv" / "pdf"
SPACES_OVER_BUDGET = b" " * (MAX_PDF_DECODED_BYTES + 1)


def scan_refusal(data: bytes) -> DocumentInvalid:
    with pytest.raises(DocumentInvalid) as caught:
        check_raw_pdf(data, invalid("upload.pdf"))
    return caught.value


def with_raw_stream(encoded: bytes, dictionary: bytes = b"") -> bytes:
    content = b"<< /Length %d%s >>\nstream\n" % (len(encoded), dictionary) + encoded + b"\nendstream"
    return pages_sharing(content)


@pytest.mark.parametrize("golden", sorted(GOLDEN.glob("*.pdf")), ids=lambda path: path.stem)
def test_the_golden_documents_pass(golden: Path) -> None:
    check_raw_pdf(golden.read_bytes(), invalid("upload.pdf"))


def test_a_stream_just_under_the_budget_passes_and_one_over_is_refused_with_its_place() -> None:
    # the page's font dictionary is no stream; the content stream is the only one
    check_raw_pdf(pages_sharing(stream(b" " * (MAX_PDF_DECODED_BYTES - 4096))), invalid())
    error = scan_refusal(pages_sharing(stream(SPACES_OVER_BUDGET)))
    assert error.location == "document, stream 1"
    assert "decode to at most 4 MiB" in error.expected


def test_the_budget_is_for_all_streams_together() -> None:
    half = stream(b" " * (MAX_PDF_DECODED_BYTES // 2 + 1024))
    assert "stream 2" in scan_refusal(pages_sharing(half, extra=[half])).location


@pytest.mark.parametrize(
    ("encoded", "dictionary"),
    [
        pytest.param(
            zlib.compress(zlib.compress(SPACES_OVER_BUDGET)),
            b" /Filter [/FlateDecode /FlateDecode]",
            id="flate-in-flate",
        ),
        pytest.param(
            zlib.compress(SPACES_OVER_BUDGET).hex().encode() + b">",
            b" /Filter [/AHx /Fl]",
            id="hex-then-flate",
        ),
        pytest.param(
            base64.a85encode(zlib.compress(SPACES_OVER_BUDGET)) + b"~>",
            b" /Filter [/ASCII85Decode /FlateDecode]",
            id="base85-then-flate",
        ),
        pytest.param(zlib.compress(SPACES_OVER_BUDGET), b" /Filter /Fl#61teDecode", id="escaped-filter-name"),
        pytest.param(zlib.compress(SPACES_OVER_BUDGET), b" /Filter 9 0 R", id="indirect-filter"),
        pytest.param(zlib.compress(SPACES_OVER_BUDGET), b"", id="no-filter-named"),
        pytest.param(
            b"  \r\n" + zlib.compress(SPACES_OVER_BUDGET), b" /Filter /FlateDecode", id="blanks-before-data"
        ),
    ],
)
def test_zlib_data_is_counted_however_the_dictionary_names_it(encoded: bytes, dictionary: bytes) -> None:
    assert "decode to at most" in scan_refusal(with_raw_stream(encoded, dictionary)).expected


def test_a_stream_refused_costs_no_more_than_a_chunk_of_memory() -> None:
    bomb = repeated_text()  # decodes to 28 MB
    tracemalloc.start()
    started = time.process_time()
    try:
        scan_refusal(bomb)
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert time.process_time() - started < 0.2
    assert peak < len(bomb) + 2 * 1024 * 1024


def test_objects_in_the_file_are_counted() -> None:
    filler = [b"null"] * MAX_PDF_OBJECTS
    assert scan_refusal(pages_sharing(stream(b""), extra=filler)).expected == (
        f"a PDF of at most {MAX_PDF_OBJECTS} objects"
    )


def test_objects_inside_object_streams_are_counted() -> None:
    packed = stream(b"0 0 ", b" /Type /ObjStm /N %d /First 4" % MAX_PDF_OBJECTS)
    assert "objects" in scan_refusal(pages_sharing(stream(b""), extra=[packed])).expected


def test_an_unterminated_stream_is_refused() -> None:
    data = pdf_file([b"<< /Type /Catalog >>", b"<< /Length 5 >>\nstream\nhallo\nendobj"])
    assert "endstream" in scan_refusal(data).expected


def test_short_streams_bounded_without_inflating_still_count_against_the_budget() -> None:
    short = stream(bytes(512 * 1024))  # half a MiB of zeros in about 500 bytes
    assert len(short) < 600
    error = scan_refusal(pages_sharing(short, extra=[short] * 8))
    assert "decode to at most" in error.expected
    check_raw_pdf(pages_sharing(short, extra=[short] * 6), invalid())  # 3.5 MiB: within


def test_the_scan_tells_whether_forms_are_drawn() -> None:
    assert not check_raw_pdf((GOLDEN / "long-history-with-car.pdf").read_bytes(), invalid()).has_forms
    assert check_raw_pdf(nested_forms(3, 2), invalid()).has_forms
