"""Inputs the parser fuzzer (bench/fuzz_parsers.py) found too slow or crashing, kept as regression tests."""

from __future__ import annotations

import time
from pathlib import Path

import pytest
from fpdf import FPDF

from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import ParseContext
from databrug.sources.uwv.parser_verzekeringsbericht import PARSER, extract_pages

GOLDEN = Path(__file__).parents[3] / "golden" / "uwv" / "pdf" / "long-history-with-car.pdf"


def _with_objects(objects: bytes) -> bytes:
    pdf = GOLDEN.read_bytes()
    at = pdf.find(b"\n3 0 obj") + 1
    return pdf[:at] + objects + pdf[at:]


def unterminated_streams(count: int) -> bytes:
    return _with_objects(
        b"".join(b"%d 0 obj\n<</Length 99999>>\nstream\nxx\nendobj\n" % (1000 + n) for n in range(count))
    )


def test_many_unterminated_streams_are_refused_before_pdfium_scans_them() -> None:
    # seed 1, input 10701: one stream object duplicated 1,000 times cost 2 s of CPU inside PDFium, and the
    # cost grows with the square of the count; 40,000 such objects (2 MB) would have taken many minutes.
    data = unterminated_streams(40_000)
    started = time.process_time()
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(data, ParseContext())
    assert time.process_time() - started < 0.5
    assert "endstream" in caught.value.expected


def test_one_unterminated_stream_is_refused() -> None:
    with pytest.raises(DocumentInvalid):
        PARSER.parse(unterminated_streams(1), ParseContext())


def test_terminated_streams_with_a_wrong_length_still_reach_pdfium() -> None:
    objects = b"".join(
        b"%d 0 obj\n<</Length 99999>>\nstream\nxx\nendstream\nendobj\n" % (1000 + n) for n in range(50)
    )
    assert extract_pages(_with_objects(objects)) == extract_pages(GOLDEN.read_bytes())


def test_words_ending_in_stream_in_uncompressed_text_are_not_keywords() -> None:
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    pdf.cell(0, 10, "Mainstream B.V. / Upstreams")
    assert extract_pages(bytes(pdf.output())) == ["Mainstream B.V. / Upstreams"]


def test_endstream_glued_to_a_word_does_not_close_a_stream() -> None:
    objects = b"1000 0 obj\n<</Length 99999>>\nstream\nxx\nxendstream\nendobj\n"
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(_with_objects(objects), ParseContext())
    assert "endstream" in caught.value.expected
