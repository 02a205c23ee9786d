"""The last line of defence: an exception no handler expected.

Starlette's ``ServerErrorMiddleware`` answers such an exception with a 500 and then raises it again for
the server to log, and uvicorn prints "Exception in ASGI application" with the traceback, whose messages and
frames can carry request data (a token in a decoding error, a value in a validation message). Here it is
answered with the catalogue's ``internal_error`` and logged as its type, where it was raised (``module:line``)
and the route template; never its message, arguments or traceback. It does not reach the server.
"""

from __future__ import annotations

import logging
from collections.abc import Awaitable, Callable

from fastapi import FastAPI
from starlette.exceptions import HTTPException
from starlette.middleware import body_limit
from starlette.requests import ClientDisconnect, Request
from starlette.responses import Response
from starlette.types import ASGIApp, Receive, Scope, Send

from databrug.web.security import RESPONSE_STATUS

logger = logging.getLogger("databrug.web")

# Starlette's request body limit signals through the middleware with these, answered further out.
_BODY_LIMIT_SIGNALS: tuple[type[Exception], ...] = tuple(
    kind
    for kind in (getattr(body_limit, "_RequestBodyLimitResponseSent", None),)
    if isinstance(kind, type) and issubclass(kind, Exception)
)


def _is_framework_signal(error: BaseException) -> bool:
    if isinstance(error, BaseExceptionGroup):
        return all(_is_framework_signal(inner) for inner in error.exceptions)
    return isinstance(error, (HTTPException, *_BODY_LIMIT_SIGNALS))


def _first_leaf(error: BaseException) -> BaseException:
    while isinstance(error, BaseExceptionGroup) and error.exceptions:
        error = error.exceptions[0]
    return error


def _type_name(error: BaseException) -> str:
    kind = type(error)
    return kind.__qualname__ if kind.__module__ == "builtins" else f"{kind.__module__}.{kind.__qualname__}"


def raised_at(error: BaseException, own_package: str = "databrug") -> str:
    """``module:line`` of the deepest frame in ``own_package`` (this module aside), else the deepest one."""
    deepest = ours = None
    frame = error.__traceback__
    while frame is not None:
        module = str(frame.tb_frame.f_globals.get("__name__", "?"))
        deepest = f"{module}:{frame.tb_lineno}"
        if (module == own_package or module.startswith(own_package + ".")) and module != __name__:
            ours = deepest
        frame = frame.tb_next
    return ours or deepest or "unknown"


def log_unhandled(error: BaseException, scope: Scope) -> None:
    leaf = _first_leaf(error)
    route = getattr(scope.get("route"), "path", "unmatched")
    if isinstance(leaf, ClientDisconnect):  # the client went away mid-request: nothing of ours failed
        logger.debug("client disconnected route=%s %s", scope.get("method", "?"), route)
        return
    logger.error(
        "unhandled error type=%s at=%s route=%s %s",
        _type_name(leaf),
        raised_at(leaf),
        scope.get("method", "?"),
        route,
    )


class AnswerUnhandled:
    """Innermost of the app's own middleware (inside ``SecurityHeaders`` and the access log, so the 500 gets
    the security headers and is logged with its status): answers an unexpected exception with ``answer``.

    Whether the response had begun it reads from the status ``SecurityHeaders`` notes in the scope, so there
    is no wrapper around ``send`` on every request. A response already under way is left to end short."""

    def __init__(self, app: ASGIApp, answer: Callable[[Request], Awaitable[Response]]) -> None:
        self.app = app
        self.answer = answer

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        try:
            await self.app(scope, receive, send)
        except Exception as error:
            if scope["type"] != "http" or _is_framework_signal(error):
                raise
            log_unhandled(error, scope)
            if RESPONSE_STATUS not in scope and not isinstance(_first_leaf(error), ClientDisconnect):
                response = await self.answer(Request(scope))
                await response(scope, receive, send)


class ContainUnhandled:
    """Outermost, around Starlette's ``ServerErrorMiddleware``, which has answered with the app's handler for
    ``Exception`` by then (an error in a middleware outside ``AnswerUnhandled``): logs it and keeps it from
    the server."""

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
