"""The broker's outgoing HTTP (sources, DigiD, webhooks) as an httpx transport over aiohttp.

The code keeps httpx's client API (and tests keep ``httpx.MockTransport``); only the connection work moves to
aiohttp. Profiled in a journey, httpcore's pool took ~2 ms of CPU per portal request (its anyio streams and a
liveness check of every pooled connection on every request), aiohttp ~0.5 ms: a quarter of the broker's CPU
per journey went to the seven portal requests (docs/performance.md).

Redirects, decompression and cookies stay httpx's business: aiohttp follows none, decodes nothing and keeps no
cookies here. Its errors come back as the httpx exceptions callers already handle. The body is streamed, not
read whole: a caller of ``client.stream`` gets it piece by piece and can stop (the source fetch's byte cap),
``client.request`` reads it all as before.
"""

from __future__ import annotations

import asyncio
from collections.abc import AsyncIterator

import aiohttp
import httpx

_PIECE = 64 * 1024


def _timeout(request: httpx.Request) -> aiohttp.ClientTimeout:
    timeouts = request.extensions.get("timeout") or {}
    return aiohttp.ClientTimeout(
        total=None,
        connect=timeouts.get("connect"),
        sock_connect=timeouts.get("connect"),
        sock_read=timeouts.get("read"),
    )


class AiohttpTransport(httpx.AsyncBaseTransport):
    def __init__(self, max_connections: int = 200) -> None:
        self._limit = max_connections
        self._session: aiohttp.ClientSession | None = None
        self._loop: asyncio.AbstractEventLoop | None = None

    def _client(self) -> aiohttp.ClientSession:
        # Created on first use, and again on another event loop: a ClientSession belongs to its loop.
        loop = asyncio.get_running_loop()
        if self._session is None or self._session.closed or self._loop is not loop:
            self._loop = loop
            self._session = aiohttp.ClientSession(
                connector=aiohttp.TCPConnector(limit=self._limit, ttl_dns_cache=60),
                auto_decompress=False,
                cookie_jar=aiohttp.DummyCookieJar(),
                skip_auto_headers=("User-Agent", "Accept", "Accept-Encoding", "Content-Type"),
            )
        return self._session

    async def handle_async_request(self, request: httpx.Request) -> httpx.Response:
        body = await request.aread()
        try:
            answer = await self._client().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
            )
        except TimeoutError as error:
            raise httpx.ReadTimeout("the request timed out", request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError("could not connect", request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.RemoteProtocolError("the connection failed", request=request) from error
        stream = _AnswerStream(answer, request)
        return httpx.Response(answer.status, headers=list(answer.raw_headers), stream=stream, request=request)

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None


class _AnswerStream(httpx.AsyncByteStream):
    """aiohttp's body as httpx's stream; closing it early drops the connection instead of reading the rest."""

    def __init__(self, answer: aiohttp.ClientResponse, request: httpx.Request) -> None:
        self._answer = answer
        self._request = request

    async def __aiter__(self) -> AsyncIterator[bytes]:
        try:
            async for piece in self._answer.content.iter_chunked(_PIECE):
                yield piece
        except TimeoutError as error:
            raise httpx.ReadTimeout("the answer timed out", request=self._request) from error
        except aiohttp.ClientError as error:
            raise httpx.ReadError("the answer was cut off", request=self._request) from error

    async def aclose(self) -> None:
        self._answer.release()
