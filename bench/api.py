"""Provider API throughput against a bare FastAPI JSON endpoint, all served as separate processes, one run.

Issue 9, item 1: create session (authenticated; memory store, Redis reported too) ≥ 0.25 × the bare endpoint,
session status read ≥ 0.5 × the bare endpoint. Both sides are served by uvicorn with one worker and driven by
the same load generator (``wrk``, one thread, 32 connections) for the same duration. Three brokers run side
by side (memory store; memory store without the access log; Redis), measured in five rounds, each round the
bare endpoint, then each broker's create, status and a session change (cancel); every figure is the median of
its rounds, the baseline the median of all bare runs. The servers measured share one CPU, Redis and the load
generators the other (``support.pinned``); one round before the counted ones warms every side. Each figure
is also given as server CPU per request (``/proc/<pid>/stat`` over the run / requests served), the same
target turned around (≥ 0.25 × throughput = ≤ 4 × CPU per request): on a busy shared machine the throughput
ratio swings with the neighbours' load, the CPU ratio much less.

Issue 18, the Redis path: the Redis broker's CPU per request against the memory store's, same run: create
≤ 1.5×, status read ≤ 1.3×; the cancel (a read, then the compare-and-set that keeps and publishes its event)
is reported beside them. Each ratio is the median of the rounds' ratios (the two runs of a round are
neighbours in time). A cancel can be sent once per session, so its load is a fixed list of sessions made
before the round, cancelled by 32 concurrent httpx clients (the same generator for both stores).
"""

from __future__ import annotations

import asyncio
import json
import time
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager

import httpx

from bench import Figure, Mode, median
from bench.support import (
    Broker,
    baseline_server,
    broker_server,
    cpu_seconds,
    pinned,
    redis_server,
    workdir,
)
from bench.support_load import CONNECTIONS, Load, Throughput, throughput, warm_up

SECONDS: dict[Mode, float] = {"quick": 3.0, "full": 10.0}
CANCELS: dict[Mode, int] = {"quick": 1500, "full": 5000}
REDIS_CREATE = 1.5  # x the memory store's CPU per request, same run (issue 18)
REDIS_STATUS = 1.3
ROUNDS = 5
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


async def _cancels(broker: Broker, token: str, count: int, pid: int) -> Throughput:
    """``count`` sessions made, then each cancelled once; the broker's CPU over the cancels only."""
    headers = {"Authorization": f"Bearer {token}"}
    limits = httpx.Limits(max_connections=CONNECTIONS, max_keepalive_connections=CONNECTIONS)
    async with httpx.AsyncClient(base_url=broker.url, headers=headers, limits=limits, timeout=30) as http:

        async def create() -> str:
            response = await http.post("/api/v1/sessions", json={"reference": "bench-cancel"})
            response.raise_for_status()
            session_id: str = response.json()["id"]
            return session_id

        ids: list[str] = []
        while len(ids) < count:
            ids += await asyncio.gather(*(create() for _ in range(min(CONNECTIONS, count - len(ids)))))
        pending = iter(ids)
        errors = 0

        async def worker() -> None:
            nonlocal errors
            for session_id in pending:
                response = await http.post(f"/api/v1/sessions/{session_id}/cancel")
                errors += response.status_code != 200

        cpu_before, started = cpu_seconds(pid), time.perf_counter()
        await asyncio.gather(*(worker() for _ in range(CONNECTIONS)))
        took = time.perf_counter() - started
        return Throughput(count, took, errors, cpu_seconds(pid) - cpu_before, "httpx")


def _measure_cancels(broker: Broker, token: str, count: int) -> Throughput:
    result = asyncio.run(_cancels(broker, token, count, broker.server.pid))
    if result.errors:
        raise RuntimeError(f"{result.errors} failed cancels")
    return result


@contextmanager
def _broker(store: str, sandbox_url: str, redis_url: str) -> Iterator[Broker]:
    with workdir() as directory:
        if store == "redis":
            with broker_server(directory, sandbox_url, "redis", redis_url) as b:
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
    stores = ("memory", "redis", QUIET)  # memory and Redis measured back to back in every round
    with ExitStack() as stack:
        directory = stack.enter_context(workdir())
        bare = stack.enter_context(baseline_server(directory))
        bare_load = Load("GET", f"{bare.url}/json", {})
        redis = stack.enter_context(redis_server(directory))
        brokers = {store: stack.enter_context(_broker(store, sandbox_url, redis.url)) for store in stores}
        tokens = {store: broker.access_token() for store, broker in brokers.items()}
        loads = {
            store: {"create": _create_load(b, tokens[store]), "status": _status_load(b, tokens[store])}
            for store, b in brokers.items()
        }
        servers = [bare.pid, *(b.server.pid for b in brokers.values())]
        stack.enter_context(pinned(servers, [redis.process.pid]))
        for store, broker in brokers.items():  # a round not counted: connections, caches and pools warm
            for load in loads[store].values():
                throughput(load, 1.0, broker.server.pid)
        # Every round measures the bare endpoint and each store in turn, all servers running at once: a busy
        # spell of the machine hits every side, and the Redis/memory ratio compares neighbouring runs.
        for _ in range(ROUNDS):
            bare_runs.append(_measure(bare_load, seconds, bare.pid))
            for store, broker in brokers.items():
                for kind, load in loads[store].items():
                    result = _measure(load, seconds, broker.server.pid)
                    measured.setdefault(f"{kind} {store}", []).append(result)
                cancels = _measure_cancels(broker, tokens[store], CANCELS[mode])
                measured.setdefault(f"cancel {store}", []).append(cancels)
    baseline = median([r.per_second for r in bare_runs])
    bare_cpu = median([r.cpu_ms_per_request for r in bare_runs])
    bare_note = (
        f"median of {len(bare_runs)} runs ({min(r.per_second for r in bare_runs):,.0f}-"
        f"{max(r.per_second for r in bare_runs):,.0f}/s); {bare_cpu:.3f} ms CPU/req; "
        f"{bare_runs[0].tool}, {seconds:g} s each"
    )
    figures = [Figure.against("bare JSON endpoint", baseline, "req/s", note=bare_note)]
    targets = {"create": CREATE_RATIO, "status": STATUS_RATIO}
    labels = {"create": "create session", "status": "session status read", "cancel": "cancel session"}
    cpu_of = {name: median([r.cpu_ms_per_request for r in results]) for name, results in measured.items()}
    for name, results in measured.items():
        kind, store = name.split(" ", 1)
        label = f"{labels[kind]} ({store})"
        per_second = median([r.per_second for r in results])
        cpu_ms = cpu_of[name]
        if kind == "cancel":  # driven by httpx, not wrk: its throughput is the generator's, not comparable
            figures.append(
                Figure.against(
                    f"  {label}: CPU per request",
                    cpu_ms,
                    "ms",
                    baseline=bare_cpu,
                    note=f"median of {len(results)}; {sum(r.requests for r in results):,} cancels (httpx)",
                )
            )
            continue
        target = targets[kind]
        judged = store == "memory"
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
    figures += _redis_against_memory(measured)
    return figures


def _redis_against_memory(measured: dict[str, list[Throughput]]) -> list[Figure]:
    """Issue 18: the Redis store's CPU per request as a ratio to the memory store's: the median of the rounds'
    ratios, each of two runs measured back to back (a spell of the shared machine moves both); value and
    baseline are the medians of the Redis and memory runs."""
    figures = []
    for kind, limit in (("create", REDIS_CREATE), ("status", REDIS_STATUS), ("cancel", None)):
        redis = [r.cpu_ms_per_request for r in measured[f"{kind} redis"]]
        memory = [r.cpu_ms_per_request for r in measured[f"{kind} memory"]]
        ratios = [r / m for r, m in zip(redis, memory, strict=True)]
        ratio = median(ratios)
        label = {"create": "create session", "status": "session status read", "cancel": "cancel session"}[
            kind
        ]
        figures.append(
            Figure(
                f"Redis vs memory store: {label}, CPU per request",
                median(redis),
                "ms",
                median(memory),
                ratio,
                f"<={limit:g}x memory" if limit else "",
                ratio <= limit if limit else None,
                f"ratio: median of {len(ratios)} rounds' ({min(ratios):.2f}-{max(ratios):.2f}x), same run",
            )
        )
    return figures
