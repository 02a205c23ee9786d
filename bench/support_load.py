"""HTTP load for throughput figures: ``wrk`` (Debian package, see scripts/system-deps.sh) when installed,
else an asyncio + httpx client pool. Subject and baseline are always driven by the same generator with the
same connections and duration, so their ratio is fair even if the absolute numbers differ between the two.
"""

from __future__ import annotations

import asyncio
import json
import re
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

import httpx

from bench.support import cpu_seconds

WRK = shutil.which("wrk")
CONNECTIONS = 32


@dataclass(frozen=True)
class Load:
    method: str
    url: str
    headers: dict[str, str]
    body: str | None = None


@dataclass(frozen=True)
class Throughput:
    requests: int
    seconds: float
    errors: int
    server_cpu: float
    """CPU seconds the server process spent during the run."""
    tool: str

    @property
    def per_second(self) -> float:
        return self.requests / self.seconds

    @property
    def cpu_ms_per_request(self) -> float:
        return self.server_cpu * 1000 / max(1, self.requests)


def _lua(load: Load) -> str:
    lines = [f"wrk.method = {json.dumps(load.method)}"]
    if load.body is not None:
        lines.append(f"wrk.body = {json.dumps(load.body)}")
    lines += [f"wrk.headers[{json.dumps(k)}] = {json.dumps(v)}" for k, v in load.headers.items()]
    return "\n".join(lines) + "\n"


def _wrk(load: Load, seconds: float, connections: int) -> tuple[int, float, int]:
    assert WRK is not None
    with tempfile.NamedTemporaryFile("w", suffix=".lua", delete=False) as script:
        script.write(_lua(load))
    try:
        command = [WRK, "-t1", f"-c{connections}", f"-d{seconds:g}s", "-s", script.name, load.url]
        output = subprocess.run(command, capture_output=True, text=True, check=True).stdout
    finally:
        Path(script.name).unlink()
    found = parse_wrk(output)
    if found[2]:  # the failure's kind (answers, timeouts, resets) is in the report, not in the count
        print(output, file=sys.stderr)
    return found


def parse_wrk(output: str) -> tuple[int, float, int]:
    """Requests, seconds and failed requests (non-2xx/3xx answers, socket errors) from wrk's report."""
    done = re.search(r"(\d+) requests in ([\d.]+)(m?s)", output)
    if done is None:
        raise RuntimeError(f"unexpected wrk output:\n{output}")
    took = float(done.group(2)) / (1000 if done.group(3) == "ms" else 1)
    errors = 0
    for pattern in (
        r"Non-2xx or 3xx responses: (\d+)",
        r"Socket errors: connect (\d+), read (\d+), write (\d+), timeout (\d+)",
    ):
        found = re.search(pattern, output)
        if found:
            errors += sum(int(g) for g in found.groups())
    return int(done.group(1)), took, errors


async def _pool(load: Load, seconds: float, connections: int) -> tuple[int, float, int]:
    limits = httpx.Limits(max_connections=connections, max_keepalive_connections=connections)
    done = errors = 0
    async with httpx.AsyncClient(limits=limits, timeout=30.0) as client:
        started = time.perf_counter()
        deadline = started + seconds

        async def worker() -> None:
            nonlocal done, errors
            while time.perf_counter() < deadline:
                response = await client.request(
                    load.method, load.url, headers=load.headers, content=load.body
                )
                done += 1
                errors += response.status_code >= 400
                await response.aclose()

        await asyncio.gather(*(worker() for _ in range(connections)))
        return done, time.perf_counter() - started, errors


def throughput(load: Load, seconds: float, server_pid: int, connections: int = CONNECTIONS) -> Throughput:
    """Requests per second a server answers for ``seconds`` of closed-loop load, and its CPU meanwhile."""
    cpu_before = cpu_seconds(server_pid)
    if WRK is not None:
        requests, took, errors = _wrk(load, seconds, connections)
        tool = "wrk"
    else:
        requests, took, errors = asyncio.run(_pool(load, seconds, connections))
        tool = "httpx"
    return Throughput(requests, took, errors, cpu_seconds(server_pid) - cpu_before, tool)


def warm_up(load: Load, count: int = 200) -> None:
    with httpx.Client() as client:
        for _ in range(count):
            client.request(load.method, load.url, headers=load.headers, content=load.body)
