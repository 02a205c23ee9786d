"""Fetching the two Belastingdienst documents with the citizen's DigiD token (via the shared fetch helper)."""

from __future__ import annotations

import httpx

from databrug.sources.http import DEFAULT_POLICY, RetryPolicy, fetch

BELASTINGGEGEVENS_PATH = "/belastingdienst/api/belastinggegevens"
TOESLAGEN_PATH = "/belastingdienst/api/toeslagen"


class BelastingdienstClient:
    """One portal base URL (sandbox or real); the token is passed per call and never stored."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._policy = policy

    async def fetch_belastinggegevens(self, token: str) -> bytes:
        """The vooraf ingevulde aangifte data of every available tax year, as XML."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + BELASTINGGEGEVENS_PATH,
            source="belastingdienst",
            token=token,
            accept="application/xml",
            policy=self._policy,
        )

    async def fetch_toeslagen(self, token: str) -> bytes:
        """The allowances as Mijn toeslagen shows them, as JSON."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + TOESLAGEN_PATH,
            source="belastingdienst",
            token=token,
            accept="application/json",
            policy=self._policy,
        )
