"""Fuzz every registered parser and the upload entry point with mutated real documents (issue 4, item 4).

``python -m bench.fuzz_parsers --inputs 100000 [--seed S] [--workers N]``; ``--replay I`` re-runs input I of
seed S in this process and prints what each parser did.

Seeds: every catalogue persona's documents, generated households (MPO as JSON, so both formats are seeds),
the golden files under tests/golden/, and hostile PDFs made here (encrypted, more pages than allowed,
thousands of pages). Input I of seed S is a pure function of (S, I): one to three mutations of one seed.
Each input goes to ``parse_upload`` (detection + parse), to the seed's own parser, and to one other parser.
Allowed outcomes: a ``ParsedDocument`` for those exact bytes, or a located ``DocumentInvalid`` (incl.
``UnknownDocument``) whose message does not carry the seed citizen's BSN. Anything else is a finding, saved
with its bytes and traceback under test-artifacts/fuzz-crashes/: an exception of another type (crash), a call
over the CPU bound (slow), a dead worker (native crash or out of memory under RLIMIT_AS), a worker stuck on
one input past the wall-clock bound (hang).
"""

from __future__ import annotations

import argparse
import hashlib
import multiprocessing
import os
import random
import resource
import sys
import time
import traceback
from collections import Counter
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from queue import Empty
from typing import Any

from bench.mutations import pick
from bench.personas import DocumentSet, catalogue_sets, generated_sets
from databrug.records import DocumentType, Role
from databrug.sources.connectors import all_parsers, detect
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_PDF_PAGES, ParseContext, ParsedDocument, Parser
from databrug.sources.pdf_worker import pdf_workers
from databrug.sources.upload import parse_upload

ROOT = Path(__file__).resolve().parents[1]
GOLDEN = ROOT / "tests" / "golden"
ARTIFACTS = ROOT / "test-artifacts" / "fuzz-crashes"
CPU_BOUND_SECONDS = 2.0  # per parser call
HANG_SECONDS = 60.0  # wall clock per input before the worker is killed (the machine may be busy)
MEMORY_HEADROOM = 1024 * 1024 * 1024  # address space a worker may add on top of what it has at start
CHUNK = 250
_WORKER_BOUND = "a PDF whose text can be read within"  # the refusal when a PDF worker was stopped


@dataclass(frozen=True)
class Seed:
    name: str
    media: str  # "json" | "xml" | "pdf" | "other"
    data: bytes
    document_type: DocumentType | None = None
    role: Role = "applicant"
    bsn: str | None = None


@dataclass
class Finding:
    index: int
    kind: str  # crash | slow | leak | wrong-result | native-crash | hang
    target: str
    detail: str
    mutations: str = ""


@dataclass
class Tally:
    inputs: int = 0
    calls: int = 0
    outcomes: Counter[str] = field(default_factory=Counter)
    findings: list[Finding] = field(default_factory=list)
    slowest: tuple[float, int, str] = (0.0, -1, "")  # CPU ms, input index, target

    def add(self, other: Tally) -> None:
        self.inputs += other.inputs
        self.calls += other.calls
        self.outcomes.update(other.outcomes)
        self.findings.extend(other.findings)
        self.slowest = max(self.slowest, other.slowest)


# --- seeds ----------------------------------------------------------------------------------------------


def _media(data: bytes) -> str:
    head = data[:1024].lstrip(b"\xef\xbb\xbf \t\r\n")
    if b"%PDF-" in head:
        return "pdf"
    if head.startswith(b"<"):
        return "xml"
    if head[:1] in (b"{", b"["):
        return "json"
    return "other"


def _from_sets(sets: Sequence[DocumentSet]) -> list[Seed]:
    return [
        Seed(f"{s.name}:{d.document_type}", d.media, d.data, d.document_type, s.role, s.bsn)
        for s in sets
        for d in s.documents
    ]


def golden_seeds() -> list[Seed]:
    seeds = []
    for path in sorted(GOLDEN.rglob("*")):
        if not path.is_file() or path.suffix not in (".json", ".xml", ".pdf"):
            continue
        data = path.read_bytes()
        try:
            document_type: DocumentType | None = detect(data).document_type
        except DocumentInvalid:
            document_type = None
        seeds.append(Seed(str(path.relative_to(ROOT)), _media(data), data, document_type))
    return seeds


def hostile_pdf_seeds(*, many_pages: int = 5000) -> list[Seed]:
    """PDFs no sandbox portal serves: encrypted, one page over the limit, thousands of pages (0: none)."""
    from fpdf import FPDF

    def pdf(pages: int, *, user_password: str | None = None, encrypt: bool = False) -> bytes:
        document = FPDF()
        if encrypt:
            document.set_encryption(owner_password="eigenaar", user_password=user_password)
        document.set_font("helvetica", size=10)
        for number in range(pages):
            document.add_page()
            document.cell(0, 10, f"Verzekeringsbericht pagina {number + 1}")
        return bytes(document.output())

    made = {
        "encrypted-user-password": pdf(2, user_password="geheim", encrypt=True),
        "encrypted-owner-only": pdf(2, encrypt=True),
        "pages-over-limit": pdf(MAX_PDF_PAGES + 1),
    }
    if many_pages:
        made[f"pages-{many_pages}"] = many_page_pdf(many_pages)
    return [Seed(f"hostile:{name}", "pdf", data, "verzekeringsbericht") for name, data in made.items()]


def many_page_pdf(pages: int) -> bytes:
    """A valid PDF of ``pages`` pages sharing one content stream, written directly (fpdf2 takes seconds)."""
    content = b"BT /F1 10 Tf 72 720 Td (Verzekeringsbericht) Tj ET"
    objects = [
        b"<< /Type /Catalog /Pages 2 0 R >>",
        b"<< /Type /Pages /Kids ["
        + b" ".join(b"%d 0 R" % (5 + n) for n in range(pages))
        + b"] /Count %d >>" % pages,
        b"<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>",
        b"<< /Length %d >>\nstream\n" % len(content) + content + b"\nendstream",
    ]
    page = b"<< /Type /Page /Parent 2 0 R /MediaBox [0 0 595 842] /Contents 4 0 R"
    page += b" /Resources << /Font << /F1 3 0 R >> >> >>"
    objects += [page] * pages
    return pdf_file(objects, version=b"1.4")


def pdf_file(objects: Sequence[bytes], *, version: bytes = b"1.7") -> bytes:
    """Objects 1..n (1 the catalog) written as a PDF with a correct xref table."""
    out = bytearray(b"%%PDF-%s\n" % version)
    offsets = []
    for number, body in enumerate(objects, start=1):
        offsets.append(len(out))
        out += b"%d 0 obj\n" % number + body + b"\nendobj\n"
    xref = len(out)
    out += b"xref\n0 %d\n0000000000 65535 f \n" % (len(objects) + 1)
    out += b"".join(b"%010d 00000 n \n" % offset for offset in offsets)
    out += b"trailer\n<< /Size %d /Root 1 0 R >>\nstartxref\n%d\n%%%%EOF\n" % (len(objects) + 1, xref)
    return bytes(out)


def build_corpus(*, generated: int = 12, catalogue: bool = True, many_pages: int = 5000) -> list[Seed]:
    seeds = golden_seeds() + hostile_pdf_seeds(many_pages=many_pages)
    if catalogue:
        seeds += _from_sets(catalogue_sets())
    seeds += _from_sets(generated_sets(range(generated), mpo_format="json"))
    return seeds


def corpus_digest(corpus: Sequence[Seed]) -> str:
    """Names the seed set: input I of seed S is the same input only over the same seeds (the golden files
    and personas change as the project grows; a finding's saved bytes are what always reproduces it)."""
    digest = hashlib.sha256()
    for item in corpus:
        digest.update(item.name.encode())
        digest.update(hashlib.sha256(item.data).digest())
    return digest.hexdigest()[:12]


# --- one input ------------------------------------------------------------------------------------------


def make_input(corpus: Sequence[Seed], seed: int, index: int) -> tuple[Seed, bytes, list[str]]:
    rng = random.Random(f"{seed}:{index}")
    base = rng.choice(corpus)
    data = base.data
    applied = []
    donors = [rng.choice(corpus).data for _ in range(2)]
    for _ in range(rng.choice((1, 1, 1, 2, 2, 3))):
        mutation = pick(rng, base.media)
        try:
            data = mutation(rng, data, donors)
        except Exception:  # a bug of the mutation, not of a parser: carry on with what we have
            applied.append(f"{mutation.__name__} (failed)")
            continue
        applied.append(mutation.__name__)
    return base, data, applied


def _targets(rng: random.Random, base: Seed) -> list[tuple[str, Callable[[bytes, ParseContext], Any]]]:
    parsers = all_parsers()
    own = [p for p in parsers if p.document_type == base.document_type]
    other = rng.choice([p for p in parsers if p not in own])

    def upload(data: bytes, context: ParseContext) -> ParsedDocument:
        return parse_upload(
            data, subject=context.subject, filename=context.filename, subject_bsn=context.subject_bsn
        )

    chosen: list[tuple[str, Callable[[bytes, ParseContext], Any]]] = [("parse_upload", upload)]
    chosen += [(p.document_type, p.parse) for p in own]
    chosen.append((other.document_type, other.parse))
    return chosen


def _check_result(result: object, data: bytes, parser: Parser | None) -> str | None:
    """Why an accepted result is wrong, or None: it must describe exactly these bytes."""
    if not isinstance(result, ParsedDocument):
        return f"returned {type(result).__name__}, not a ParsedDocument"
    if result.entry.sha256 != hashlib.sha256(data).hexdigest():
        return "provenance digest does not match the input bytes"
    if parser is not None and result.entry.document_type != parser.document_type:
        return "provenance names another document type"
    return None


def run_input(corpus: Sequence[Seed], seed: int, index: int, tally: Tally, *, save: bool = True) -> None:
    base, data, applied = make_input(corpus, seed, index)
    rng = random.Random(f"targets:{seed}:{index}")
    context = ParseContext(subject=base.role, subject_bsn=base.bsn, filename="fuzz-input")
    tally.inputs += 1
    workers = pdf_workers()
    for name, call in _targets(rng, base):
        tally.calls += 1
        started, worker_started = time.process_time(), workers.cpu_seconds()
        finding: Finding | None = None
        try:
            result = call(data, context)
        except DocumentInvalid as error:
            tally.outcomes["refused"] += 1
            if not error.location or not error.expected:
                finding = Finding(index, "crash", name, "DocumentInvalid without location or expected")
            elif base.bsn and base.bsn in str(error):
                finding = Finding(index, "leak", name, "error message carries the citizen's BSN")
            elif error.expected.startswith(_WORKER_BOUND):
                # bounded, but a mutated document should not need the PDF worker's last line of defence
                finding = Finding(index, "slow", name, f"stopped by the PDF worker: {error.expected}")
        except Exception:
            tally.outcomes["crash"] += 1
            finding = Finding(index, "crash", name, traceback.format_exc())
        else:
            tally.outcomes["accepted"] += 1
            parser = getattr(call, "__self__", None)
            problem = _check_result(result, data, parser)
            if problem:
                finding = Finding(index, "wrong-result", name, problem)
        spent = time.process_time() - started + workers.cpu_seconds() - worker_started
        tally.slowest = max(tally.slowest, (spent * 1000, index, name))
        if finding is None and spent > CPU_BOUND_SECONDS:
            finding = Finding(index, "slow", name, f"{spent:.2f} s of CPU (bound {CPU_BOUND_SECONDS} s)")
        if finding is not None:
            finding.mutations = f"{base.name} <- {', '.join(applied)}"
            tally.findings.append(finding)
            if save:
                save_finding(seed, finding, data)


def save_finding(seed: int, finding: Finding, data: bytes | None) -> None:
    ARTIFACTS.mkdir(parents=True, exist_ok=True)
    stem = ARTIFACTS / f"seed{seed}-input{finding.index}-{finding.kind}-{finding.target}"
    if data is not None:
        stem.with_suffix(".bin").write_bytes(data)
    replay = f"python -m bench.fuzz_parsers --seed {seed} --replay {finding.index} (same corpus; or the .bin)"
    header = f"{finding.kind} in {finding.target}\ninput: {finding.mutations}\nreplay: {replay}\n"
    stem.with_suffix(".txt").write_text(f"{header}\n{finding.detail}\n", encoding="utf-8")


def fuzz_in_process(corpus: Sequence[Seed], seed: int, indices: range, *, save: bool = True) -> Tally:
    tally = Tally()
    for index in indices:
        run_input(corpus, seed, index, tally, save=save)
    return tally


# --- workers --------------------------------------------------------------------------------------------

_CORPUS: list[Seed] = []  # set before the workers fork, inherited by them


def _limit_memory() -> None:
    with open("/proc/self/statm", encoding="ascii") as statm:
        current = int(statm.read().split()[0]) * resource.getpagesize()
    limit = current + MEMORY_HEADROOM
    resource.setrlimit(resource.RLIMIT_AS, (limit, limit))


def _worker(seed: int, tasks: Any, results: Any, current: Any) -> None:
    _limit_memory()
    while True:
        task = tasks.get()
        if task is None:
            return
        start, stop = task
        tally = Tally()
        for index in range(start, stop):
            current[0], current[1] = index, time.time()
            try:
                run_input(_CORPUS, seed, index, tally)
            except MemoryError:
                finding = Finding(index, "memory", "input", "MemoryError under RLIMIT_AS")
                tally.findings.append(finding)
                save_finding(seed, finding, None)
        current[0] = -1
        results.put((start, stop, tally))


@dataclass
class _Slot:
    process: Any
    current: Any  # shared [input index being run or -1, time.time() it started]


def fuzz_parallel(corpus: list[Seed], seed: int, count: int, workers: int, *, progress: bool = True) -> Tally:
    global _CORPUS
    _CORPUS = corpus
    context = multiprocessing.get_context("fork")
    tasks = context.Queue()
    results = context.Queue()
    pending = [(start, min(start + CHUNK, count)) for start in range(0, count, CHUNK)]
    total = Tally()

    def start_worker() -> _Slot:
        current = context.Array("d", [-1.0, 0.0], lock=False)
        process = context.Process(target=_worker, args=(seed, tasks, results, current), daemon=True)
        process.start()
        return _Slot(process, current)

    slots = [start_worker() for _ in range(workers)]
    outstanding: set[tuple[int, int]] = set(pending)
    for chunk in pending:
        tasks.put(chunk)
    started = time.perf_counter()
    last_report = started
    while outstanding:
        try:
            start, stop, tally = results.get(timeout=1.0)
            outstanding.discard((start, stop))
            total.add(tally)
        except Empty:
            pass
        for number, slot in enumerate(slots):
            index, since = int(slot.current[0]), slot.current[1]
            dead = not slot.process.is_alive()
            stuck = index >= 0 and time.time() - since > HANG_SECONDS
            if not dead and not stuck:
                continue
            if index < 0:  # died between inputs (no input to blame): just replace it
                slots[number] = start_worker()
                continue
            # A worker that died is a native crash even if the check comes late (a busy machine); only a live
            # worker past the limit is a hang.
            if not dead:
                slot.process.kill()
                slot.process.join()
            kind = "native-crash" if dead else "hang"
            detail = f"exit {slot.process.exitcode}" if dead else f"no result after {HANG_SECONDS:.0f} s"
            base, data, applied = make_input(corpus, seed, index)
            finding = Finding(index, kind, "input", detail, f"{base.name} <- {', '.join(applied)}")
            total.findings.append(finding)
            total.inputs += 1
            save_finding(seed, finding, data)
            # the rest of the chunk it held: find it and hand the unfinished part out again
            for chunk in list(outstanding):
                if chunk[0] <= index < chunk[1]:
                    outstanding.discard(chunk)
                    for part in ((chunk[0], index), (index + 1, chunk[1])):
                        if part[0] < part[1]:
                            outstanding.add(part)
                            tasks.put(part)
            slots[number] = start_worker()
        now = time.perf_counter()
        if progress and now - last_report > 10:
            last_report = now
            rate = total.inputs / (now - started)
            print(f"  {total.inputs}/{count} inputs, {rate:.0f}/s", file=sys.stderr, flush=True)
    for _ in slots:
        tasks.put(None)
    for slot in slots:
        slot.process.join(timeout=10)
    return total


# --- command --------------------------------------------------------------------------------------------


def report(tally: Tally, seconds: float, corpus_size: int, seed: int, digest: str) -> str:
    cpu_ms, index, target = tally.slowest
    kinds = Counter(f.kind for f in tally.findings)
    lines = [
        f"seed {seed}: {tally.inputs} inputs ({tally.calls} parser calls) from {corpus_size} seed documents "
        f"(corpus {digest}) "
        f"in {seconds:.1f} s = {tally.inputs / seconds:.0f} inputs/s",
        "outcomes: " + ", ".join(f"{k} {v}" for k, v in sorted(tally.outcomes.items())),
        "findings: " + (", ".join(f"{k} {v}" for k, v in sorted(kinds.items())) or "none"),
        f"slowest call: {cpu_ms:.1f} ms CPU (input {index}, {target})",
    ]
    for finding in tally.findings[:20]:
        lines.append(f"  input {finding.index}: {finding.kind} in {finding.target} ({finding.mutations})")
    if tally.findings:
        lines.append(f"saved under {ARTIFACTS.relative_to(ROOT)}/")
    return "\n".join(lines)


def replay(corpus: Sequence[Seed], seed: int, index: int) -> None:
    base, data, applied = make_input(corpus, seed, index)
    print(
        f"corpus {corpus_digest(corpus)}; input {index} of seed {seed}: {base.name} <- {', '.join(applied)}"
    )
    print(f"{len(data)} bytes")
    rng = random.Random(f"targets:{seed}:{index}")
    context = ParseContext(subject=base.role, subject_bsn=base.bsn, filename="fuzz-input")
    for name, call in _targets(rng, base):
        started = time.process_time()
        try:
            result = call(data, context)
            outcome = f"accepted ({type(result).__name__})"
        except DocumentInvalid as error:
            outcome = f"refused: {error}"
        except Exception:
            outcome = "CRASH\n" + traceback.format_exc()
        print(f"{name}: {(time.process_time() - started) * 1000:.1f} ms: {outcome}")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.fuzz_parsers", description=__doc__)
    parser.add_argument("--inputs", type=int, default=10_000)
    parser.add_argument("--seed", type=int, default=0)
    parser.add_argument("--workers", type=int, default=min(2, os.cpu_count() or 1))
    parser.add_argument("--generated", type=int, default=12, help="generated households among the seeds")
    parser.add_argument("--replay", type=int, metavar="INDEX", help="re-run one input here and explain")
    args = parser.parse_args(argv)

    prepared = time.perf_counter()
    corpus = build_corpus(generated=args.generated)
    print(f"{len(corpus)} seed documents in {time.perf_counter() - prepared:.1f} s", file=sys.stderr)
    if args.replay is not None:
        replay(corpus, args.seed, args.replay)
        return 0
    started = time.perf_counter()
    if args.workers <= 1:
        tally = fuzz_in_process(corpus, args.seed, range(args.inputs))
    else:
        tally = fuzz_parallel(corpus, args.seed, args.inputs, args.workers)
    print(report(tally, time.perf_counter() - started, len(corpus), args.seed, corpus_digest(corpus)))
    return 1 if tally.findings else 0


if __name__ == "__main__":
    sys.exit(main())
