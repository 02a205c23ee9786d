"""Decrypt passes per sealed blob per request, for the bench only (``Settings.bench_decrypt_counts``, off by
default): the journeys benchmark reads ``/bench/decrypts`` before and after its run.

Each request gets its own count (tasks it starts, such as a fetch-all's collecting, count towards it too).
The answer holds totals and a maximum only: no session id, blob name or anything a blob holds.
"""

from __future__ import annotations

from collections import deque

from fastapi import FastAPI
from starlette.types import ASGIApp, Receive, Scope, Send

from databrug.broker import DecryptPasses, counting_decrypts

KEPT_REQUESTS = 200_000
"""The most recent requests whose counts are kept (a bench run serves a few thousand)."""


class DecryptCounts:
    def __init__(self, app: ASGIApp, tally: deque[DecryptPasses]) -> None:
        self.app = app
        self.tally = tally

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        with counting_decrypts() as passes:
            self.tally.append(passes)  # read later: a task the request started may still be decrypting
            await self.app(scope, receive, send)


def _kind(name: str) -> str:
    if name.endswith(".index"):
        return "index"
    if name.startswith("data/"):
        return "records"
    if name.startswith("receipt"):
        return "receipt"
    return "other"


def summary(tally: deque[DecryptPasses]) -> dict[str, object]:
    passes = [count for request in tally for count in request.values()]
    by_kind: dict[str, int] = {}
    for request in tally:
        for (_, name), count in request.items():
            by_kind[_kind(name)] = by_kind.get(_kind(name), 0) + count
    return {
        "requests": len(tally),
        "passes": sum(passes),
        "blobs_opened": len(passes),
        "most_per_blob_per_request": max(passes, default=0),
        "passes_by_kind": by_kind,
    }


def add_decrypt_counts(app: FastAPI) -> None:
    tally: deque[DecryptPasses] = deque(maxlen=KEPT_REQUESTS)

    @app.get("/bench/decrypts", include_in_schema=False)
    async def decrypts() -> dict[str, object]:
        return summary(tally)

    app.add_middleware(DecryptCounts, tally=tally)
