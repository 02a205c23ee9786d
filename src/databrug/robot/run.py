"""Running many robot journeys: bounded concurrency, one result per journey, a short report."""

from __future__ import annotations

import asyncio
import json
from collections.abc import Sequence

from databrug.robot.journey import Endpoints, FetchMode, JourneyResult, Persona, run_journey


async def run_many(
    personas: Sequence[Persona],
    endpoints: Endpoints,
    mode: FetchMode,
    concurrency: int = 4,
    phone_only: bool = False,
) -> list[JourneyResult]:
    gate = asyncio.Semaphore(max(1, concurrency))

    async def one(persona: Persona) -> JourneyResult:
        async with gate:
            return await run_journey(persona, endpoints, mode, phone_only=phone_only)

    return list(await asyncio.gather(*(one(p) for p in personas)))


def report(results: Sequence[JourneyResult], as_json: bool) -> str:
    if as_json:
        return "\n".join(json.dumps(r.as_dict(), ensure_ascii=False) for r in results) + "\n"
    lines = []
    for result in results:
        mark = "ok  " if result.ok else "FAIL"
        lines.append(f"{mark} {result.persona}: {result.outcome if result.ok else result.error}")
        for step in result.steps:
            lines.append(f"       {step['ms']:>8.1f} ms  {step['name']}{'' if step['ok'] else '  (failed)'}")
        lines.append(f"       {result.requests} browser requests")
    passed = sum(r.ok for r in results)
    lines.append(f"journeys: {passed} passed, {len(results) - passed} failed")
    return "\n".join(lines) + "\n"
