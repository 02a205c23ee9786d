"""Hostile documents: what a parser spends to refuse each kind (issue 4, item 4; issue 13, items 1 and 6).

1. CPU per refusal of the malformed documents of issue 4, baseline the same parser reading the persona's
   valid document of that type. Target: within 250 ms of CPU (this process and the PDF worker together).
2. Every PDF bomb of tests/support/pdf_bombs.py (at most 1 MB each): wall time to refusal and the broker's
   extra peak RSS (this process plus the PDF workers, from /proc), baseline the valid VZB's parse. Targets:
   2 s and 256 MiB, whatever the construction.
3. A neighbour's normal VZB parse while a bomb is being refused, against the same parse alone (the ratio).
   Target: at most 1.5x.
"""

from __future__ import annotations

import contextlib
import threading
import time
from collections.abc import Callable

from tests.support.pdf_bombs import BOMBS, PeakMemory, many_heavy_pages, nested_forms

from bench import Figure, Mode, median
from bench.fuzz_parsers import hostile_pdf_seeds
from bench.personas import DocumentSet, render_households
from databrug.records import DocumentType
from databrug.sources.connectors import by_document_type
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext
from databrug.sources.pdf_worker import pdf_workers

TARGET_MS = 250.0
BOMB_TARGET_MS = 2000.0
BOMB_TARGET_MIB = 256.0
NEIGHBOUR_TARGET = 1.5
REPETITIONS: dict[Mode, int] = {"quick": 3, "full": 11}
BOMB_REPETITIONS: dict[Mode, int] = {"quick": 1, "full": 5}


def _billion_laughs(root: str) -> bytes:
    entities = '<!ENTITY l0 "lol">' + "".join(f'<!ENTITY l{i} "{f"&l{i - 1};" * 10}">' for i in range(1, 10))
    return f'<?xml version="1.0"?><!DOCTYPE {root} [{entities}]><{root}>&l9;</{root}>'.encode()


def _hostile(valid: DocumentSet) -> list[tuple[str, DocumentType, bytes]]:
    by_type = {d.document_type: d.data for d in valid.documents}
    pdf = by_type["verzekeringsbericht"]
    at = pdf.find(b"\n3 0 obj") + 1
    unterminated = b"".join(
        b"%d 0 obj\n<</Length 9>>\nstream\nx\nendobj\n" % (900 + n) for n in range(40_000)
    )
    hostile_pdfs = {seed.name: seed.data for seed in hostile_pdf_seeds(many_pages=5000)}
    return [
        ("PDF, 5,000 pages", "verzekeringsbericht", hostile_pdfs["hostile:pages-5000"]),
        ("PDF, encrypted", "verzekeringsbericht", hostile_pdfs["hostile:encrypted-user-password"]),
        ("PDF, truncated at half", "verzekeringsbericht", pdf[: len(pdf) // 2]),
        ("PDF, 40,000 unterminated streams", "verzekeringsbericht", pdf[:at] + unterminated + pdf[at:]),
        ("XML, billion laughs", "belastinggegevens", _billion_laughs("belastinggegevens")),
        (
            "XML, external entity",
            "pensioenoverzicht",
            by_type["pensioenoverzicht"].replace(
                b"?>", b'?><!DOCTYPE x [<!ENTITY e SYSTEM "file:///etc/passwd">]>', 1
            ),
        ),
        ("XML, nested 100,000 deep", "belastinggegevens", b"<a>" * 100_000 + b"</a>" * 100_000),
        ("JSON, nested 100,000 deep", "brp-persoon", b"[" * 100_000 + b"]" * 100_000),
        ("JSON as UTF-16", "brp-persoon", by_type["brp-persoon"].decode().encode("utf-16")),
        ("any, 20 MB + 1 byte", "toeslagen", b" " * (MAX_DOCUMENT_BYTES + 1)),
    ]


def _first_persona() -> DocumentSet:
    from databrug_sandbox.personas.catalogue import CATALOGUE

    return next(render_households([next(iter(CATALOGUE.values()))]))


def _cpu_ms(action: Callable[[], object]) -> float:
    """CPU of this process and of the PDF workers' answers (a worker stopped on a bound reports none)."""
    workers = pdf_workers()
    started, worker_started = time.process_time_ns(), workers.cpu_seconds()
    action()
    return (time.process_time_ns() - started) / 1e6 + (workers.cpu_seconds() - worker_started) * 1e3


def _wall_ms(action: Callable[[], object]) -> float:
    started = time.perf_counter()
    action()
    return (time.perf_counter() - started) * 1e3


def run(mode: Mode) -> list[Figure]:
    valid = _first_persona()
    context = ParseContext(subject=valid.role, subject_bsn=valid.bsn)
    normal = {d.document_type: d.data for d in valid.documents}
    figures = _malformed_figures(mode, valid, context, normal)
    figures += _bomb_figures(mode, context, normal["verzekeringsbericht"])
    figures += _neighbour_figures(mode, context, normal["verzekeringsbericht"])
    return figures


def _malformed_figures(
    mode: Mode, valid: DocumentSet, context: ParseContext, normal: dict[DocumentType, bytes]
) -> list[Figure]:
    figures = []
    for label, document_type, data in _hostile(valid):
        parser = by_document_type(document_type)

        def refuse(parser: object = parser, data: bytes = data, label: str = label) -> None:
            try:
                parser.parse(data, context)  # type: ignore[attr-defined]
            except DocumentInvalid:
                return
            raise AssertionError(f"{label}: accepted")

        def parse_valid(parser: object = parser, document_type: DocumentType = document_type) -> None:
            parser.parse(normal[document_type], context)  # type: ignore[attr-defined]

        spent = [_cpu_ms(refuse) for _ in range(REPETITIONS[mode])]
        base = [_cpu_ms(parse_valid) for _ in range(REPETITIONS[mode])]
        value = median(spent)
        figures.append(
            Figure.against(
                f"refuse {label}",
                value,
                "ms",
                baseline=median(base),
                target=f"<{TARGET_MS:.0f} ms",
                ok=value < TARGET_MS,
                note=f"{document_type}; {len(data) // 1024} KiB; CPU; baseline: valid {document_type}",
            )
        )
    return figures


def _bomb_figures(mode: Mode, context: ParseContext, vzb: bytes) -> list[Figure]:
    parser = by_document_type("verzekeringsbericht")
    parser.parse(vzb, context)  # the workers start here, not inside a measurement
    base = median([_wall_ms(lambda: parser.parse(vzb, context)) for _ in range(10)])
    figures = []
    for bomb in BOMBS:
        data = bomb.build()
        seconds, extras, refusals = [], [], set()
        for _ in range(BOMB_REPETITIONS[mode]):
            with PeakMemory(pdf_workers().pids) as memory:
                started = time.perf_counter()
                try:
                    parser.parse(data, context)
                except DocumentInvalid as error:
                    refusals.add(error.expected)
                else:
                    raise AssertionError(f"{bomb.name}: accepted")
                seconds.append(time.perf_counter() - started)
            extras.append(memory.extra_bytes / 2**20)
        value, extra = median(seconds) * 1e3, max(extras)
        note = f"{len(data) // 1024} KiB; refused: {'; '.join(sorted(refusals))[:70]}"
        figures.append(
            Figure.against(
                f"refuse PDF bomb: {bomb.name}",
                value,
                "ms",
                baseline=base,
                target=f"<{BOMB_TARGET_MS:.0f} ms",
                ok=value < BOMB_TARGET_MS,
                note=note + "; wall; baseline: valid VZB",
            )
        )
        figures.append(
            Figure.against(
                "  extra peak RSS",
                extra,
                "MiB",
                target=f"<{BOMB_TARGET_MIB:.0f} MiB",
                ok=extra < BOMB_TARGET_MIB,
                note="this process + PDF workers, /proc; max of runs",
            )
        )
    return figures


def _neighbour_figures(mode: Mode, context: ParseContext, vzb: bytes) -> list[Figure]:
    """A citizen's normal VZB parsed over and over while another's bomb is being refused."""
    parser = by_document_type("verzekeringsbericht")
    figures = []
    for label, bomb in (("200 heavy pages", many_heavy_pages()), ("nested forms 10 x 10", nested_forms())):
        alone: list[float] = []
        during: list[float] = []
        for _ in range(BOMB_REPETITIONS[mode] + 1):
            alone += [_wall_ms(lambda: parser.parse(vzb, context)) for _ in range(20)]
            finished = threading.Event()

            def attack(bomb: bytes = bomb, finished: threading.Event = finished) -> None:
                with contextlib.suppress(DocumentInvalid):
                    parser.parse(bomb, context)
                finished.set()

            attacker = threading.Thread(target=attack)
            attacker.start()
            time.sleep(0.02)
            while not finished.is_set():
                during.append(_wall_ms(lambda: parser.parse(vzb, context)))
            attacker.join()
        value, base = median(during), median(alone)
        figures.append(
            Figure.against(
                f"neighbour VZB parse during bomb: {label}",
                value,
                "ms",
                baseline=base,
                target=f"<={NEIGHBOUR_TARGET}x",
                ok=value <= NEIGHBOUR_TARGET * base,
                note=f"median of {len(during)} parses during, {len(alone)} alone; wall",
            )
        )
    return figures
