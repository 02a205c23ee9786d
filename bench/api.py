"""Provider API throughput against a bare FastAPI JSON endpoint, all served as separate processes, one run.

Issue 9, item 1: create session (authenticated; memory store, Redis reported too) ≥ 0.25 × the bare endpoint,
session status read ≥ 0.5 × the bare endpoint. Both sides are served by uvicorn with one worker and driven by
the same load generator (``wrk``, one thread, 32 connections) for the same duration. Each broker (memory
store; memory store without the access log; Redis) is measured in three rounds, each round the bare endpoint,
then create, then status; every figure is the median of its rounds, the baseline the median of all bare runs.
Each figure is also given as server CPU per request (``/proc/<pid>/stat`` over the run / requests served),
the same target turned around (≥ 0.25 × throughput = ≤ 4 × CPU per request): on a busy shared machine the
throughput ratio swings with the neighbours' load, the CPU ratio much less.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from contextlib import contextmanager

import httpx

from bench import Figure, Mode, median
from bench.support import Broker, baseline_server, broker_server, redis_server, workdir
from bench.support_load import Load, Throughput, throughput, warm_up

SECONDS: dict[Mode, float] = {"quick": 3.0, "full": 10.0}
ROUNDS = 3
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
    measured: dict[str, list[Throughput]] = {}
    bare_runs: list[Throughput] = []
    with workdir() as directory, baseline_server(directory) as bare:
        bare_load = Load("GET", f"{bare.url}/json", {})
        for store in ("memory", QUIET, "redis"):
            with _broker(store, sandbox_url) as broker:
                token = broker.access_token()
                loads = {"create": _create_load(broker, token), "status": _status_load(broker, token)}
                # Rounds alternate with the bare endpoint, so a busy spell of the machine hits both sides.
                for _ in range(ROUNDS):
                    bare_runs.append(_measure(bare_load, seconds, bare.pid))
                    for kind, load in loads.items():
                        result = _measure(load, seconds, broker.server.pid)
                        measured.setdefault(f"{kind} {store}", []).append(result)
    baseline = median([r.per_second for r in bare_runs])
    bare_cpu = median([r.cpu_ms_per_request for r in bare_runs])
    bare_note = (
        f"median of {len(bare_runs)} runs ({min(r.per_second for r in bare_runs):,.0f}-"
        f"{max(r.per_second for r in bare_runs):,.0f}/s); {bare_cpu:.3f} ms CPU/req; "
        f"{bare_runs[0].tool}, {seconds:g} s each"
    )
    figures = [Figure.against("bare JSON endpoint", baseline, "req/s", note=bare_note)]
    targets = {"create": CREATE_RATIO, "status": STATUS_RATIO}
    for name, results in measured.items():
        kind, store = name.split(" ", 1)
        target = targets[kind]
        label = f"{'create session' if kind == 'create' else 'session status read'} ({store})"
        judged = store == "memory"
        per_second = median([r.per_second for r in results])
        cpu_ms = median([r.cpu_ms_per_request for r in results])
        figures.append(
            Figure.against(
                label,
                per_second,
                "req/s",
                baseline=baseline,
                target=f">={target}x bare" if judged else "",
                ok=per_second >= target * baseline if judged else None,
                note=f"median of {len(results)}; {sum(r.requests for r in results):,} requests",
            )
        )
        # The same target in CPU per request: what one worker could serve if it had a core to itself.
        # On a shared machine this is the steadier of the two views.
        figures.append(
            Figure.against(
                f"  {label}: CPU per request",
                cpu_ms,
                "ms",
                baseline=bare_cpu,
                target=f"<={1 / target:g}x bare" if judged else "",
                ok=cpu_ms * target <= bare_cpu if judged else None,
                note=f"= {1000 / cpu_ms:,.0f} req per CPU-second",
            )
        )
    return figures
