"""Load: many robot journeys at once through the scaled-out set (brokers behind nginx on one Redis).

``python -m bench.load --journeys 1000 --concurrency 200`` (or ``python -m bench --only load``, which runs a
small set in ``quick`` mode and the full 1,000 in ``full`` mode). Loopback only; bounded in count and time.

What is measured, and where:
- latency of every request at the balancer (nginx ``$request_time``: from the first byte of the request to the
  last byte of the answer, queueing in the brokers included), by kind: provider API (``/api/v1``), app and
  pages (``/start``, ``/c``, ``/app``), collection (``/app/fetch-all``: waits for the four sandbox portals and
  parses their documents, so it is reported on its own), and the sandbox (DigiD and portals, its own port —
  not the product, left out of the target);
- the same requests timed by the robot (client side, event-loop lag of the robot included), for comparison;
- throughput over the run (requests per second at the balancer, journeys finished per second);
- failed journeys and lost packages: every journey that consented must end with the provider's acknowledged
  package — its session ``acknowledged`` and no ciphertext left in Redis.

Each journey uses its own sandbox household (generated households ``gen-<seed>``, then the catalogue), so no
two journeys race for one account's SMS code; a household used twice runs its journeys one after the other.
"""

from __future__ import annotations

import argparse
import asyncio
import collections
import contextlib
import json
import signal
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import redis.asyncio as aioredis
from tests.support.scale_out import ScaleOut

from bench import Figure, Mode, percentile
from databrug.robot.browser import request_observer
from databrug.robot.journey import Endpoints, JourneyResult, Persona, run_journey
from databrug.robot.setup import load_endpoints, persona_of
from databrug.sdk import AsyncDatabrugClient

ROOT = Path(__file__).resolve().parent.parent
CHART = ROOT / "docs" / "performance" / "load.svg"
TARGET_MS = 200.0
KINDS = ("provider API", "app and pages", "collection", "sandbox")
TARGET_KINDS = ("provider API", "app and pages")
GENERATED_OWN_BSNS = 869  # generated seeds 0..868 own their BSNs (docs/personas.md)
WINDOW_S = 5.0
LOAD_LIMITS = {
    # Every robot phone reaches the brokers from one loopback address, and one provider creates all sessions:
    # lift the per-address pairing limit and the per-provider session limit, which real traffic spreads.
    "DATABRUG_PAIRING_ATTEMPTS_PER_MINUTE": "1000000",
    "DATABRUG_SESSIONS_PER_MINUTE": "1000000",
}


@dataclass(frozen=True)
class Plan:
    journeys: int
    concurrency: int
    brokers: int = 2
    time_limit: float = 1200.0
    think: float = 0.0
    """Seconds the robot waits after each page, as a person reading it would (0: no pause)."""


@dataclass(frozen=True)
class Hit:
    at: float  # seconds since the start of the run, when the answer was complete
    kind: str
    ms: float
    status: int
    upstream: str


@dataclass
class Run:
    plan: Plan
    started: float = 0.0
    seconds: float = 0.0
    results: list[JourneyResult] = field(default_factory=list)
    finished_at: list[float] = field(default_factory=list)
    not_finished: int = 0
    client: dict[str, list[float]] = field(default_factory=lambda: collections.defaultdict(list))
    hits: list[Hit] = field(default_factory=list)
    lost: int = 0
    consented: int = 0
    left_in_store: int = 0
    cpu: dict[str, float] = field(default_factory=dict)


def kind_of(front: str, path: str) -> str | None:
    """The kind of a request at the balancer, or None when it is no request a person waits for."""
    if front == "idp":
        return "sandbox"
    if path == "/health" or path == "/c/events":
        return None
    if path.startswith("/api/"):
        return "provider API"  # the robot reads events as JSON; nothing here streams
    if path == "/app/fetch-all" or path.endswith("/fetch"):
        return "collection"
    return "app and pages"


def read_access_log(stack: ScaleOut, started: float) -> list[Hit]:
    fronts = {str(stack.lb_port): "lb", str(stack.idp_port): "idp"}
    hits = []
    for line in stack.access_log.read_text(encoding="utf-8").splitlines():
        fields = line.split()
        if len(fields) < 7 or fields[1] not in fronts:
            continue
        kind = kind_of(fronts[fields[1]], fields[3])
        if kind is None:
            continue
        at = float(fields[0]) - started
        if at < 0:
            continue  # before the run: start-up health checks
        hits.append(Hit(at, kind, float(fields[5]) * 1000, int(fields[4]), fields[6]))
    return hits


def schedule(count: int) -> list[Persona]:
    """``count`` journeys over distinct households first (generated, then the catalogue), then again."""
    from databrug_sandbox.personas.catalogue import CATALOGUE
    from databrug_sandbox.personas.docs import catalogue_listing
    from databrug_sandbox.personas.generator import generate_household

    generated = {str(s): generate_household(s) for s in range(min(count, GENERATED_OWN_BSNS))}
    households = catalogue_listing(generated) + catalogue_listing(CATALOGUE)
    personas = [persona_of(h) for h in households]
    return [personas[i % len(personas)] for i in range(count)]


async def drive(plan: Plan, endpoints: Endpoints, personas: Sequence[Persona], run: Run) -> None:
    gate = asyncio.Semaphore(plan.concurrency)
    accounts: dict[str, asyncio.Lock] = collections.defaultdict(asyncio.Lock)
    sandbox = endpoints.sandbox_url

    async def observe(method: str, url: str, status: int, seconds: float) -> None:
        kind = "sandbox" if url.startswith(sandbox) else "broker (client side)"
        run.client[kind].append(seconds * 1000)
        if plan.think:
            await asyncio.sleep(plan.think)

    async def one(persona: Persona) -> None:
        async with accounts[persona.applicant.username], gate:
            request_observer.set(observe)
            result = await run_journey(persona, endpoints, "parallel")
            run.results.append(result)
            run.finished_at.append(time.time() - run.started)

    tasks = [asyncio.ensure_future(one(p)) for p in personas]
    done, pending = await asyncio.wait(tasks, timeout=plan.time_limit)
    for task in pending:
        task.cancel()
    await asyncio.gather(*pending, return_exceptions=True)
    run.not_finished = len(pending)
    for task in done:
        if task.exception() is not None:
            run.not_finished += 1


async def count_lost(stack: ScaleOut, endpoints: Endpoints, run: Run) -> None:
    """Every consented journey: the session is acknowledged and no package ciphertext is left in Redis."""
    consented = [
        r
        for r in run.results
        if r.session_id and any(s["name"] == "review and consent" and s["ok"] for s in r.steps)
    ]
    run.consented = len(consented)
    client = AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    )
    store = aioredis.from_url(stack.redis_url)
    try:
        for result in consented:
            assert result.session_id is not None
            status = await client.get_session(result.session_id)
            if status.state != "acknowledged":
                run.lost += 1
        # Collected data and packages live in each session's blob hash; acknowledged sessions keep none.
        async for key in store.scan_iter(match="*:blobs", count=1000):
            if await store.hlen(key):
                run.left_in_store += 1
    finally:
        await client.aclose()
        await store.aclose()


def execute(plan: Plan, directory: Path) -> Run:
    personas = schedule(plan.journeys)
    with ScaleOut(directory, brokers=plan.brokers, provider=False, broker_env=LOAD_LIMITS) as stack:
        endpoints = load_endpoints(stack.robot_credentials)
        run = Run(plan, started=time.time())
        cpu_before, robot_before = stack.cpu_seconds(), time.process_time()
        asyncio.run(drive(plan, endpoints, personas, run))
        run.seconds = time.time() - run.started
        cpu_after = stack.cpu_seconds()
        run.cpu = {name: round(cpu_after[name] - cpu_before.get(name, 0.0), 1) for name in cpu_after}
        run.cpu["robot (this process)"] = round(time.process_time() - robot_before, 1)
        asyncio.run(count_lost(stack, endpoints, run))
        time.sleep(1.5)  # nginx writes its buffered access log every second
        run.hits = read_access_log(stack, run.started)
    return run


# ---------------------------------------------------------------- figures


def latencies(run: Run, kinds: Sequence[str]) -> list[float]:
    return [h.ms for h in run.hits if h.kind in kinds]


def summary(run: Run) -> dict[str, Any]:
    failed = [r for r in run.results if not r.ok]
    errors = collections.Counter((r.error or "")[:80] for r in failed)
    by_kind: dict[str, dict[str, float]] = {}
    for kind in KINDS:
        values = latencies(run, [kind])
        if values:
            by_kind[kind] = _percentiles(values)
    target = latencies(run, TARGET_KINDS)
    broker_hits = [h for h in run.hits if h.kind != "sandbox"]
    upstreams = collections.Counter(h.upstream for h in broker_hits)
    return {
        "journeys": run.plan.journeys,
        "concurrency": run.plan.concurrency,
        "brokers": run.plan.brokers,
        "think_seconds": run.plan.think,
        "seconds": round(run.seconds, 1),
        "ok": sum(r.ok for r in run.results),
        "failed": len(failed) + run.not_finished,
        "not_finished_in_time": run.not_finished,
        "delivered_and_acknowledged": sum(r.outcome == "delivered and acknowledged" for r in run.results),
        "refused_by_design": sum(r.outcome.startswith("refused as expected") for r in run.results),
        "consented": run.consented,
        "lost_packages": run.lost,
        "sessions_with_data_left": run.left_in_store,
        "errors": dict(errors.most_common(5)),
        "requests_at_balancer": len(broker_hits),
        "server_errors": sum(h.status >= 500 for h in run.hits),
        "requests_per_broker": dict(sorted(upstreams.items())),
        "requests_per_second": round(len(broker_hits) / run.seconds, 1) if run.seconds else 0.0,
        "journeys_per_second": round(len(run.results) / run.seconds, 2) if run.seconds else 0.0,
        "latency_ms": by_kind,
        "target_p95_ms": round(percentile(target, 0.95), 1) if target else None,
        "cpu_seconds": run.cpu,
        "client_side_ms": {k: _percentiles(v) for k, v in sorted(run.client.items()) if v},
    }


def _percentiles(values: Sequence[float]) -> dict[str, float]:
    return {
        "count": len(values),
        "p50": round(percentile(values, 0.50), 1),
        "p95": round(percentile(values, 0.95), 1),
        "p99": round(percentile(values, 0.99), 1),
        "max": round(max(values), 1),
    }


def figures(facts: dict[str, Any]) -> list[Figure]:
    n = facts["journeys"]
    note = f"{n} journeys, {facts['concurrency']} at once, {facts['brokers']} brokers behind nginx"
    result = [
        Figure("load: failed journeys", facts["failed"], "", target="0", ok=facts["failed"] == 0, note=note),
        Figure(
            "load: lost packages",
            facts["lost_packages"] + facts["sessions_with_data_left"],
            "",
            target="0",
            ok=facts["lost_packages"] + facts["sessions_with_data_left"] == 0,
            note=f"{facts['consented']} consented, each acknowledged by the provider",
        ),
    ]
    for kind in ("provider API", "app and pages", "collection"):
        stats = facts["latency_ms"].get(kind)
        if stats is None:
            continue
        in_target = kind in TARGET_KINDS
        result.append(
            Figure(
                f"load: p95 {kind}",
                stats["p95"],
                "ms",
                target=f"< {TARGET_MS:.0f} ms" if in_target else "",
                ok=stats["p95"] < TARGET_MS if in_target else None,
                note=f"at the balancer; p50 {stats['p50']}, p99 {stats['p99']} ms; {stats['count']} requests",
            )
        )
    result.append(
        Figure(
            "load: throughput",
            facts["requests_per_second"],
            "req/s",
            note=f"{facts['journeys_per_second']} journeys/s over {facts['seconds']} s",
        )
    )
    return result


# ---------------------------------------------------------------- chart


def _windows(run: Run) -> list[tuple[float, list[float], int, int]]:
    """Per window: its middle (s), target-kind latencies, requests at the balancer, journeys finished."""
    end = max([h.at for h in run.hits] + run.finished_at + [WINDOW_S])
    count = int(end // WINDOW_S) + 1
    lat: list[list[float]] = [[] for _ in range(count)]
    reqs, done = [0] * count, [0] * count
    for hit in run.hits:
        index = int(hit.at // WINDOW_S)
        if hit.kind in TARGET_KINDS:
            lat[index].append(hit.ms)
        if hit.kind != "sandbox":
            reqs[index] += 1
    for at in run.finished_at:
        done[int(at // WINDOW_S)] += 1
    return [((i + 0.5) * WINDOW_S, lat[i], reqs[i], done[i]) for i in range(count)]


def _nice(top: float) -> float:
    """The smallest 1, 2 or 5 times a power of ten that is at least ``top``."""
    for power in range(-2, 7):
        for step in (1, 2, 5):
            if step * 10.0**power >= top:
                return step * 10.0**power
    return top


def _legend(items: list[tuple[str, str, str]], right: float, y: float) -> list[str]:
    """A one-line legend ending at ``right``."""
    x = right - sum(30 + 6.2 * len(label) for label, _, _ in items)
    out = []
    for label, colour, dash in items:
        extra = f' stroke-dasharray="{dash}"' if dash else ""
        out.append(
            f'<line x1="{x:.0f}" x2="{x + 18:.0f}" y1="{y - 4:.0f}" y2="{y - 4:.0f}" stroke="{colour}" '
            f'stroke-width="2"{extra}/>'
        )
        out.append(f'<text x="{x + 22:.0f}" y="{y:.0f}" font-size="11">{label}</text>')
        x += 30 + 6.2 * len(label)
    return out


def _polyline(points: list[tuple[float, float]], colour: str, dash: str = "") -> str:
    if not points:
        return ""
    coords = " ".join(f"{x:.1f},{y:.1f}" for x, y in points)
    extra = f' stroke-dasharray="{dash}"' if dash else ""
    return f'<polyline fill="none" stroke="{colour}" stroke-width="1.8"{extra} points="{coords}"/>'


def chart_svg(run: Run, facts: dict[str, Any]) -> str:
    """Two panels over the run: latency percentiles (provider API + app) and throughput."""
    windows = _windows(run)
    width, left, right, panel, gap, top = 900, 70, 60, 220, 84, 64
    plot_w = width - left - right
    height = top + 2 * panel + gap + 50
    duration = windows[-1][0] + WINDOW_S / 2

    def x(seconds: float) -> float:
        return left + plot_w * seconds / duration

    series = {name: [] for name in ("p50", "p95", "p99")}  # type: dict[str, list[tuple[float, float]]]
    for middle, values, _, _ in windows:
        if len(values) >= 5:
            for name, fraction in (("p50", 0.5), ("p95", 0.95), ("p99", 0.99)):
                series[name].append((middle, percentile(values, fraction)))
    lat_top = _nice(max([v for s in series.values() for _, v in s] + [TARGET_MS * 1.25]))
    rps = [(m, r / WINDOW_S) for m, _, r, _ in windows]
    jps = [(m, d / WINDOW_S) for m, _, _, d in windows]
    rps_top = _nice(max([v for _, v in rps] + [1.0]))
    jps_top = _nice(max([v for _, v in jps] + [0.1]))

    def y_lat(ms: float) -> float:
        return top + panel - panel * ms / lat_top

    y0 = top + panel + gap

    def y_rps(value: float) -> float:
        return y0 + panel - panel * value / rps_top

    def y_jps(value: float) -> float:
        return y0 + panel - panel * value / jps_top

    out = [
        f'<svg xmlns="http://www.w3.org/2000/svg" width="{width}" height="{height}" '
        f'viewBox="0 0 {width} {height}" font-family="sans-serif" font-size="12">',
        '<rect width="100%" height="100%" fill="white"/>',
        f'<text x="{left}" y="22" font-size="15" font-weight="bold">'
        f"Load: {facts['journeys']} robot journeys, {facts['concurrency']} at once, "
        f"{facts['brokers']} brokers behind nginx on one Redis</text>",
        f'<text x="{left}" y="{top - 26}">Latency at the balancer, provider API + app and pages '
        f"(ms per {WINDOW_S:.0f} s window)</text>",
        f'<text x="{left}" y="{y0 - 26}">Throughput (per second, {WINDOW_S:.0f} s windows)</text>',
    ]
    for base in (top, y0):
        out.append(
            f'<rect x="{left}" y="{base}" width="{plot_w}" height="{panel}" fill="none" stroke="#999"/>'
        )
    for i in range(5):
        ms = lat_top * i / 4
        out.append(f'<text x="{left - 6}" y="{y_lat(ms) + 4:.1f}" text-anchor="end">{ms:.0f}</text>')
        value = rps_top * i / 4
        out.append(f'<text x="{left - 6}" y="{y_rps(value) + 4:.1f}" text-anchor="end">{value:.0f}</text>')
        jv = jps_top * i / 4
        out.append(f'<text x="{width - right + 6}" y="{y_jps(jv) + 4:.1f}">{jv:g}</text>')
    step = _nice(duration / 8)
    tick = 0.0
    while tick <= duration:
        for base in (top + panel, y0 + panel):
            out.append(f'<text x="{x(tick):.1f}" y="{base + 16}" text-anchor="middle">{tick:.0f}</text>')
        tick += step
    out.append(
        f'<text x="{left + plot_w / 2}" y="{height - 12}" text-anchor="middle">seconds into the run</text>'
    )
    out.append(
        f'<line x1="{left}" x2="{left + plot_w}" y1="{y_lat(TARGET_MS):.1f}" y2="{y_lat(TARGET_MS):.1f}" '
        'stroke="#c00" stroke-dasharray="6 4"/>'
    )
    colours = {"p50": "#1f77b4", "p95": "#ff7f0e", "p99": "#7f3fbf"}
    for name, points in series.items():
        out.append(_polyline([(x(m), y_lat(v)) for m, v in points], colours[name]))
    out.append(_polyline([(x(m), y_rps(v)) for m, v in rps], "#2ca02c"))
    out.append(_polyline([(x(m), y_jps(v)) for m, v in jps], "#555", "4 3"))
    legend = [
        ("p50", colours["p50"], ""),
        ("p95", colours["p95"], ""),
        ("p99", colours["p99"], ""),
        (f"target {TARGET_MS:.0f} ms", "#c00", "6 4"),
    ]
    out += _legend(legend, left + plot_w, top - 8)
    out += _legend(
        [("requests/s at the balancer (left)", "#2ca02c", ""), ("journeys/s (right)", "#555", "4 3")],
        left + plot_w,
        y0 - 8,
    )
    out.append("</svg>")
    return "\n".join(part for part in out if part) + "\n"


# ---------------------------------------------------------------- entry points


def measure(plan: Plan, chart: Path | None, directory: Path | None = None) -> dict[str, Any]:
    with contextlib.ExitStack() as stack:
        where = directory or Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="databrug-load-")))
        run = execute(plan, where)
    facts = summary(run)
    if chart is not None:
        chart.parent.mkdir(parents=True, exist_ok=True)
        chart.write_text(chart_svg(run, facts), encoding="utf-8")
        chart.with_suffix(".json").write_text(json.dumps(facts, indent=2) + "\n", encoding="utf-8")
    if directory is not None:  # the raw timings, to draw the chart again without a new run (--replot)
        raw = {
            "facts": facts,
            "finished_at": run.finished_at,
            "hits": [list(vars(h).values()) for h in run.hits],
        }
        (directory / "load-raw.json").write_text(json.dumps(raw), encoding="utf-8")
    return facts


def run(mode: Mode) -> list[Figure]:
    """The bench runner's entry is the open-loop generator (``bench/open_loop.py``): quick = 60 s at a low
    rate, full = 10 minutes at 70% of the last saturation search. This closed-loop robot stays a command
    (``python -m bench.load``) to compare with the earlier runs."""
    from bench.open_loop import measure_for_bench

    return measure_for_bench(mode)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m bench.load", description=__doc__.split("\n\n")[0])
    parser.add_argument("--journeys", type=int, default=1000)
    parser.add_argument("--concurrency", type=int, default=200)
    parser.add_argument("--brokers", type=int, default=2)
    parser.add_argument("--time-limit", type=float, default=1800.0, help="seconds for the whole run")
    parser.add_argument("--think", type=float, default=0.0, help="seconds the robot pauses after each page")
    parser.add_argument("--chart", type=Path, default=CHART, help=f"SVG to write (default {CHART})")
    parser.add_argument("--no-chart", action="store_true")
    parser.add_argument("--dir", type=Path, default=None, help="keep logs here (default: a temp dir)")
    parser.add_argument("--replot", type=Path, default=None, help="draw the chart from a load-raw.json")
    args = parser.parse_args(argv)
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))  # stop the scaled-out set on the way out
    if args.replot:
        raw = json.loads(args.replot.read_text(encoding="utf-8"))
        facts = raw["facts"]
        plan = Plan(facts["journeys"], facts["concurrency"], facts["brokers"], think=facts["think_seconds"])
        again = Run(plan, hits=[Hit(*h) for h in raw["hits"]], finished_at=raw["finished_at"])
        args.chart.write_text(chart_svg(again, facts), encoding="utf-8")
        return 0
    plan = Plan(args.journeys, args.concurrency, args.brokers, args.time_limit, args.think)
    facts = measure(plan, None if args.no_chart else args.chart, args.dir)
    print(json.dumps(facts, indent=2))
    return 0 if facts["failed"] == 0 and facts["lost_packages"] == 0 else 1


if __name__ == "__main__":
    sys.exit(main())
