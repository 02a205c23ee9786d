"""The bare baselines the broker is compared with, served exactly as ``databrug serve`` serves the broker
(uvicorn, one worker, access log off, log level warning):

- ``GET /json``: a bare FastAPI JSON endpoint (a small dict, FastAPI's own serialisation);
- ``GET /sse``: a bare server-sent-events stream (``StreamingResponse``) that waits on its own queue;
- ``POST /publish``: puts one event on every open stream's queue (the bare fan-out);
- ``GET /streams``: how many streams are open.

``python -m bench.baseline_app --port N``
"""

from __future__ import annotations

import argparse
import asyncio
from collections.abc import AsyncIterator

import uvicorn
from fastapi import FastAPI
from fastapi.responses import StreamingResponse

app = FastAPI()
_queues: set[asyncio.Queue[str]] = set()


@app.get("/json")
async def bare_json() -> dict[str, str]:
    return {"status": "ok", "id": "ses_bare"}


async def _stream(queue: asyncio.Queue[str]) -> AsyncIterator[str]:
    _queues.add(queue)
    try:
        yield "retry: 2000\n\n"
        while True:
            try:
                data = await asyncio.wait_for(queue.get(), 15.0)
            except TimeoutError:
                yield ": keep-alive\n\n"
                continue
            yield data
    finally:
        _queues.discard(queue)


@app.get("/sse")
async def bare_sse() -> StreamingResponse:
    return StreamingResponse(
        _stream(asyncio.Queue()),
        media_type="text/event-stream",
        headers={"Cache-Control": "no-store", "X-Accel-Buffering": "no"},
    )


@app.post("/publish")
async def publish() -> dict[str, int]:
    event = 'id: 2\nevent: bare.tick\ndata: {"seq":2}\n\n'
    for queue in tuple(_queues):
        queue.put_nowait(event)
    return {"streams": len(_queues)}


@app.get("/streams")
async def streams() -> dict[str, int]:
    return {"streams": len(_queues)}


def main() -> None:
    parser = argparse.ArgumentParser(prog="python -m bench.baseline_app")
    parser.add_argument("--port", type=int, required=True)
    args = parser.parse_args()
    uvicorn.run(app, host="127.0.0.1", port=args.port, access_log=False, log_level="warning", workers=1)


if __name__ == "__main__":
    main()
