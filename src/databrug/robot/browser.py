"""A cookie-keeping HTTP client that moves between the broker and the IdP like a browser does."""

from __future__ import annotations

import functools
import ssl
import time
from collections.abc import Awaitable, Callable
from contextvars import ContextVar
from typing import Any
from urllib.parse import urljoin

import httpx

from databrug.robot.page import Form, Page

REDIRECTS = frozenset({301, 302, 303, 307, 308})

RequestObserver = Callable[[str, str, int, float], Awaitable[None]]
"""Called after every answer with (method, URL, status, seconds); a load test records timings with it."""
request_observer: ContextVar[RequestObserver | None] = ContextVar("robot_request_observer", default=None)
"""Set per task (each journey's task sees its own); None: no observer, nothing recorded."""


@functools.cache
def _tls() -> ssl.SSLContext:
    """One TLS context for every robot browser: building one loads the CA bundle (tens of ms of CPU),
    which dominated the robot's own start of a journey when a load test starts hundreds."""
    return ssl.create_default_context()


class Browser:
    def __init__(self, user_agent: str, timeout: float = 30.0) -> None:
        self.http = httpx.AsyncClient(
            verify=_tls(),
            follow_redirects=False,
            timeout=timeout,
            headers={"User-Agent": user_agent, "Accept-Language": "nl"},
        )
        self.requests = 0
        self.error_bodies: list[str] = []
        """Every answer with HTTP status ≥ 400, as a person would have seen it (for leak checks)."""

    async def close(self) -> None:
        await self.http.aclose()

    async def _follow(self, response: httpx.Response) -> Page:
        for _ in range(15):
            if response.status_code not in REDIRECTS:
                if response.status_code >= 400:
                    self.error_bodies.append(response.text)
                return Page.read(str(response.url), response.status_code, response.text)
            location = urljoin(str(response.url), response.headers["location"])
            self.requests += 1
            response = await self._send("GET", location)
        raise RuntimeError("too many redirects")

    async def get(self, url: str) -> Page:
        self.requests += 1
        return await self._follow(await self._send("GET", url))

    async def get_json(self, url: str, **params: str) -> Any:
        self.requests += 1
        response = await self._send("GET", url, params=params)
        response.raise_for_status()
        return response.json()

    async def submit(self, page: Page, form: Form, press: str | None = None, **typed: str) -> Page:
        """Fill in ``typed`` and press the submit button whose value is ``press`` (or the first one)."""
        data = dict(form.fields)
        data.update(typed)
        buttons = [b for b in form.buttons if press is None or b[1] == press]
        if press is not None and not buttons:
            raise RuntimeError(f"no button '{press}' on the page")
        for name, value in buttons[:1]:
            data[name] = value
        action = urljoin(page.url, form.action or page.url)
        self.requests += 1
        if form.method == "post":
            return await self._follow(await self._send("POST", action, data=data))
        return await self._follow(await self._send("GET", action, params=data))

    async def _send(self, method: str, url: str, **options: Any) -> httpx.Response:
        observer = request_observer.get()
        started = time.perf_counter()
        response = await self.http.request(method, url, **options)
        if observer is not None:
            await observer(method, str(response.url), response.status_code, time.perf_counter() - started)
        return response
