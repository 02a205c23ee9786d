"""Full journeys: robot citizens against a broker process and a sandbox process (issue 9, item 1).

Figures: journeys per second on this machine (robot in the bench process, four at a time), and the broker's
CPU per journey (``/proc/<pid>/stat`` utime+stime over the run, divided by the journeys) against the target of
20 ms, reported also as a ratio to the same run's floor:

    floor = bare parse of the journey's documents (``bench.parse``'s baseline: pypdfium2 text, lxml, json)
          + one JWE seal of a package of that size (``databrug.delivery.jwe.seal``)
          + the requests the broker served for the journey × the bare app's CPU per request (wrk, same run).

The broker's served requests are counted from its own access log (one line per request), so DigiD pages and
SMS look-ups the robot makes at the sandbox are not counted. Only catalogue personas that can finish are
driven (not the two without an SMS check).

Decrypt passes: the broker runs with ``DATABRUG_BENCH_DECRYPT_COUNTS`` (``web/decrypt_counts.py``), which
counts every opening of a sealed blob (records, their indexes, the receipt, the phone's sealed cookie
values) per request; the figure is the passes per journey, judged on the most any request made of one blob
(target: 1).
"""

from __future__ import annotations

import asyncio
import gc
import time
from dataclasses import dataclass
from functools import partial
from pathlib import Path
from typing import Any

import httpx

from bench import Figure, Mode, median
from bench.parse import measure
from bench.personas import DocumentSet, catalogue_sets
from bench.support import Broker, Server, baseline_server, broker_server, sandbox_server, workdir
from bench.support_load import Load, throughput, warm_up
from databrug.delivery.jwe import seal
from databrug.robot.journey import JourneyResult, Persona
from databrug.robot.run import run_many
from databrug.robot.setup import load_personas
from databrug.sources.connectors import by_document_type
from databrug.sources.parsing import ParseContext

ROUNDS: dict[Mode, int] = {"quick": 1, "full": 5}
CONCURRENCY = 4
TARGET_CPU_MS = 20.0
BARE_SECONDS = 3.0
PARSE_REPETITIONS = 5
SEAL_REPETITIONS = 20
COUNT_DECRYPTS = {"DATABRUG_BENCH_DECRYPT_COUNTS": "1"}


@dataclass(frozen=True)
class JourneyRun:
    results: list[JourneyResult]
    seconds: float
    broker_cpu: float
    broker_requests: int
    decrypts: dict[str, int]
    """Passes by kind of blob (``web/decrypt_counts.py``) over the run."""
    most_decrypts_per_blob: int


def _finishing(personas: dict[str, Persona]) -> list[Persona]:
    def can_finish(p: Persona) -> bool:
        return p.applicant.sms_enabled and (p.partner is None or p.partner.sms_enabled)

    return [p for _, p in sorted(personas.items()) if can_finish(p)]


def _served(log: Path) -> int:
    return sum(1 for line in log.read_text(errors="replace").splitlines() if " databrug.access " in line)


def _decrypts(broker: Broker) -> dict[str, Any]:
    summary: dict[str, Any] = httpx.get(f"{broker.url}/bench/decrypts").raise_for_status().json()
    return summary


def _journeys(broker: Broker, personas: list[Persona]) -> JourneyRun:
    server = broker.server
    served_before, decrypts_before = _served(server.log), _decrypts(broker)
    cpu_before = server.cpu()
    started = time.perf_counter()
    results = asyncio.run(run_many(personas, broker.endpoints, "parallel", concurrency=CONCURRENCY))
    seconds = time.perf_counter() - started
    cpu = server.cpu() - cpu_before
    time.sleep(0.5)  # let the last access-log lines reach the file
    decrypts = _decrypts(broker)
    return JourneyRun(
        results,
        seconds,
        cpu,
        _served(server.log) - served_before,
        {
            kind: count - decrypts_before["passes_by_kind"].get(kind, 0)
            for kind, count in decrypts["passes_by_kind"].items()
        },
        decrypts["most_per_blob_per_request"],
    )


def _cpu_ms(action: object) -> float:
    assert callable(action)
    started = time.process_time_ns()
    action()
    return (time.process_time_ns() - started) / 1e6


def _package_size(documents: DocumentSet) -> int:
    """What the citizen's records weigh as JSON: the package's content, near enough for the seal cost."""
    context = ParseContext(subject=documents.role, subject_bsn=documents.bsn)
    parsed = [by_document_type(d.document_type).parse(d.data, context) for d in documents.documents]
    return sum(len(p.subject.model_dump_json()) + len(p.entry.model_dump_json()) for p in parsed)


def _floor_parts(broker: Broker, households: list[str]) -> tuple[float, float]:
    """Median bare-parse ms and JWE-seal ms per journey, over the households driven."""
    sets = [s for s in catalogue_sets() if s.name.split("/")[0] in households]
    parse_by_household: dict[str, float] = {}
    seal_by_household: dict[str, float] = {}
    jwks = {"keys": [k for k in broker.endpoints.private_jwks["keys"] if k.get("use", "enc") == "enc"]}
    public = {"keys": [{k: v for k, v in key.items() if k != "d"} for key in jwks["keys"]]}
    for documents in sets:
        household = documents.name.split("/")[0]
        parse_by_household[household] = parse_by_household.get(household, 0.0) + median(
            measure(documents, PARSE_REPETITIONS).baseline
        )
        size = seal_by_household.get(household, 0.0) + _package_size(documents)
        seal_by_household[household] = size
    seal_ms: dict[str, float] = {}
    for household, size in seal_by_household.items():
        plaintext = b'{"records": "' + b"x" * int(size) + b'"}'
        seal(plaintext, public)
        gc.collect()
        sealing = partial(seal, plaintext, public)
        seal_ms[household] = median([_cpu_ms(sealing) for _ in range(SEAL_REPETITIONS)])
    return median(list(parse_by_household.values())), median(list(seal_ms.values()))


def _bare_cpu_ms(server: Server) -> float:
    load = Load("GET", f"{server.url}/json", {})
    warm_up(load)
    return throughput(load, BARE_SECONDS, server.pid).cpu_ms_per_request


def run(mode: Mode) -> list[Figure]:
    with workdir() as directory, sandbox_server(directory) as sandbox:
        with broker_server(directory, sandbox.url, extra_env=COUNT_DECRYPTS) as broker:
            personas = _finishing(load_personas(sandbox.url))
            asyncio.run(run_many(personas[:2], broker.endpoints, "parallel"))  # warm up
            measured = _journeys(broker, personas * ROUNDS[mode])
            parse_ms, seal_ms = _floor_parts(broker, [p.key for p in personas])
        with baseline_server(directory) as bare:
            request_ms = _bare_cpu_ms(bare)
    failed = [r for r in measured.results if not r.ok]
    count = len(measured.results) - len(failed)
    if not count:
        raise RuntimeError(f"every journey failed, e.g. {failed[0].persona}: {failed[0].error}")
    # A failed journey spent less than a whole one; dividing by finished journeys only errs high.
    failures = f"; {len(failed)} failed ({failed[0].error})" if failed else ""
    per_journey_ms = measured.broker_cpu * 1000 / count
    requests = measured.broker_requests / count
    floor = parse_ms + seal_ms + requests * request_ms
    return [
        Figure.against(
            "journeys per second",
            count / measured.seconds,
            "/s",
            note=f"{count} journeys, {CONCURRENCY} at once; robot, sandbox, broker on this machine{failures}",
        ),
        Figure.against(
            "broker CPU per journey",
            per_journey_ms,
            "ms",
            baseline=floor,
            target=f"<={TARGET_CPU_MS:.0f} ms",
            ok=per_journey_ms <= TARGET_CPU_MS,
            note=(
                f"floor = parse {parse_ms:.1f} + JWE {seal_ms:.2f} + {requests:.0f} req x "
                f"{request_ms:.3f} ms (bare) = {floor:.1f} ms"
            ),
        ),
        Figure.against(
            "decrypt passes per journey",
            sum(measured.decrypts.values()) / count,
            "",
            target="<=1 per blob per request",
            ok=measured.most_decrypts_per_blob <= 1,
            note=(
                ", ".join(f"{kind} {n / count:.1f}" for kind, n in sorted(measured.decrypts.items()))
                + f"; most openings of one blob in one request: {measured.most_decrypts_per_blob}"
            ),
        ),
    ]
