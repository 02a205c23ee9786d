"""Hostile documents: how long a parser takes to refuse each kind (issue 4, item 4: bounded time).

Baseline: the same parser reading the persona's valid document of that type, so the ratio says what a
refusal costs next to a normal parse. Target: every refusal within 250 ms of CPU (the fuzzer allows 2 s
per input).
"""

from __future__ import annotations

import time
from collections.abc import Callable

from bench import Figure, Mode, median
from bench.fuzz_parsers import hostile_pdf_seeds
from bench.personas import DocumentSet, render_households
from databrug.records import DocumentType
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext
from databrug.sources.registry import by_document_type

TARGET_MS = 250.0
REPETITIONS: dict[Mode, int] = {"quick": 3, "full": 11}


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
    started = time.process_time_ns()
    action()
    return (time.process_time_ns() - started) / 1e6


def run(mode: Mode) -> list[Figure]:
    valid = _first_persona()
    context = ParseContext(subject=valid.role, subject_bsn=valid.bsn)
    normal = {d.document_type: d.data for d in valid.documents}
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
                note=f"{document_type}; {len(data) // 1024} KiB; baseline: valid {document_type}",
            )
        )
    return figures
