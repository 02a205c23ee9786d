"""Hostile and broken input: every bad file is a located DocumentInvalid, quickly; nothing else escapes."""

from __future__ import annotations

import contextlib
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from fpdf import FPDF
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, MAX_PDF_PAGES, ParseContext
from databrug.sources.uwv.parser_verzekeringsbericht import PARSER, VerzekeringsberichtParser

GOLDEN = Path(__file__).parents[3] / "golden" / "uwv" / "pdf" / "long-history-with-car.pdf"
CONTEXT = ParseContext(filename="upload.pdf")


def refusal(data: bytes, *, within_seconds: float = 2.0) -> DocumentInvalid:
    started = time.perf_counter()
    with pytest.raises(DocumentInvalid) as caught:
        PARSER.parse(data, CONTEXT)
    assert time.perf_counter() - started < within_seconds
    error = caught.value
    assert (error.source, error.document_type, error.filename) == ("uwv", "verzekeringsbericht", "upload.pdf")
    return error


def small_pdf(
    text: str = "Hallo", *, pages: int = 1, encrypt_user: str | None = None, owner: bool = False
) -> bytes:
    pdf = FPDF()
    if owner or encrypt_user is not None:
        pdf.set_encryption(owner_password="eigenaar", user_password=encrypt_user)
    pdf.set_font("helvetica", size=10)
    for _ in range(pages):
        pdf.add_page()
        pdf.cell(0, 10, text)
    return bytes(pdf.output())


def test_zero_bytes() -> None:
    assert refusal(b"").location == "document, byte 0"


def test_not_a_pdf() -> None:
    assert "PDF file" in refusal(b"<html><body>Verzekeringsbericht</body></html>").expected


@pytest.mark.parametrize("fraction", [0.05, 0.5, 0.95, 0.999])
def test_truncated_pdf(fraction: float) -> None:
    golden = GOLDEN.read_bytes()
    assert "truncated" in refusal(golden[: int(len(golden) * fraction)]).expected


@pytest.mark.parametrize("fraction", [0.3, 0.8])
def test_truncated_pdf_with_a_forged_end_marker(fraction: float) -> None:
    golden = GOLDEN.read_bytes()
    refusal(golden[: int(len(golden) * fraction)] + b"\n%%EOF\n")


@pytest.mark.parametrize(
    "pdf",
    [
        pytest.param(lambda: small_pdf("Loongegevens", encrypt_user="geheim"), id="user-password"),
        pytest.param(lambda: small_pdf("Loongegevens", owner=True), id="owner-password-only"),
    ],
)
def test_encrypted_pdf(pdf: object) -> None:
    assert callable(pdf)
    assert "encrypted PDF" in refusal(pdf()).expected


def test_more_pages_than_the_limit_is_refused_before_any_text_is_read() -> None:
    data = small_pdf("Loongegevens", pages=MAX_PDF_PAGES + 1)
    error = refusal(data, within_seconds=0.5)
    assert error.expected == f"at most {MAX_PDF_PAGES} pages"


def test_oversized_document_is_refused_without_opening_it() -> None:
    data = b"%PDF-1.7\n" + b"0" * MAX_DOCUMENT_BYTES + b"\n%%EOF\n"
    assert "bytes" in refusal(data, within_seconds=0.5).expected


def test_a_pdf_in_another_layout() -> None:
    refusal(small_pdf("Voorlopige aanslag inkomstenbelasting 2026"))


def test_a_pdf_with_a_page_header_but_no_wage_section() -> None:
    pdf = FPDF()
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    for line in ("Verzekeringsbericht", "De heer J. de Vries", "Datum: 1 november 2026", "VZB-006"):
        pdf.cell(0, 6, line, new_x="LMARGIN", new_y="NEXT")
    assert "Loongegevens" in refusal(bytes(pdf.output())).expected


def test_a_pdf_with_no_pages() -> None:
    data = (
        b"%PDF-1.4\n1 0 obj<</Type/Catalog/Pages 2 0 R>>endobj\n2 0 obj<</Type/Pages/Kids[]/Count 0>>endobj\n"
        b"trailer<</Root 1 0 R>>\n%%EOF\n"
    )
    refusal(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes(data: bytes) -> None:
    refusal(data)


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.binary(max_size=4096))
def test_random_bytes_dressed_as_a_pdf(data: bytes) -> None:
    refusal(b"%PDF-1.7\n" + data + b"\n%%EOF\n")


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(st.lists(st.tuples(st.floats(0, 1, exclude_max=True), st.integers(0, 255)), min_size=1, max_size=8))
def test_corrupted_golden_is_read_or_refused_never_crashes(flips: list[tuple[float, int]]) -> None:
    data = bytearray(GOLDEN.read_bytes())
    for where, value in flips:
        data[int(where * len(data))] = value
    started = time.perf_counter()
    with contextlib.suppress(DocumentInvalid):
        PARSER.parse(bytes(data), CONTEXT)
    assert time.perf_counter() - started < 2.0


def test_sniff_recognises_a_pdf_and_nothing_else() -> None:
    assert VerzekeringsberichtParser.sniff(GOLDEN.read_bytes())
    assert not VerzekeringsberichtParser.sniff(b'{"personen": []}')
    assert not VerzekeringsberichtParser.sniff(b"")


def test_parallel_parses_give_the_same_result() -> None:
    data = GOLDEN.read_bytes()
    expected = PARSER.parse(data, CONTEXT).subject
    with ThreadPoolExecutor(max_workers=4) as pool:
        results = list(pool.map(lambda _: PARSER.parse(data, CONTEXT).subject, range(12)))
    assert all(result == expected for result in results)


def test_the_word_stream_in_uncompressed_page_text_is_not_a_broken_stream() -> None:
    pdf = FPDF()
    pdf.set_compression(False)
    pdf.set_font("helvetica", size=10)
    pdf.add_page()
    lines = [
        "Verzekeringsbericht",
        "De heer J. de Vries",
        "Datum: 1 november 2026",
        "Loongegevens",
        "Werkgever/Instantie Livestream en stream B.V.",
        "Loonheffingennummer 200000007L01",
        "Verzekerde wetten WW, ZW, WAO/WIA",
        "Contractvorm publiekrechtelijke aanstelling voor bepaalde tijd",
        "Periode Aantal uur Sv-loon",
        "01-10-2026 t/m 31-10-2026 120 EUR",
        "VZB-006",
    ]
    for line in lines:
        pdf.cell(0, 6, line.replace("EUR", "\xa4 2.345,67"), new_x="LMARGIN", new_y="NEXT")
    data = bytes(pdf.output())
    assert b" stream B.V." in data  # the page text really is uncompressed
    relations = PARSER.parse(data, CONTEXT).subject.incomes.relations
    assert [r.payer_name for r in relations] == ["Livestream en stream B.V."]


def test_a_comment_between_dictionary_and_stream_keyword_still_counts_as_a_stream() -> None:
    golden = GOLDEN.read_bytes()
    at = golden.find(b"\n3 0 obj") + 1
    objects = b"".join(
        b"%d 0 obj\n<</Length 99999>> %% note\n  stream\nxx\nendobj\n" % (1000 + n) for n in range(2000)
    )
    assert "endstream" in refusal(golden[:at] + objects + golden[at:], within_seconds=0.5).expected


def test_long_runs_of_white_space_after_dictionaries_are_scanned_quickly() -> None:
    golden = GOLDEN.read_bytes()
    at = golden.find(b"\n3 0 obj") + 1
    padding = b"".join(
        b"%d 0 obj\n<<>>" % (1000 + n) + b" " * 2000 + b"% x" + b" " * 2000 + b"\nendobj\n"
        for n in range(1000)
    )
    started = time.process_time()
    with contextlib.suppress(DocumentInvalid):
        PARSER.parse(golden[:at] + padding + golden[at:], CONTEXT)
    assert time.process_time() - started < 1.0
