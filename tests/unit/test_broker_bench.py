"""The broker benchmarks' own machinery (wrk and sandbox-log reading, /proc figures, SSE watchers), and the
SSE event text the fan-out now formats once per event."""

from __future__ import annotations

import asyncio
import json
import os
import subprocess
import sys
import time
from datetime import UTC, datetime

import httpx
import pytest
from bench.api import _redis_against_memory
from bench.fetch_all import _source_times
from bench.sse import Watcher, _open_all
from bench.support import baseline_server, cpu_seconds, pinned, rss_bytes, workdir
from bench.support_load import Load, Throughput, _lua, parse_wrk

from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import new_session_id
from databrug.web.sse import format_event

WRK_REPORT = """\
Running 3s test @ http://127.0.0.1:4000/api/v1/sessions
  1 threads and 32 connections
  Thread Stats   Avg      Stdev     Max   +/- Stdev
    Latency    10.01ms    2.00ms  40.00ms   90.00%
    Req/Sec     3.20k   100.00     3.40k    70.00%
  9600 requests in 3.00s, 2.00MB read
  Socket errors: connect 0, read 2, write 0, timeout 1
  Non-2xx or 3xx responses: 4
Requests/sec:   3200.00
Transfer/sec:    682.67KB
"""


def test_wrk_report_gives_requests_seconds_and_every_kind_of_failure() -> None:
    assert parse_wrk(WRK_REPORT) == (9600, 3.0, 7)


def test_wrk_report_in_milliseconds_and_without_failures() -> None:
    assert parse_wrk("  120 requests in 500.00ms, 1.00KB read\n") == (120, 0.5, 0)


def test_an_unreadable_wrk_report_is_an_error_not_a_zero() -> None:
    with pytest.raises(RuntimeError):
        parse_wrk("wrk: unable to connect\n")


def test_the_wrk_script_sends_method_body_and_headers() -> None:
    script = _lua(Load("POST", "http://x/", {"Authorization": "Bearer t"}, '{"a": "b"}'))
    assert 'wrk.method = "POST"' in script
    assert 'wrk.body = "{\\"a\\": \\"b\\"}"' in script
    assert 'wrk.headers["Authorization"] = "Bearer t"' in script


def _runs(*cpu_ms: float) -> list[Throughput]:
    return [Throughput(1000, 1.0, 0, ms, "wrk") for ms in cpu_ms]  # 1,000 requests: CPU s = ms per request


def test_the_redis_ratio_is_the_median_of_each_rounds_own_ratio() -> None:
    # a slow spell hits both runs of round 2, and the round's own ratio is what counts
    measured = {
        "create redis": _runs(0.44, 0.88, 0.55),
        "create memory": _runs(0.40, 0.80, 0.50),
        "status redis": _runs(0.30, 0.62, 0.33),
        "status memory": _runs(0.20, 0.50, 0.30),
        "cancel redis": _runs(1.0, 1.0, 1.0),
        "cancel memory": _runs(1.0, 1.0, 1.0),
    }
    create, status, cancel = _redis_against_memory(measured)
    assert create.ratio == pytest.approx(1.1)
    assert create.value == pytest.approx(0.55)
    assert create.baseline == pytest.approx(0.50)
    assert create.ok is True
    assert status.ratio == pytest.approx(1.24)  # rounds 1.5, 1.24, 1.1
    assert status.ok is True
    assert cancel.ok is None
    assert cancel.ratio == pytest.approx(1.0)
    measured["status redis"] = _runs(0.30, 0.70, 0.40)  # rounds 1.5, 1.4, 1.33
    assert _redis_against_memory(measured)[1].ok is False


@pytest.mark.skipif(len(os.sched_getaffinity(0)) < 2, reason="pinning needs two CPUs")
def test_pinned_puts_servers_and_helpers_on_their_own_cpu_and_restores_this_process() -> None:
    mine = os.sched_getaffinity(0)
    first, second = sorted(mine)[:2]
    sleepers = [subprocess.Popen([sys.executable, "-c", "import time; time.sleep(30)"]) for _ in range(2)]
    try:
        with pinned([sleepers[0].pid], [sleepers[1].pid]):
            assert os.sched_getaffinity(sleepers[0].pid) == {first}
            assert os.sched_getaffinity(sleepers[1].pid) == {second}
            assert os.sched_getaffinity(0) == {second}
        assert os.sched_getaffinity(0) == mine
    finally:
        for sleeper in sleepers:
            sleeper.kill()
            sleeper.wait()


def test_each_source_takes_as_long_as_its_slowest_request_and_digid_is_not_a_source() -> None:
    log = "\n".join(
        [
            "INFO:     databrug_sandbox.access: POST /digid/token 200 9000ms",
            "INFO:     databrug_sandbox.access: POST /mijnoverheid/haalcentraal/api/brp/personen 200 1200ms",
            "INFO:     databrug_sandbox.access: GET /mijnoverheid/api/wozobjecten 200 2900ms",
            "INFO:     databrug_sandbox.access: GET /uwv/api/verzekeringsbericht 200 1500ms",
        ]
    )
    assert _source_times(log) == {"mijnoverheid": 2900.0, "uwv": 1500.0}


def test_a_failed_source_request_stops_the_fetch_all_figure() -> None:
    with pytest.raises(RuntimeError, match="uwv"):
        _source_times("INFO:     databrug_sandbox.access: GET /uwv/api/verzekeringsbericht 503 1000ms")


def test_proc_figures_of_a_process() -> None:
    assert rss_bytes(os.getpid()) > 1_000_000
    before = cpu_seconds(os.getpid())
    deadline = time.process_time() + 0.05
    while time.process_time() < deadline:
        pass
    assert cpu_seconds(os.getpid()) > before


def test_watchers_of_the_bare_sse_endpoint_all_see_one_published_event() -> None:
    async def scenario(url: str) -> list[float | None]:
        watchers = [Watcher(f"{url}/sse", {}, b"bare.tick") for _ in range(3)]
        await _open_all(watchers)
        waiting = asyncio.gather(*(w.wait_for_marker() for w in watchers))
        async with httpx.AsyncClient() as client:
            published = (await client.post(f"{url}/publish")).json()
        await asyncio.wait_for(waiting, timeout=10)
        for watcher in watchers:
            watcher.close()
        assert published == {"streams": 3}
        return [w.seen_at for w in watchers]

    with workdir() as directory, baseline_server(directory) as server:
        seen = asyncio.run(scenario(server.url))
    assert all(at is not None for at in seen)


def _event(seq: int, kind: EventType) -> SessionEvent:
    return SessionEvent(
        session_id=new_session_id(),
        seq=seq,
        type=kind,
        state=SessionState.CREATED,
        counts={},
        at=datetime(2026, 11, 28, tzinfo=UTC),
    )


def test_an_sse_event_formatted_once_for_many_watchers_stays_its_own_text() -> None:
    """``format_event`` reuses the text of the event it formatted last (the fan-out passes one object)."""
    first, second = _event(1, EventType.CREATED), _event(2, EventType.OPENED)
    text = format_event(first)
    assert format_event(first) is text
    other = format_event(second)
    assert other.startswith("id: 2\nevent: session.opened\ndata: {")
    assert json.loads(other.split("data: ", 1)[1])["seq"] == 2
    assert format_event(first) == text
    assert format_event(first.model_copy()) == text  # an equal event from the history formats alike
