"""A provider's webhook endpoint for fault tests: down (connections refused) until started, then either
holding every request a while and answering 503 (a hung provider: the broker's attempt and its lease stay
open meanwhile) or verifying with the SDK and recording what arrived, in order."""

from __future__ import annotations

import asyncio
import threading
import time
from collections import defaultdict
from typing import Any, Literal

import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from databrug.sdk import MemoryReplayCache, WebhookVerificationError, verify_webhook
from tests.support.broker_server import bind_socket


class WebhookReceiver:
    def __init__(self, secret: str = "", hold_seconds: float = 2.0) -> None:
        self.secret = secret
        self.hold_seconds = hold_seconds
        self.mode: Literal["hold", "accept"] = "accept"
        self.in_flight = 0
        """Requests being held right now (``hold``)."""
        self.received: list[tuple[str, str, dict[str, Any]]] = []
        """(type, id, data) of every verified event, in order of arrival (repeats included)."""
        self.refused = 0
        self._cache = MemoryReplayCache()
        sock = bind_socket()
        self.port: int = sock.getsockname()[1]
        sock.close()  # down until start(): the broker's attempts are refused
        self._server: uvicorn.Server | None = None
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    async def _hook(self, request: Request) -> Response:
        body = await request.body()
        if self.mode == "hold":
            self.in_flight += 1
            try:
                await asyncio.sleep(self.hold_seconds)
            finally:
                self.in_flight -= 1
            return Response(status_code=503)
        try:
            event = verify_webhook(dict(request.headers), body, [self.secret], replay_cache=self._cache)
        except WebhookVerificationError:
            self.refused += 1
            return Response(status_code=400)
        self.received.append((event.type, event.id, dict(event.data)))
        return Response(status_code=204)

    def first_arrivals(self) -> dict[str, list[tuple[str, dict[str, Any]]]]:
        """Per session, its events in the order they first arrived (a repeat of an id is left out)."""
        seen: set[str] = set()
        out: dict[str, list[tuple[str, dict[str, Any]]]] = defaultdict(list)
        for kind, event_id, data in list(self.received):
            if event_id not in seen:
                seen.add(event_id)
                out[str(data.get("session_id"))].append((kind, data))
        return dict(out)

    def start(self, mode: Literal["hold", "accept"] = "accept") -> None:
        self.mode = mode
        app = Starlette(routes=[Route("/hook", self._hook, methods=["POST"])])
        config = uvicorn.Config(app, host="127.0.0.1", port=self.port, log_level="warning")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(target=self._server.run, daemon=True)
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the webhook receiver did not start")
            time.sleep(0.01)

    def stop(self) -> None:
        if self._server and self._thread:
            self._server.should_exit = True
            self._thread.join(timeout=10)
