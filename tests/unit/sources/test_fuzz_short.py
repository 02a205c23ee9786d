"""A short run of the parser fuzz target (``bench/fuzz_parsers.py``; ``make fuzz`` runs 100,000 inputs).

Two thousand mutated documents from the golden files, hostile PDFs and two generated households go to
``parse_upload``, to their own parser and to one other: each call returns a ParsedDocument for those bytes or
raises a located DocumentInvalid, within the CPU bound. A finding is saved under test-artifacts/fuzz-crashes/.
"""

from __future__ import annotations

import os
import time
from pathlib import Path
from typing import Any

import pytest
from bench import fuzz_parsers
from bench.fuzz_parsers import (
    Seed,
    Tally,
    build_corpus,
    fuzz_in_process,
    fuzz_parallel,
    make_input,
    run_input,
)

from databrug.sources.parsing import ParseContext

INPUTS = 2_000
SEED = 20261128


@pytest.fixture(scope="module")
def corpus() -> list[Seed]:
    return build_corpus(generated=2, catalogue=False, many_pages=0)


def test_mutated_documents_are_parsed_or_refused_never_crash(corpus: list[Seed]) -> None:
    tally = fuzz_in_process(corpus, SEED, range(INPUTS))
    findings = [f"input {f.index}: {f.kind} in {f.target} ({f.mutations})" for f in tally.findings]
    assert findings == []
    assert tally.inputs == INPUTS
    # both outcomes occur, so the mutations neither break everything nor leave everything readable
    assert tally.outcomes["refused"] > INPUTS // 2
    assert tally.outcomes["accepted"] > INPUTS // 50
    assert tally.calls == sum(tally.outcomes.values())


def test_inputs_are_reproducible_from_seed_and_index(corpus: list[Seed]) -> None:
    first = [make_input(corpus, SEED, index)[1:] for index in range(50)]
    again = [make_input(corpus, SEED, index)[1:] for index in range(50)]
    assert first == again
    assert len({data for data, _ in first}) > 40


def test_an_exception_other_than_document_invalid_is_a_finding(
    corpus: list[Seed], monkeypatch: pytest.MonkeyPatch
) -> None:
    def crashing(data: bytes, context: ParseContext) -> Any:
        raise KeyError("boom")

    monkeypatch.setattr(fuzz_parsers, "_targets", lambda rng, base: [("crashing", crashing)])
    tally = Tally()
    run_input(corpus, SEED, 7, tally, save=False)
    assert [(f.index, f.kind, f.target) for f in tally.findings] == [(7, "crash", "crashing")]
    assert "KeyError" in tally.findings[0].detail


def test_a_worker_that_dies_or_hangs_is_a_finding_and_its_chunk_is_finished(
    monkeypatch: pytest.MonkeyPatch, tmp_path: Path
) -> None:
    def run_input(corpus: list[Seed], seed: int, index: int, tally: Tally, *, save: bool = True) -> None:
        if index == 37:
            os._exit(3)  # as a segfault in native code would end the worker
        if index == 120:
            time.sleep(600)
        tally.inputs += 1

    monkeypatch.setattr(fuzz_parsers, "run_input", run_input)  # workers fork after this: they inherit it
    monkeypatch.setattr(fuzz_parsers, "HANG_SECONDS", 1.0)
    monkeypatch.setattr(fuzz_parsers, "ARTIFACTS", tmp_path)
    corpus = [Seed("tiny", "json", b"{}")]
    tally = fuzz_parallel(corpus, SEED, 300, workers=2, progress=False)
    assert sorted((f.index, f.kind) for f in tally.findings) == [(37, "native-crash"), (120, "hang")]
    assert tally.inputs == 300
    assert len(list(tmp_path.glob("*.bin"))) == 2
