"""An exception no handler expected, in the provider app: a plain 500 answer, and a log line with its type and
where it was raised (``module:line``), never its message or traceback (a dossier's values could be in them).

Starlette's ``ServerErrorMiddleware`` would answer and then raise it again for uvicorn to print with the
traceback. The broker has the same guard (``databrug.web.unhandled``); the provider may not import the
broker's code, so it keeps its own small copy.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Message, Receive, Scope, Send

log = logging.getLogger("databrug.provider_demo.web")


def _leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def raised_at(error: BaseException) -> str:
    """``module:line`` of the deepest frame in ``databrug`` code (this module aside), else the deepest one."""
    deepest = ours = None
    frame = error.__traceback__
    while frame is not None:
        module = str(frame.tb_frame.f_globals.get("__name__", "?"))
        deepest = f"{module}:{frame.tb_lineno}"
        if module.startswith("databrug.") and module != __name__:
            ours = deepest
        frame = frame.tb_next
    return ours or deepest or "unknown"


def log_unhandled(error: BaseException, scope: Scope) -> None:
    leaf = _leaf(error)
    route = getattr(scope.get("route"), "path", "unmatched")
    if isinstance(leaf, ClientDisconnect):
        log.debug("client disconnected route=%s %s", scope.get("method", "?"), route)
        return
    kind = type(leaf)
    name = kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"
    method = scope.get("method", "?")
    log.error("unhandled error type=%s at=%s route=%s %s", name, raised_at(leaf), method, route)


class AnswerUnhandled:
    """Innermost middleware: answers an unexpected exception with ``answer`` (if no response began)."""

    def __init__(self, app: ASGIApp, answer: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = False

        async def noting_start(message: Message) -> None:
            nonlocal started
            started = started or message["type"] == "http.response.start"
            await send(message)

        try:
            await self.app(scope, receive, noting_start)
        except Exception as error:
            if isinstance(_leaf(error), HTTPException):  # the framework's own signal, answered further out
                raise
            log_unhandled(error, scope)
            if not started and not isinstance(_leaf(error), ClientDisconnect):
                await (await self.answer(Request(scope)))(scope, receive, send)


class ContainUnhandled:
    """Outermost, around ``ServerErrorMiddleware`` (which has answered by then): logs the exception and keeps
    it from the server."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if scope["type"] == "lifespan":  # a failed start-up must stop the server, visibly
                raise
            log_unhandled(error, scope)


class ContainedFastAPI(FastAPI):
    """A FastAPI app whose middleware stack is wrapped in ``ContainUnhandled``."""

    def build_middleware_stack(self) -> ASGIApp:
        return ContainUnhandled(super().build_middleware_stack())
