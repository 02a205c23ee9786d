"""Hostile documents of at most 1 MB are refused within 2 s and 256 MiB, whatever their construction.

Each bomb (tests/support/pdf_bombs.py) goes through every path a document takes: an upload
(``parse_upload``), a portal answer (``Collector.parse``) and ``databrug parse``. The memory bound is the
broker's extra peak RSS: this process and its PDF worker processes, read from /proc. A neighbour's normal
upload parsed while a bomb is being refused must not wait for it. Issue 13, items 1 and 5.
"""

from __future__ import annotations

import asyncio
import statistics
import subprocess
import sys
import threading
import time
from pathlib import Path

import httpx
import pytest
from tests.support.pdf_bombs import (
    BOMBS,
    MAX_BOMB_BYTES,
    Bomb,
    PeakMemory,
    lzw_encode,
    lzw_repeated_byte,
    many_heavy_pages,
    pages_sharing,
    stream,
    written_bytes,
)

from databrug.broker.collect import Collector
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import ParseContext
from databrug.sources.pdf_worker import pdf_workers
from databrug.sources.upload import parse_upload
from databrug.sources.uwv.parser_verzekeringsbericht import PARSER, extract_pages

GOLDEN = Path(__file__).parents[2] / "golden" / "uwv" / "pdf" / "long-history-with-car.pdf"
REFUSAL_SECONDS = 2.0
EXTRA_MEMORY_BYTES = 256 * 1024 * 1024
CONTEXT = ParseContext(filename="upload.pdf")
DATABRUG = str(Path(sys.executable).with_name("databrug"))


@pytest.fixture(scope="module", autouse=True)
def warm_workers() -> None:
    PARSER.parse(GOLDEN.read_bytes(), CONTEXT)  # the workers start here, not inside a measurement


def refuse(data: bytes) -> tuple[DocumentInvalid, float, int]:
    """The refusal, the seconds it took and the broker's extra peak RSS in bytes."""
    workers_before = pdf_workers().pids()
    written_before = written_bytes("self")
    with PeakMemory(pdf_workers().pids) as memory:
        started = time.perf_counter()
        with pytest.raises(DocumentInvalid) as caught:
            parse_upload(data, source="uwv", filename="upload.pdf")
        seconds = time.perf_counter() - started
    assert written_bytes("self") == written_before
    for pid in set(workers_before) & set(pdf_workers().pids()):
        assert written_bytes(pid) == 0
    return caught.value, seconds, memory.extra_bytes


@pytest.mark.parametrize("bomb", BOMBS, ids=[bomb.name for bomb in BOMBS])
def test_a_bomb_upload_is_refused_in_time_and_memory(bomb: Bomb) -> None:
    data = bomb.build()
    assert len(data) <= MAX_BOMB_BYTES
    error, seconds, extra = refuse(data)
    assert (error.code, error.source, error.document_type) == (
        "document_invalid",
        "uwv",
        "verzekeringsbericht",
    )
    assert bomb.refusal in error.expected, error.expected
    assert seconds <= REFUSAL_SECONDS, f"{seconds:.2f} s"
    assert extra <= EXTRA_MEMORY_BYTES, f"{extra / 2**20:.0f} MiB"
    # the pool still reads a normal document afterwards (a stopped worker was replaced)
    assert PARSER.parse(GOLDEN.read_bytes(), CONTEXT).subject.incomes.relations


def test_a_bomb_from_a_portal_is_refused_the_same_way() -> None:
    async def collect() -> None:
        async with httpx.AsyncClient() as http:
            collector = Collector(http, "http://127.0.0.1:9")
            try:
                await collector.parse("verzekeringsbericht", BOMBS[4].build(), ParseContext())
            finally:
                collector.close()

    started = time.perf_counter()
    with pytest.raises(DocumentInvalid) as caught:
        asyncio.run(collect())
    assert time.perf_counter() - started <= REFUSAL_SECONDS
    assert "within" in caught.value.expected


def test_databrug_parse_refuses_a_bomb(tmp_path: Path) -> None:
    bomb = tmp_path / "bomb.pdf"
    bomb.write_bytes(BOMBS[4].build())  # nested forms: only the worker's memory bound stops it
    started = time.perf_counter()
    result = subprocess.run([DATABRUG, "parse", str(bomb)], capture_output=True, text=True, timeout=60)
    seconds = time.perf_counter() - started
    assert result.returncode == 1
    assert "[document_invalid]" in result.stderr
    assert "within" in result.stderr
    assert seconds <= 10.0  # an interpreter start and the imports, then the 2 s bound


def _parse_seconds(data: bytes) -> float:
    started = time.perf_counter()
    PARSER.parse(data, CONTEXT)
    return time.perf_counter() - started


def test_a_neighbour_upload_does_not_wait_for_a_bomb() -> None:
    normal = GOLDEN.read_bytes()
    alone = statistics.median(_parse_seconds(normal) for _ in range(30))
    bomb = many_heavy_pages()  # keeps one worker busy until it is stopped at the time bound
    finished = threading.Event()

    def attack() -> None:
        with pytest.raises(DocumentInvalid):
            PARSER.parse(bomb, CONTEXT)
        finished.set()

    attacker = threading.Thread(target=attack)
    attacker.start()
    time.sleep(0.05)
    during = []
    while not finished.is_set():
        during.append(_parse_seconds(normal))
    attacker.join()
    assert len(during) >= 10
    # bench/hostile.py measures the ratio itself (target 1.5x); this bound holds on a loaded 2-core machine,
    # while a neighbour that waits for the bomb takes the whole 1.5 s
    assert statistics.median(during) <= 3 * alone + 0.02, (alone, statistics.median(during))
    assert max(during) < 0.5


def _lzw_decode(data: bytes) -> bytes:
    """A plain LZW decoder (EarlyChange 1), to check the bomb's hand-written codes spell what they claim."""
    out = bytearray()
    bits = accumulator = 0
    width, table, previous = 9, [bytes([n]) for n in range(256)] + [b"", b""], b""
    for byte in data:
        accumulator, bits = accumulator << 8 | byte, bits + 8
        while bits >= width:
            bits -= width
            code = accumulator >> bits & ((1 << width) - 1)
            if code == 256:
                width, table, previous = 9, table[:258], b""
                continue
            if code == 257:
                return bytes(out)
            entry = table[code] if code < len(table) else previous + previous[:1]
            if previous:
                table.append(previous + entry[:1])
            out += entry
            previous = entry
            if len(table) + 1 >= 1 << width and width < 12:
                width += 1
    return bytes(out)


def test_the_lzw_bomb_is_lzw_that_pdfium_reads() -> None:
    content = (
        b"".join(b"%d %d m " % (n, n) for n in range(4000)) + b"BT /F1 10 Tf 72 720 Td (Hallo LZW) Tj ET"
    )
    encoded = lzw_encode(content)  # long enough to pass every code width and a table reset
    assert _lzw_decode(encoded) == content
    assert extract_pages(pages_sharing(stream(encoded, filter_name=b"LZWDecode"))) == ["Hallo LZW"]
    assert _lzw_decode(lzw_repeated_byte(2)) == b"A" * 2 * sum(range(1, 4095 - 256))
