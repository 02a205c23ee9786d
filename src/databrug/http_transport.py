"""The broker's outgoing HTTP (sources, DigiD, webhooks) as an httpx transport over aiohttp.

The code keeps httpx's client API (and tests keep ``httpx.MockTransport``); only the connection work moves to
aiohttp. Profiled in a journey, httpcore's pool took ~2 ms of CPU per portal request (its anyio streams and a
liveness check of every pooled connection on every request), aiohttp ~0.5 ms: a quarter of the broker's CPU
per journey went to the seven portal requests (docs/performance.md).

Redirects, decompression and cookies stay httpx's business: aiohttp follows none, decodes nothing and keeps no
cookies here. Its errors come back as the httpx exceptions callers already handle.
"""

from __future__ import annotations

import asyncio

import aiohttp
import httpx


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
            async with self._client().request(
                request.method,
                str(request.url),
                headers=list(request.headers.multi_items()),
                data=body or None,
                allow_redirects=False,
                timeout=_timeout(request),
            ) as answer:
                content = await answer.read()
                headers = list(answer.raw_headers)
                status = answer.status
        except TimeoutError as error:
            raise httpx.ReadTimeout("the request timed out", request=request) from error
        except aiohttp.ClientConnectorError as error:
            raise httpx.ConnectError("could not connect", request=request) from error
        except aiohttp.ClientError as error:
            raise httpx.RemoteProtocolError("the connection failed", request=request) from error
        return httpx.Response(status, headers=headers, stream=httpx.ByteStream(content), request=request)

    async def aclose(self) -> None:
        if self._session is not None and self._loop is asyncio.get_running_loop():
            await self._session.close()
        self._session = None
