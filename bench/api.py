"""Provider API throughput against a bare FastAPI JSON endpoint, all served as separate processes, one run.

Issue 9, item 1: create session (authenticated; memory store, Redis reported too) ≥ 0.25 × the bare endpoint,
session status read ≥ 0.5 × the bare endpoint. Both sides are served by uvicorn with one worker and driven by
the same load generator (``wrk``, one thread, 32 connections) for the same duration. The bare endpoint is
measured before and after the broker runs; the baseline is the mean of the two (both in the note).
Each figure is also given as server CPU per request (``/proc/<pid>/stat`` over the run / requests served),
the same target turned around (≥ 0.25 × throughput = ≤ 4 × CPU per request): on a busy shared machine the
throughput ratio swings with the neighbours' load, the CPU ratio much less.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench import Figure, Mode
from bench.support import Broker, baseline_server, broker_server, redis_server, workdir
from bench.support_load import Load, Throughput, throughput, warm_up

SECONDS: dict[Mode, float] = {"quick": 3.0, "full": 15.0}
CREATE_RATIO = 0.25
STATUS_RATIO = 0.5
QUIET = "memory, no access log"  # DATABRUG_ACCESS_LOG=false: reported, not judged


def _create_load(broker: Broker, token: str) -> Load:
    return Load(
        "POST",
        f"{broker.url}/api/v1/sessions",
        {"Authorization": f"Bearer {token}", "Content-Type": "application/json"},
        json.dumps({"reference": "bench-case-0001"}),
    )


def _status_load(broker: Broker, token: str) -> Load:
    response = httpx.post(
        f"{broker.url}/api/v1/sessions",
        json={"reference": "bench-status"},
        headers={"Authorization": f"Bearer {token}"},
    )
    response.raise_for_status()
    session_id = response.json()["id"]
    return Load("GET", f"{broker.url}/api/v1/sessions/{session_id}", {"Authorization": f"Bearer {token}"})


def _measure(load: Load, seconds: float, pid: int) -> Throughput:
    warm_up(load)
    result = throughput(load, seconds, pid)
    if result.errors:
        raise RuntimeError(f"{result.errors} failed requests against {load.method} {load.url.split('?')[0]}")
    return result


@contextmanager
def _broker(store: str, sandbox_url: str) -> Iterator[Broker]:
    with workdir() as directory:
        if store == "redis":
            with (
                redis_server(directory) as redis,
                broker_server(directory, sandbox_url, "redis", redis.url) as b,
            ):
                yield b
        else:
            quiet = {"DATABRUG_ACCESS_LOG": "false"} if store == QUIET else None
            with broker_server(directory, sandbox_url, extra_env=quiet) as broker:
                yield broker


def run(mode: Mode) -> list[Figure]:
    seconds = SECONDS[mode]
    sandbox_url = "http://127.0.0.1:9"  # never called: these endpoints do not reach the sources
    measured: dict[str, Throughput] = {}
    with workdir() as directory, baseline_server(directory) as bare:
        bare_load = Load("GET", f"{bare.url}/json", {})
        first = _measure(bare_load, seconds, bare.pid)
        for store in ("memory", QUIET, "redis"):
            with _broker(store, sandbox_url) as broker:
                token = broker.access_token()
                measured[f"create {store}"] = _measure(
                    _create_load(broker, token), seconds, broker.server.pid
                )
                measured[f"status {store}"] = _measure(
                    _status_load(broker, token), seconds, broker.server.pid
                )
        second = _measure(bare_load, seconds, bare.pid)
    baseline = (first.per_second + second.per_second) / 2
    bare_note = (
        f"bare GET /json {first.per_second:,.0f} then {second.per_second:,.0f}/s; "
        f"{first.cpu_ms_per_request:.3f} ms CPU/req; {first.tool}, {seconds:g} s each"
    )
    figures = [Figure.against("bare JSON endpoint", baseline, "req/s", note=bare_note)]
    targets = {"create": CREATE_RATIO, "status": STATUS_RATIO}
    bare_cpu = (first.cpu_ms_per_request + second.cpu_ms_per_request) / 2
    for name, result in measured.items():
        kind, store = name.split(" ", 1)
        target = targets[kind]
        label = f"{'create session' if kind == 'create' else 'session status read'} ({store})"
        judged = store == "memory"
        figures.append(
            Figure.against(
                label,
                result.per_second,
                "req/s",
                baseline=baseline,
                target=f">={target}x bare" if judged else "",
                ok=result.per_second >= target * baseline if judged else None,
                note=f"{result.requests:,} requests",
            )
        )
        # The same target in CPU per request: what one worker could serve if it had a core to itself.
        # On a shared machine this is the steadier of the two views.
        figures.append(
            Figure.against(
                f"  {label}: CPU per request",
                result.cpu_ms_per_request,
                "ms",
                baseline=bare_cpu,
                target=f"<={1 / target:g}x bare" if judged else "",
                ok=result.cpu_ms_per_request * target <= bare_cpu if judged else None,
                note=f"= {1000 / result.cpu_ms_per_request:,.0f} req per CPU-second",
            )
        )
    return figures
