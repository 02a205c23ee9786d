"""Fetching the verzekeringsbericht from the UWV portal with the citizen's DigiD token."""

from __future__ import annotations

import httpx

from databrug.sources.http import DEFAULT_POLICY, RetryPolicy, fetch

VERZEKERINGSBERICHT_PATH = "/uwv/api/verzekeringsbericht"


class UwvClient:
    """One portal base URL (sandbox or real); the token is passed per call and never stored."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._policy = policy

    async def fetch_verzekeringsbericht(self, token: str) -> bytes:
        """The PDF as the portal serves it; read it with ``uwv.parser_verzekeringsbericht.PARSER``."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + VERZEKERINGSBERICHT_PATH,
            source="uwv",
            token=token,
            accept="application/pdf",
            policy=self._policy,
        )


async def fetch_verzekeringsbericht(
    http: httpx.AsyncClient, base_url: str, token: str, *, policy: RetryPolicy = DEFAULT_POLICY
) -> bytes:
    """The same as ``UwvClient(http, base_url, policy).fetch_verzekeringsbericht(token)``."""
    return await UwvClient(http, base_url, policy).fetch_verzekeringsbericht(token)
