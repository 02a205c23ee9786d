"""Full journeys: robot citizens against a broker process and a sandbox process (issue 9, item 1).

Figures: journeys per second on this machine (robot in the bench process, four at a time), and the broker's
CPU per journey (``/proc/<pid>/stat`` utime+stime over the run, divided by the journeys) against the target of
20 ms (memory store; 30 ms on Redis, issue 18: the same journeys against a broker on a Redis of its own,
same run), reported also as a ratio to the same run's floor:

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
from bench.support import (
    Broker,
    Server,
    baseline_server,
    broker_server,
    redis_server,
    sandbox_server,
    workdir,
)
from bench.support_load import Load, throughput, warm_up
from databrug.delivery.jwe import seal
from databrug.robot.journey import JourneyResult, Persona
from databrug.robot.run import run_many
from databrug.robot.setup import load_personas
from databrug.sources.connectors import by_document_type
from databrug.sources.parsing import ParseContext

ROUNDS: dict[Mode, int] = {"quick": 1, "full": 5}
CONCURRENCY = 4
STORES = ("memory", "redis")
TARGET_CPU_MS = {"memory": 20.0, "redis": 30.0}  # issue 18
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
    runs: dict[str, JourneyRun] = {}
    with workdir() as directory, sandbox_server(directory) as sandbox, redis_server(directory) as redis:
        personas = _finishing(load_personas(sandbox.url))
        for store in STORES:
            redis_url = redis.url if store == "redis" else None
            with broker_server(directory, sandbox.url, store, redis_url, extra_env=COUNT_DECRYPTS) as broker:
                asyncio.run(run_many(personas[:2], broker.endpoints, "parallel"))  # warm up
                runs[store] = _journeys(broker, personas * ROUNDS[mode])
                if store == "memory":
                    parse_ms, seal_ms = _floor_parts(broker, [p.key for p in personas])
        with baseline_server(directory) as bare:
            request_ms = _bare_cpu_ms(bare)
    memory = _finished(runs["memory"])
    figures = [
        Figure.against(
            "journeys per second",
            memory.count / runs["memory"].seconds,
            "/s",
            note=f"{memory.count} journeys, {CONCURRENCY} at once; robot, sandbox, broker on this machine"
            + memory.failures,
        )
    ]
    for store in STORES:
        measured, finished = runs[store], _finished(runs[store])
        requests = measured.broker_requests / finished.count
        floor = parse_ms + seal_ms + requests * request_ms
        label = "broker CPU per journey" + ("" if store == "memory" else f" ({store} store)")
        note = (
            f"floor = parse {parse_ms:.1f} + JWE {seal_ms:.2f} + {requests:.0f} req x "
            f"{request_ms:.3f} ms (bare) = {floor:.1f} ms"
        )
        if store != "memory":
            note += f"; {finished.cpu_ms / memory.cpu_ms:.2f}x the memory store's{finished.failures}"
        figures.append(
            Figure.against(
                label,
                finished.cpu_ms,
                "ms",
                baseline=floor,
                target=f"<={TARGET_CPU_MS[store]:.0f} ms",
                ok=finished.cpu_ms <= TARGET_CPU_MS[store],
                note=note,
            )
        )
    for store in STORES:
        measured, finished = runs[store], _finished(runs[store])
        by_kind = sorted(measured.decrypts.items())
        figures.append(
            Figure.against(
                "decrypt passes per journey" + ("" if store == "memory" else f" ({store} store)"),
                sum(measured.decrypts.values()) / finished.count,
                "",
                target="<=1 per blob per request",
                ok=measured.most_decrypts_per_blob <= 1,
                note=(
                    ", ".join(f"{kind} {n / finished.count:.1f}" for kind, n in by_kind)
                    + f"; most openings of one blob in one request: {measured.most_decrypts_per_blob}"
                ),
            )
        )
    return figures


@dataclass(frozen=True)
class _Finished:
    count: int
    cpu_ms: float
    """Broker CPU per finished journey: a failed journey spent less than a whole one, so this errs high."""
    failures: str


def _finished(measured: JourneyRun) -> _Finished:
    failed = [r for r in measured.results if not r.ok]
    count = len(measured.results) - len(failed)
    if not count:
        raise RuntimeError(f"every journey failed, e.g. {failed[0].persona}: {failed[0].error}")
    failures = f"; {len(failed)} failed ({failed[0].error})" if failed else ""
    return _Finished(count, measured.broker_cpu * 1000 / count, failures)
