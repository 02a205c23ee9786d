"""The one uvicorn configuration the product's servers run with: httptools, bounded at the edge.

uvicorn with httptools puts no limit on a request's head and no deadline on it: a 20 MB header was read and
answered, a client sending one header line every 2 s kept its connection for ever, and so did one that sent
nothing at all. ``BoundedHttpToolsProtocol`` keeps httptools (its speed is in docs/performance.md) and adds:

- a head (request line and headers) of at most ``max_head_bytes``, counted as the bytes arrive (an endless
  header is refused after its first chunks, not once it is complete), of at most ``max_header_count`` fields
  (431) and with a URL of at most ``max_url_bytes`` (414);
- a deadline for the head, from the moment the connection opens or the first part of a later head arrives: a
  client that sent part of a head by then gets 408, a silent new connection is disconnected;
- a deadline for the body, from the first part of it that arrived without the rest (408, or a disconnect when
  the answer has started);
- an answer sent before its request's body was read (a 401 before an upload, a 413) closes the connection, so
  the rest of that body is not read at all.

Idle keep-alive connections close after ``keep_alive_seconds`` (uvicorn's own timer). The client's address
is the TCP peer's, or, from a trusted proxy (``trusted_proxies``), the nearest address in ``X-Forwarded-For``
that is not itself a trusted proxy: uvicorn's ``ProxyHeadersMiddleware`` reads the chain from the right, so
what a client writes into the header itself, left of what its proxies add, is never taken. The refusals are
JSON in the error catalogue's shape. uvicorn's log lines keep their message but never a traceback: frames and
exception texts can carry request data (``WithoutTraceback``).

On SIGTERM (or Ctrl-C) ``DrainingServer`` drains: it calls ``on_drain`` first (the broker then answers
``/ready`` with 503 and ends every open event stream with a reconnect instruction, ``databrug.broker``'s
``drain``), stops accepting connections, lets idle keep-alive connections be closed by their clients or the
keep-alive timer (``BoundedHttpToolsProtocol.shutdown``), gives requests in flight ``drain_seconds`` to
finish, stops the background work (the lifespan's end) and exits 0 (docs/deployment.md, "Restarts and
drain").
"""

from __future__ import annotations

import asyncio
import contextlib
import copy
import json
import logging
import signal
import socket
import threading
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, Literal

import httptools
import uvicorn
from starlette.types import ASGIApp
from uvicorn.config import LOGGING_CONFIG
from uvicorn.protocols.http.httptools_impl import STATUS_LINE, HttpToolsProtocol
from uvicorn.server import ServerState

from databrug.web.i18n import DEFAULT, translate


@dataclass(frozen=True)
class EdgeLimits:
    max_head_bytes: int = 32 * 1024
    """Request line and headers together; the phone's cookies, the largest part of a head, are under 8 KiB."""
    max_url_bytes: int = 8 * 1024
    max_header_count: int = 100
    head_seconds: float = 10.0
    body_seconds: float = 60.0
    """A 4 MiB upload at 1 Mbit/s takes about 35 s."""
    keep_alive_seconds: int = 5
    trusted_proxies: tuple[str, ...] = ()
    """Addresses or networks of the balancers in front: only a connection from one of them has its
    ``X-Forwarded-For`` and ``X-Forwarded-Proto`` believed. None (the default): the TCP peer is the client."""
    drain_seconds: int = 10
    """On SIGTERM, requests in flight have this long to finish before they are cancelled."""


class _Refused(Exception):
    """Raised in a parser callback to stop parsing; ``data_received`` then sends the refusal."""


class BoundedHttpToolsProtocol(HttpToolsProtocol):
    def __init__(
        self,
        config: uvicorn.Config,
        server_state: ServerState,
        app_state: dict[str, Any],
        _loop: asyncio.AbstractEventLoop | None = None,
    ) -> None:
        super().__init__(config, server_state, app_state, _loop)
        limits = getattr(config, "edge_limits", None)
        self.limits = limits if isinstance(limits, EdgeLimits) else EdgeLimits()
        self._head_bytes = 0  # bytes received since the current head began (an upper bound within a chunk)
        self._in_body = False  # the head of the current request is complete, its body is not
        self._head_timer: asyncio.TimerHandle | None = None
        self._body_timer: asyncio.TimerHandle | None = None
        self._refusal: tuple[int, str] | None = None
        self._draining = False

    # -- connection

    def connection_made(self, transport: asyncio.Transport) -> None:  # type: ignore[override]
        super().connection_made(transport)
        self._arm_head_timer()

    def connection_lost(self, exc: Exception | None) -> None:
        self._cancel_timers()
        super().connection_lost(exc)

    def data_received(self, data: bytes) -> None:
        # uvicorn's own, except that a refusal found by a callback below is answered with its own status
        if not self._in_body:
            self._head_bytes += len(data)
        self._unset_keepalive_if_required()
        try:
            self.parser.feed_data(data)
        except httptools.HttpParserError:
            if self._refusal is not None:
                self._refuse(*self._refusal)
                return
            self.logger.warning("Invalid HTTP request received.")
            self.send_400_response("Invalid HTTP request received.")
            return
        except httptools.HttpParserUpgrade:
            if self._should_upgrade():
                self.handle_websocket_upgrade()
            else:
                self._unsupported_upgrade_warning()
            return
        if self._in_body:
            if self._body_timer is None:  # part of a body: the rest has until the deadline
                self._body_timer = self.loop.call_later(self.limits.body_seconds, self._body_timeout)
            return
        if not self._head_bytes:
            return
        if self._head_bytes > self.limits.max_head_bytes:
            self._refuse(431, "headers_too_large")  # still no end of the head in sight
        elif self._head_timer is None:  # part of a head: the rest has until the deadline
            self._arm_head_timer()

    # -- parser callbacks (the few overridden: each is a call per request)

    def on_headers_complete(self) -> None:
        if self._head_bytes > self.limits.max_head_bytes:  # an upper bound: this chunk may hold body bytes
            head = len(self.url) + sum(len(name) + len(value) + 4 for name, value in self.headers)
            if head > self.limits.max_head_bytes:
                self._stop(431, "headers_too_large")
        if len(self.url) > self.limits.max_url_bytes:
            self._stop(414, "uri_too_long")
        if len(self.headers) > self.limits.max_header_count:
            self._stop(431, "headers_too_large")
        if self._head_timer is not None:
            self._cancel_head_timer()
        self._head_bytes = 0
        self._in_body = True
        super().on_headers_complete()
        if self._draining and self.cycle is not None:
            self.cycle.keep_alive = False  # answered with "Connection: close", then closed

    def on_message_complete(self) -> None:
        self._in_body = False
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None
        super().on_message_complete()

    def on_response_complete(self) -> None:
        # Without pipelined requests waiting, the request just answered is the one being parsed.
        body_unread = self._in_body and not self.pipeline
        super().on_response_complete()
        if self.transport.is_closing():
            return
        if body_unread:
            self.transport.close()

    def shutdown(self) -> None:
        """The server drains. uvicorn closes an idle keep-alive connection at once, which races a request the
        balancer may be writing on it at that moment: nginx sends a GET that fails so to another broker, but
        not a POST it has written. Here the client closes an idle connection itself (nginx within its
        ``keepalive_timeout``, shorter than ours) or our keep-alive timer does, as at any other time; a
        request that arrives meanwhile is served and answered with ``Connection: close``. A request in
        flight is finished, then its connection closed (uvicorn's own)."""
        self._draining = True
        if self.cycle is not None and not self.cycle.response_complete:
            self.cycle.keep_alive = False

    # -- deadlines and refusals

    def _arm_head_timer(self) -> None:
        self._cancel_head_timer()
        self._head_timer = self.loop.call_later(self.limits.head_seconds, self._head_timeout)

    def _cancel_head_timer(self) -> None:
        if self._head_timer is not None:
            self._head_timer.cancel()
            self._head_timer = None

    def _cancel_timers(self) -> None:
        self._cancel_head_timer()
        if self._body_timer is not None:
            self._body_timer.cancel()
            self._body_timer = None

    def _head_timeout(self) -> None:
        self._head_timer = None
        if self.transport.is_closing():
            return
        answering = self.cycle is not None and not self.cycle.response_complete  # a pipelined head
        if self._head_bytes and not answering:
            self._refuse(408, "request_timeout")
        else:
            self.transport.close()

    def _body_timeout(self) -> None:
        self._body_timer = None
        if self.transport.is_closing() or not self._in_body:
            return
        cycle = self.cycle
        answered = cycle is None or cycle.response_started
        if cycle is not None:
            # the application sees a disconnect and its later writes are dropped
            cycle.disconnected = True
            cycle.message_event.set()
        if answered:
            self.transport.close()
        else:
            self._refuse(408, "request_timeout")

    def _stop(self, status: int, code: str) -> None:
        self._refusal = (status, code)
        raise _Refused(code)

    def _refuse(self, status: int, code: str) -> None:
        body = json.dumps(
            {"error": {"code": code, "message": translate(DEFAULT, f"error.{code}.body")}}, ensure_ascii=False
        ).encode("utf-8")
        content = [STATUS_LINE[status]]
        for name, value in self.server_state.default_headers:
            content.extend([name, b": ", value, b"\r\n"])
        content.extend(
            [
                b"content-type: application/json\r\n",
                b"content-length: %d\r\n" % len(body),
                b"connection: close\r\n",
                b"\r\n",
                body,
            ]
        )
        self.transport.write(b"".join(content))
        self.transport.close()


class WithoutTraceback(logging.Filter):
    """Keeps a log record's message and the exception's type, drops the traceback and the exception's text."""

    def filter(self, record: logging.LogRecord) -> bool:
        if record.exc_info:
            kind = record.exc_info[0]
            record.msg = f"{record.getMessage().rstrip()} ({kind.__name__ if kind else 'error'})"
            record.args = None
            record.exc_info = None
            record.exc_text = None
        record.stack_info = None
        return True


_WITHOUT_TRACEBACK = WithoutTraceback()  # one instance: a logger adds the same filter only once


def log_config() -> dict[str, Any]:
    """uvicorn's logging setup with ``WithoutTraceback`` on its handlers and on the event loop's logger."""
    config = copy.deepcopy(LOGGING_CONFIG)
    config["filters"] = {"without_traceback": {"()": lambda: _WITHOUT_TRACEBACK}}
    for handler in config["handlers"].values():
        handler["filters"] = ["without_traceback"]
    config["loggers"]["asyncio"] = {"filters": ["without_traceback"]}
    return config


class EdgeConfig(uvicorn.Config):
    """uvicorn's configuration carrying the edge limits ``BoundedHttpToolsProtocol`` reads."""

    edge_limits: EdgeLimits


def server_config(
    app: ASGIApp,
    host: str,
    port: int,
    *,
    limits: EdgeLimits | None = None,
    log_level: str = "warning",
    lifespan: Literal["auto", "on", "off"] = "auto",
) -> EdgeConfig:
    """One process, httptools with the edge limits, no access log (the app logs requests without paths).
    Proxy headers are read only from ``limits.trusted_proxies`` (uvicorn's own default trusts loopback)."""
    limits = limits or EdgeLimits()
    config = EdgeConfig(
        app,
        host=host,
        port=port,
        http=BoundedHttpToolsProtocol,
        ws="none",
        lifespan=lifespan,
        log_config=log_config(),
        log_level=log_level,
        access_log=False,
        timeout_keep_alive=limits.keep_alive_seconds,
        proxy_headers=bool(limits.trusted_proxies),
        forwarded_allow_ips=list(limits.trusted_proxies),
        timeout_graceful_shutdown=limits.drain_seconds,
        workers=1,
    )
    config.edge_limits = limits
    return config


class DrainingServer(uvicorn.Server):
    """uvicorn's server that calls ``on_drain`` before its own graceful shutdown begins.

    uvicorn waits for every open connection before it exits, and an event stream never ends by itself: the
    application must end its streams when the shutdown begins, not at the lifespan's end (which is later)."""

    def __init__(self, config: uvicorn.Config, on_drain: Callable[[], None] | None = None) -> None:
        super().__init__(config)
        self.on_drain = on_drain

    async def shutdown(self, sockets: list[socket.socket] | None = None) -> None:
        if self.on_drain is not None:
            try:
                self.on_drain()
            except Exception:  # draining is best effort: the shutdown itself must still happen
                logging.getLogger("databrug.server").exception("drain failed")
        await super().shutdown(sockets)


def listening_socket(host: str, port: int) -> socket.socket:
    """A bound, listening TCP socket (port 0: a free one), for a server that listens on more than one."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(2048)
    sock.set_inheritable(True)
    return sock


def serve(
    config: uvicorn.Config,
    sockets: list[socket.socket] | None = None,
    on_drain: Callable[[], None] | None = None,
) -> None:
    """Run the server in the foreground until stopped, as ``uvicorn.run`` does, on ``sockets`` when given
    (the public one and the private metrics one, ``web/metrics.py``); on SIGTERM drain and exit 0.

    uvicorn raises the signal it caught again once it has shut down, which with SIGTERM's default action ends
    the process "killed by SIGTERM" (exit status 143) even after a clean drain. A handler of our own is the
    one uvicorn restores and raises to: it does nothing, so a drained server returns and exits 0."""
    server = DrainingServer(config, on_drain)
    main = threading.current_thread() is threading.main_thread()  # only there can signals be handled
    previous = signal.signal(signal.SIGTERM, _drained) if main else None
    try:
        with contextlib.suppress(KeyboardInterrupt):
            server.run(sockets=sockets)
    finally:
        if main:
            signal.signal(signal.SIGTERM, previous)
    if not server.started:
        raise SystemExit(3)  # uvicorn's STARTUP_FAILURE


def _drained(signum: int, frame: object) -> None:
    """SIGTERM outside uvicorn's own handler: only the one uvicorn raises again after its shutdown."""
