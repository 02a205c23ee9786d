"""Parsing every catalogue persona's full document set: product parsers against a bare read of the same bytes.

Issue 4, item 5. Per persona (one citizen's DigiD login: BRP, WOZ, vehicles, UWV PDF, Belastingdienst VIA and
toeslagen, Mijnpensioenoverzicht XML) the CPU time of ``connectors.by_document_type(t).parse`` for all seven
documents, against the bare baseline: pypdfium2 text of every page, ``lxml.etree.fromstring``, ``json.loads``.
Parse and baseline alternate within each repetition, so a noisy neighbour hits both alike.
Targets: median < 10 ms of CPU per persona, and at most 2x the baseline.
"""

from __future__ import annotations

import gc
import json
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from functools import partial

import pypdfium2 as pdfium
from lxml import etree

from bench import Figure, Mode, median, percentile
from bench.personas import Document, DocumentSet, catalogue_sets
from databrug.records import DocumentType
from databrug.sources.connectors import by_document_type
from databrug.sources.parsing import ParseContext
from databrug.sources.pdf_worker import pdf_workers

TARGET_MS = 10.0
TARGET_RATIO = 2.0
REPETITIONS: dict[Mode, int] = {"quick": 15, "full": 101}


def _pdf_text(data: bytes) -> object:
    document = pdfium.PdfDocument(data)
    try:
        texts = []
        for index in range(len(document)):
            page = document[index]
            textpage = page.get_textpage()
            texts.append(textpage.get_text_range())
            textpage.close()
            page.close()
        return texts
    finally:
        document.close()


BASELINES: dict[str, Callable[[bytes], object]] = {
    "pdf": _pdf_text,
    "xml": etree.fromstring,
    "json": json.loads,
}


@dataclass
class Samples:
    """CPU milliseconds per repetition, for the whole set and per document type."""

    parse: list[float] = field(default_factory=list)
    baseline: list[float] = field(default_factory=list)
    parse_by_type: dict[DocumentType, list[float]] = field(default_factory=dict)
    baseline_by_type: dict[DocumentType, list[float]] = field(default_factory=dict)


def _cpu_ms(action: Callable[[], object]) -> float:
    """CPU of this process and of the PDF text workers, where the product reads PDFs."""
    workers = pdf_workers()
    started, worker_started = time.process_time_ns(), workers.cpu_seconds()
    action()
    return (time.process_time_ns() - started) / 1e6 + (workers.cpu_seconds() - worker_started) * 1e3


def measure(documents: DocumentSet, repetitions: int) -> Samples:
    context = ParseContext(subject=documents.role, subject_bsn=documents.bsn)
    steps = [(d, BASELINES[d.media]) for d in documents.documents]

    def parse_one(document: Document) -> Callable[[], object]:
        return partial(by_document_type(document.document_type).parse, document.data, context)

    samples = Samples()
    for document, baseline in steps:  # warm up: imports, caches, PDFium's first document
        parse_one(document)()
        baseline(document.data)
    gc.collect()
    for _ in range(repetitions):
        parse_total = baseline_total = 0.0
        for document, baseline in steps:
            spent = _cpu_ms(parse_one(document))
            samples.parse_by_type.setdefault(document.document_type, []).append(spent)
            parse_total += spent
            spent = _cpu_ms(partial(baseline, document.data))
            samples.baseline_by_type.setdefault(document.document_type, []).append(spent)
            baseline_total += spent
        samples.parse.append(parse_total)
        samples.baseline.append(baseline_total)
    return samples


def _persona_figure(documents: DocumentSet, samples: Samples) -> Figure:
    value, base = median(samples.parse), median(samples.baseline)
    ok = value < TARGET_MS and value <= TARGET_RATIO * base
    note = (
        f"p95 {percentile(samples.parse, 0.95):.2f} ms (baseline p95 "
        f"{percentile(samples.baseline, 0.95):.2f}); {documents.size // 1024} KiB"
    )
    return Figure.against(
        f"parse {documents.name}", value, "ms", baseline=base, target="<10 ms, <=2x", ok=ok, note=note
    )


def run(mode: Mode) -> list[Figure]:
    sets = catalogue_sets()
    repetitions = REPETITIONS[mode]
    measured = [(s, measure(s, repetitions)) for s in sets]

    figures = [_persona_figure(s, samples) for s, samples in measured]
    medians = [median(samples.parse) for _, samples in measured]
    base_medians = [median(samples.baseline) for _, samples in measured]
    middle, middle_base = median(medians), median(base_medians)
    figures.append(
        Figure.against(
            f"parse persona: median of {len(sets)}",
            middle,
            "ms",
            baseline=middle_base,
            target="<10 ms, <=2x",
            ok=middle < TARGET_MS and middle <= TARGET_RATIO * middle_base,
            note=f"{repetitions} repetitions each; CPU time (process_time + PDF workers)",
        )
    )
    worst_index = max(range(len(medians)), key=medians.__getitem__)
    figures.append(
        Figure.against(
            "parse persona: slowest",
            medians[worst_index],
            "ms",
            baseline=base_medians[worst_index],
            note=sets[worst_index].name,
        )
    )
    for document_type in (d.document_type for d in sets[0].documents):
        per_persona = [median(s.parse_by_type[document_type]) for _, s in measured]
        per_persona_base = [median(s.baseline_by_type[document_type]) for _, s in measured]
        figures.append(
            Figure.against(
                f"  {document_type}: median persona",
                median(per_persona),
                "ms",
                baseline=median(per_persona_base),
                note=f"max {max(per_persona):.2f} ms",
            )
        )
    return figures
