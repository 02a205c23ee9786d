"""Hostile PDFs of several constructions, each built here in memory and at most 1 MB (issue 13).

Every builder returns a complete, well-formed PDF (objects, xref, trailer) whose cost shows only when a
reader expands it: repeated text in a compressed stream, many objects, forms drawn inside forms, streams that
decode to far more than they weigh. Shared by tests/integration/security/test_document_bombs.py and
bench/hostile.py.
"""

from __future__ import annotations

import threading
import zlib
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from bench.fuzz_parsers import pdf_file

MAX_BOMB_BYTES = 1024 * 1024

_FONT = b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"


def stream(content: bytes, dictionary: bytes = b"", *, filter_name: bytes | None = b"FlateDecode") -> bytes:
    if filter_name == b"FlateDecode":
        content = zlib.compress(content, 9)
    if filter_name is not None:
        dictionary += b" /Filter /" + filter_name
    return b"<< /Length %d%s >>\nstream\n" % (len(content), dictionary) + content + b"\nendstream"


def pages_sharing(
    content_stream: bytes, *, pages: int = 1, resources: bytes = b"", extra: Sequence[bytes] = ()
) -> bytes:
    """``pages`` pages drawing one content stream (object 4); ``extra`` objects are numbered from 5."""
    first_page = 5 + len(extra)
    kids = b" ".join(b"%d 0 R" % (first_page + n) for n in range(pages))
    page = (
        b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
        b" /Resources << /Font << /F1 3 0 R >> " + resources + b" >> >>"
    )
    return pdf_file(
        [
            b"<< /Type /Catalog /Pages 2 0 R >>",
            b"<< /Type /Pages /Kids [" + kids + b"] /Count %d >>" % pages,
            _FONT,
            content_stream,
            *extra,
            *[page] * pages,
        ]
    )


def _text(shown: bytes, times: int) -> bytes:
    return b"BT /F1 10 Tf 72 720 Td " + shown * times + b" ET"


def repeated_text(draws: int = 400_000, word_length: int = 64) -> bytes:
    """The bomb issue 13 reports: one page whose FlateDecode content repeats ``(AAAA…) Tj`` 400,000 times."""
    return pages_sharing(stream(_text(b"(" + b"A" * word_length + b") Tj ", draws)))


def repeated_text_within_decoded_budget(draws: int = 150_000) -> bytes:
    """Short strings: the stream decodes to 2.4 MB, under the raw-byte budget; 150,000 objects for PDFium."""
    return pages_sharing(stream(_text(b"(AAAAAAAAAA) Tj ", draws)))


def many_heavy_pages(pages: int = 200, paths_per_page: int = 19_000) -> bytes:
    """The page limit's worth of pages, each drawing just under the per-page object limit (shared content)."""
    return pages_sharing(stream(b"0 0 1 1 re f " * paths_per_page), pages=pages)


def many_text_pages(pages: int = 200, chars_per_page: int = 90_000) -> bytes:
    """Pages each just under the per-page character limit; together far over the document's."""
    words = chars_per_page // 3000
    return pages_sharing(stream(_text(b"(" + b"A" * 3000 + b") Tj 0 -12 Td ", words)), pages=pages)


def nested_forms(levels: int = 10, draws: int = 10) -> bytes:
    """A form that draws the next one ``draws`` times, ``levels`` deep: draws ** levels drawings of text."""
    forms = []
    for level in range(levels):
        number = 5 + level
        if level == levels - 1:
            body, resources = _text(b"(Hallo) Tj ", 1), b"/Font << /F1 3 0 R >>"
        else:
            body, resources = b"q /X Do Q " * draws, b"/XObject << /X %d 0 R >>" % (number + 1)
        dictionary = b" /Type /XObject /Subtype /Form /BBox [0 0 595 842] /Resources << " + resources + b" >>"
        forms.append(stream(body, dictionary))
    return pages_sharing(stream(b"q /X Do Q " * draws), resources=b"/XObject << /X 5 0 R >>", extra=forms)


def huge_image(side: int = 10_000) -> bytes:
    """An image of side x side grey pixels in FlateDecode: 100 MB once decoded, 100 KB in the file."""
    pixels = zlib.compressobj(9)
    row = bytes(side)
    body = b"".join(pixels.compress(row) for _ in range(side)) + pixels.flush()
    image = b"<< /Type /XObject /Subtype /Image /Width %d /Height %d /ColorSpace /DeviceGray" % (side, side)
    image += b" /BitsPerComponent 8 /Filter /FlateDecode /Length %d >>\nstream\n" % len(body)
    content = stream(b"q %d 0 0 %d 0 0 cm /Im Do Q " % (side, side) + _text(b"(Loongegevens) Tj ", 1))
    return pages_sharing(
        content, resources=b"/XObject << /Im 5 0 R >>", extra=[image + body + b"\nendstream"]
    )


def lzw_decoded_giant(cycles: int = 170) -> bytes:
    """A content stream in LZWDecode (which only PDFium undoes) of 'A' repeated: ~1.3 GB once decoded."""
    return pages_sharing(stream(lzw_repeated_byte(cycles), filter_name=b"LZWDecode"))


def many_objects(count: int = 18_000) -> bytes:
    """Tens of thousands of small objects besides a one-page document."""
    filler = [b"(filler %d)" % n for n in range(count)]
    return pages_sharing(stream(_text(b"(Loongegevens) Tj ", 1)), extra=filler)


def deep_nesting(depth: int = 100_000) -> bytes:
    """A page whose dictionary holds an array nested ``depth`` levels deep."""
    page = pages_sharing(stream(_text(b"(Loongegevens) Tj ", 1)))
    return page.replace(b"/MediaBox", b"/Deep " + b"[" * depth + b"]" * depth + b" /MediaBox", 1)


def uncompressed_text(strings: int = 30, length: int = 30_000) -> bytes:
    """Plain (unfiltered) text of 900,000 characters on one page in under 1 MB: no decoding to bound."""
    return pages_sharing(stream(_text(b"(" + b"A" * length + b") Tj ", strings), filter_name=None))


@dataclass(frozen=True)
class Bomb:
    name: str
    build: Callable[[], bytes]
    refusal: str  # a word the error's ``expected`` holds: which bound refused it


BOMBS: tuple[Bomb, ...] = (
    Bomb("repeated text (issue 13)", repeated_text, "decode"),
    Bomb("repeated text within the decoded budget", repeated_text_within_decoded_budget, "objects"),
    Bomb("200 heavy pages", many_heavy_pages, "within"),
    Bomb("200 pages of text", many_text_pages, "whole document"),
    Bomb("nested forms 10 x 10", nested_forms, "within"),
    Bomb("huge image", huge_image, "decode"),
    Bomb("LZW-decoded giant stream", lzw_decoded_giant, "within"),
    Bomb("18,000 objects", many_objects, "objects"),
    Bomb("array nested 100,000 deep", deep_nesting, ""),
    Bomb("uncompressed text", uncompressed_text, "within"),
)


# --- LZW (PDF 32000-1, 7.4.4, EarlyChange 1) -------------------------------------------------------------

_CLEAR, _END = 256, 257


def lzw_encode(data: bytes) -> bytes:
    """A plain LZW encoder, to check ``lzw_repeated_byte`` against on small inputs."""
    table = {bytes([n]): n for n in range(256)}
    codes = [_CLEAR]
    next_code = 258
    current = b""
    for value in data:
        extended = current + bytes([value])
        if extended in table:
            current = extended
            continue
        codes.append(table[current])
        table[extended] = next_code
        next_code += 1
        current = bytes([value])
        if next_code == 4095:
            codes.append(_CLEAR)
            table = {bytes([n]): n for n in range(256)}
            next_code = 258
    if current:
        codes.append(table[current])
    codes.append(_END)
    return _pack(codes)


def lzw_repeated_byte(cycles: int, value: int = 0x41) -> bytes:
    """LZW of ``value`` repeated, written as codes directly: each table cycle spells out ~7.4 MB."""
    cycle = [_CLEAR, value, *range(258, 4095)]
    return _pack([*(code for _ in range(cycles) for code in cycle), _CLEAR, _END])


def _pack(codes: Sequence[int]) -> bytes:
    out = bytearray()
    accumulator = bits = 0
    width, table_size = 9, 258
    previous_was_clear = False
    for code in codes:
        accumulator = accumulator << width | code
        bits += width
        while bits >= 8:
            bits -= 8
            out.append(accumulator >> bits & 0xFF)
        accumulator &= (1 << bits) - 1
        if code == _CLEAR:
            width, table_size, previous_was_clear = 9, 258, True
            continue
        if code == _END:
            break
        if not previous_was_clear:
            table_size += 1
        previous_was_clear = False
        if table_size + 1 >= 1 << width and width < 12:
            width += 1
    if bits:
        out.append(accumulator << (8 - bits) & 0xFF)
    return bytes(out)


# --- what a bomb costs the broker ----------------------------------------------------------------------


def _status_kib(pid: int | str, key: str) -> int:
    try:
        with open(f"/proc/{pid}/status", encoding="ascii") as status:
            for line in status:
                if line.startswith(key):
                    return int(line.split()[1])
    except OSError:  # the process is gone (a worker stopped on a bound)
        pass
    return 0


def written_bytes(pid: int | str) -> int:
    """Bytes the process caused to be written to storage (``write_bytes`` in /proc/<pid>/io)."""
    with open(f"/proc/{pid}/io", encoding="ascii") as io:
        return next(int(line.split()[1]) for line in io if line.startswith("write_bytes:"))


class PeakMemory:
    """The broker's extra peak RSS while the block runs: this process plus every PDF worker, summed.

    Sampled every millisecond from /proc (a worker killed on a bound leaves no high-water mark to read);
    this process's own high-water mark is reset first and read after, so its part is exact.
    """

    def __init__(self, worker_pids: Callable[[], list[int]]) -> None:
        self._worker_pids = worker_pids
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._sample, daemon=True)
        self._baseline = 0
        self._own_baseline = 0
        self._peak = 0
        self.extra_bytes = 0

    def _total(self) -> tuple[int, int]:
        own = _status_kib("self", "VmRSS:")
        return own, own + sum(_status_kib(pid, "VmRSS:") for pid in self._worker_pids())

    def _sample(self) -> None:
        while not self._stop.wait(0.001):
            self._peak = max(self._peak, self._total()[1])

    def __enter__(self) -> PeakMemory:
        with open("/proc/self/clear_refs", "w", encoding="ascii") as clear_refs:
            clear_refs.write("5")  # VmHWM back to the current RSS
        self._own_baseline, self._baseline = self._total()
        self._peak = self._baseline
        self._thread.start()
        return self

    def __exit__(self, *_: object) -> None:
        self._stop.set()
        self._thread.join()
        own_extra = _status_kib("self", "VmHWM:") - self._own_baseline
        self.extra_bytes = max(self._peak - self._baseline, own_extra, 0) * 1024
