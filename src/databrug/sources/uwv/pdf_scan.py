"""Cheap checks of a PDF's raw bytes before PDFium reads them, each bounded in time and memory.

They refuse the common bombs in milliseconds and say which bound was passed: streams that decode to far more
than a verzekeringsbericht needs (one page of text repeated 400,000 times fits in 96 KB of FlateDecode),
more objects than a document of the page limit has, streams without an end. They cannot see everything
PDFium will do (a small form drawn ten times on each of ten levels, filters undone only by PDFium, fonts
with drawing procedures): the worker that runs PDFium (``databrug.sources.pdf_worker``) bounds its memory
and time whatever the construction.
"""

from __future__ import annotations

import base64
import binascii
import bisect
import re
import zlib
from collections.abc import Iterator
from dataclasses import dataclass

from databrug.sources.parsing import MAX_PDF_DECODED_BYTES, MAX_PDF_OBJECTS
from databrug.sources.uwv.pdf_text import Fail

__all__ = ["RawPdf", "check_raw_pdf", "streams_terminated"]

_WHITE = rb"[\x00\t\n\x0c\r ]"
# Possessive quantifiers: no backtracking over long runs of white space or comments on hostile input.
_STREAM_START = re.compile(rb">>(?:" + _WHITE + rb"++|%[^\r\n]*+)*+stream(?![A-Za-z0-9])")
# Literal first, the letter before checked apart: a leading look-behind stops `re` from scanning for the
# literal, which made this search 1 to 3 ms per document (a quarter of the parse; bench/parse.py).
_STREAM_END = re.compile(rb"endstream(?![A-Za-z0-9])")
_OBJECT = re.compile(rb"obj(?![A-Za-z0-9])")
_NAME_ESCAPE = re.compile(rb"#([0-9A-Fa-f]{2})")
_FILTER = re.compile(rb"/Filter" + _WHITE + rb"*+(\[[^\]]*+\]|/[^\x00\t\n\x0c\r /\[\]<>()%]++)")
_NAME = re.compile(rb"/([^\x00\t\n\x0c\r /\[\]<>()%]++)")
_FORM = re.compile(rb"/Subtype" + _WHITE + rb"*+/Form(?![A-Za-z0-9])")
_OBJECT_STREAM = re.compile(rb"/Type" + _WHITE + rb"*+/ObjStm(?![A-Za-z0-9])")
_OBJECT_STREAM_COUNT = re.compile(rb"/N" + _WHITE + rb"++(\d{1,9})(?!\d)")
_DICTIONARY_WINDOW = 4096  # how far before `stream` to look for its object's start
_INFLATE_CHUNK = 64 * 1024
_ZLIB_LAYERS = 4  # zlib inside zlib, as a chain of FlateDecode filters makes it
_BLANK = b"\x00\t\n\x0c\r "
_DEFLATE_MOST_RATIO = 1032  # deflate's limit: one 258-byte match per 2 bits (RFC 1951)
_UNREAD_ALLOWANCE = 512 * 1024  # of the decoded budget, spent on bounds of short streams instead of inflating

_HEX = frozenset({b"ASCIIHexDecode", b"AHx"})
_BASE85 = frozenset({b"ASCII85Decode", b"A85"})


@dataclass(frozen=True)
class _Stream:
    dictionary: bytes
    start: int  # first byte of the data, after the end of line that follows `stream`
    end: int  # where `endstream` starts


@dataclass(frozen=True)
class RawPdf:
    """What the scan saw that the text extraction can use."""

    has_forms: bool  # a stream dictionary says /Subtype /Form


def check_raw_pdf(data: bytes, fail: Fail) -> RawPdf:
    """Streams end, objects and decoded stream bytes stay within the limits; ``fail`` otherwise."""
    ends = _stream_ends(data)
    starts = [match.end() for match in _STREAM_START.finditer(data)]
    if not streams_terminated(starts, ends):
        fail("document", "a PDF whose every stream ends in 'endstream' before the next one starts")
    streams = list(_streams(data, starts, ends))
    if _object_count(data, streams) > MAX_PDF_OBJECTS:
        fail("document", f"a PDF of at most {MAX_PDF_OBJECTS} objects")
    budget = MAX_PDF_DECODED_BYTES
    bounded = _bounds_instead_of_inflating(data, streams)
    for number, stream in enumerate(streams, start=1):
        most = bounded.get(number)
        budget -= most if most is not None else _decoded_size(data, stream, budget)
        if budget < 0:
            fail(
                f"document, stream {number}",
                f"streams that decode to at most {MAX_PDF_DECODED_BYTES // (1024 * 1024)} MiB together",
            )
    return RawPdf(has_forms=any(_FORM.search(stream.dictionary) for stream in streams))


def streams_terminated(starts: list[int], ends: list[int]) -> bool:
    """Each stream is followed by its ``endstream`` before the next stream starts.

    PDFium looks for the end of a stream whose /Length is wrong by scanning ahead, once per stream: a file of
    many unterminated streams costs time quadratic in its size (3,000 such objects in 150 KB: 1.4 s of CPU;
    a few MB: minutes). Found by the parser fuzzer (bench/fuzz_parsers.py). A stream starts where the
    keyword follows a dictionary, with only white space or comments between (as PDFium's tokenizer reads it),
    so the word "stream" in uncompressed page text does not count.
    """
    for index, start in enumerate(starts):
        following = bisect.bisect_left(ends, start)
        if following == len(ends):
            return False
        if index + 1 < len(starts) and ends[following] > starts[index + 1]:
            return False
    return True


def _stream_ends(data: bytes) -> list[int]:
    return [m.start() for m in _STREAM_END.finditer(data) if not data[m.start() - 1 : m.start()].isalpha()]


def _streams(data: bytes, starts: list[int], ends: list[int]) -> Iterator[_Stream]:
    for start in starts:
        keyword = start - len(b"stream")
        dictionary_end = data.rfind(b">>", 0, keyword) + 2
        object_start = data.rfind(b"obj", max(0, dictionary_end - _DICTIONARY_WINDOW), dictionary_end)
        dictionary = data[max(object_start, dictionary_end - _DICTIONARY_WINDOW, 0) : dictionary_end]
        if data.startswith(b"\r\n", start):
            start += 2
        elif data.startswith((b"\n", b"\r"), start):
            start += 1
        end = ends[bisect.bisect_left(ends, start)]
        yield _Stream(_NAME_ESCAPE.sub(lambda m: bytes([int(m[1], 16)]), dictionary), start, end)


def _object_count(data: bytes, streams: list[_Stream]) -> int:
    """Objects in the file (``N G obj``) and in its object streams (their /N), up to just past the limit."""
    count = 0
    for match in _OBJECT.finditer(data):
        if not data[match.start() - 1 : match.start()].isalpha():
            count += 1
            if count > MAX_PDF_OBJECTS:
                return count
    for stream in streams:
        if _OBJECT_STREAM.search(stream.dictionary):
            declared = _OBJECT_STREAM_COUNT.search(stream.dictionary)
            count += int(declared[1]) if declared else 0
    return count


def _bounds_instead_of_inflating(data: bytes, streams: list[_Stream]) -> dict[int, int]:
    """The streams (by 1-based number) counted at their bound instead of inflated, with that bound.

    Shortest first: the short streams that expand the most are the costly ones to inflate (the golden VZB's
    235-byte map of 128 KiB: 0.25 ms, two thirds of this scan), and they need the least of the allowance.
    """
    bounded: dict[int, int] = {}
    unread = _UNREAD_ALLOWANCE
    for index in sorted(range(len(streams)), key=lambda i: streams[i].end - streams[i].start):
        most = _most_it_can_decode_to(data, streams[index])
        if most is not None and most <= unread:
            unread -= most
            bounded[index + 1] = most
    return bounded


def _most_it_can_decode_to(data: bytes, stream: _Stream) -> int | None:
    """For a short stream of zlib data (not zlib inside): the most deflate can expand it to; else None.

    Inflating costs time in proportion to the output (a 249-byte map of 128 KiB in the golden VZB: 0.3 ms,
    most of this scan), so up to ``_UNREAD_ALLOWANCE`` of the budget goes to such bounds instead.
    """
    encoded = data[stream.start : stream.end]
    if len(encoded) * _DEFLATE_MOST_RATIO > _UNREAD_ALLOWANCE:
        return None
    filters = _filters(stream.dictionary)
    if filters and filters[0] in _HEX | _BASE85:
        return None
    encoded = encoded.lstrip(_BLANK)
    if not _zlib_header(encoded):
        return len(encoded)
    try:
        if _zlib_header(zlib.decompressobj().decompress(encoded, 2)):
            return None
    except zlib.error:
        return 0
    return len(encoded) * _DEFLATE_MOST_RATIO


def _filters(dictionary: bytes) -> list[bytes]:
    """The stream's filter names in order, as far as they are written out in its dictionary."""
    found = _FILTER.search(dictionary)
    return [] if found is None else [name[1] for name in _NAME.finditer(found[1])]


def _decoded_size(data: bytes, stream: _Stream, budget: int) -> int:
    """What the stream decodes to, as far as it can be undone here; just past ``budget`` at most.

    Zlib data is recognised by its header, as PDFium needs it (raw deflate does not decode there), so the
    count does not depend on reading the dictionary right; ASCIIHex/ASCII85 named first in the dictionary are
    undone before, and zlib inside zlib is followed. A filter only PDFium undoes (LZW, RunLength, images)
    counts as its encoded size.
    """
    encoded: bytes | memoryview = memoryview(data)[stream.start : stream.end]
    for name in _filters(stream.dictionary):
        if name in _HEX:
            encoded = _undo_hex(encoded)
        elif name in _BASE85:
            encoded = _undo_base85(encoded)
        else:
            break
    size = len(encoded)
    for _ in range(_ZLIB_LAYERS):
        encoded = bytes(encoded).lstrip(_BLANK) if _starts_blank(encoded) else encoded
        if not _zlib_header(encoded):
            break
        size, inner = _inflate(encoded, budget)
        if inner is None:
            break
        encoded = inner
    return size


def _starts_blank(encoded: bytes | memoryview) -> bool:
    return len(encoded) > 0 and encoded[0] in _BLANK


def _zlib_header(encoded: bytes | memoryview) -> bool:
    """RFC 1950: deflate (method 8), a window of at most 32 KiB, and the check bits."""
    if len(encoded) < 2:
        return False
    method, flags = encoded[0], encoded[1]
    return method & 0x0F == 8 and method >> 4 <= 7 and (method << 8 | flags) % 31 == 0


def _inflate(encoded: bytes | memoryview, budget: int) -> tuple[int, bytes | None]:
    """The inflated size (past ``budget`` means over) and, when it is zlib data again, the inflated bytes."""
    inflater = zlib.decompressobj()
    size = 0
    kept: list[bytes] | None = None
    pending: bytes | memoryview = encoded
    while True:
        try:
            chunk = inflater.decompress(pending, _INFLATE_CHUNK)
        except zlib.error:  # PDFium keeps what inflated before the damage
            break
        if size == 0 and _zlib_header(chunk):
            kept = []
        size += len(chunk)
        if size > budget:
            return size, None
        if kept is not None:
            kept.append(chunk)
        pending = inflater.unconsumed_tail
        if inflater.eof or (not pending and len(chunk) < _INFLATE_CHUNK):
            break
    return size, None if kept is None else b"".join(kept)


def _undo_hex(encoded: bytes | memoryview) -> bytes:
    digits = bytes(encoded).split(b">", 1)[0].translate(None, _BLANK)
    try:
        return binascii.a2b_hex(digits + b"0" * (len(digits) % 2))
    except binascii.Error:
        return b""


def _undo_base85(encoded: bytes | memoryview) -> bytes:
    text = bytes(encoded).split(b"~>", 1)[0].translate(None, _BLANK)
    try:
        return base64.a85decode(text)
    except ValueError:
        return b""
