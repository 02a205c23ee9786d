"""A small load balancer for scale-out tests: forwards every request to the first live upstream.

Like a real balancer with passive health checks, it drops an upstream that refuses connections and sends the
request to the next one. ``before(method, path)`` runs before each request is forwarded, so a test can kill a
process at an exact step of a journey.
"""

from __future__ import annotations

import threading
import time
from collections import Counter
from collections.abc import Callable
from types import TracebackType

import httpx
import uvicorn
from starlette.applications import Starlette
from starlette.requests import Request
from starlette.responses import Response
from starlette.routing import Route

from tests.support.broker_server import bind_socket

_HOP_BY_HOP = {b"host", b"content-length", b"connection", b"transfer-encoding", b"keep-alive"}
_METHODS = ["GET", "POST", "PUT", "DELETE", "PATCH", "HEAD", "OPTIONS"]


class Balancer:
    def __init__(self, upstreams: list[str], before: Callable[[str, str], None] | None = None) -> None:
        self.upstreams = list(upstreams)
        self.before = before
        self.served: Counter[str] = Counter()
        """Requests answered per upstream."""
        self._socket = bind_socket()
        self.port: int = self._socket.getsockname()[1]
        app = Starlette(routes=[Route("/{path:path}", self.forward, methods=_METHODS)])
        self._server = uvicorn.Server(uvicorn.Config(app, log_level="warning", access_log=False))
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    async def forward(self, request: Request) -> Response:
        if self.before is not None:
            self.before(request.method, request.url.path)
        body = await request.body()
        headers = [(k, v) for k, v in request.headers.raw if k.lower() not in _HOP_BY_HOP]
        target = request.url.path + (f"?{request.url.query}" if request.url.query else "")
        async with httpx.AsyncClient(timeout=60) as client:
            while self.upstreams:
                upstream = self.upstreams[0]
                try:
                    answer = await client.request(
                        request.method, upstream + target, headers=headers, content=body
                    )
                except httpx.ConnectError:
                    self.upstreams.remove(upstream)  # down: later requests go to the next one
                    continue
                self.served[upstream] += 1
                kept = [(k, v) for k, v in answer.headers.raw if k.lower() not in _HOP_BY_HOP]
                response = Response(answer.content, status_code=answer.status_code)
                response.raw_headers = [*kept, (b"content-length", str(len(answer.content)).encode())]
                return response
        return Response("no upstream left", status_code=502)

    def __enter__(self) -> Balancer:
        self._thread.start()
        deadline = time.monotonic() + 10
        while not self._server.started:
            if time.monotonic() > deadline:
                raise RuntimeError("the balancer did not start")
            time.sleep(0.01)
        return self

    def __exit__(
        self, kind: type[BaseException] | None, error: BaseException | None, tb: TracebackType | None
    ) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()
