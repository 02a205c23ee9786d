"""Fetching the Mijnpensioenoverzicht download with the citizen's DigiD token (shared fetch helper)."""

from __future__ import annotations

from typing import Literal

import httpx

from databrug.sources.http import DEFAULT_POLICY, RetryPolicy, fetch
from databrug.sources.mijnpensioenoverzicht.parser_pensioenoverzicht import MEDIA_TYPES

DOWNLOAD_PATH = "/mijnpensioenoverzicht/api/download"


class MijnpensioenoverzichtClient:
    """One portal base URL (sandbox or real); the token is passed per call and never stored."""

    def __init__(self, http: httpx.AsyncClient, base_url: str, policy: RetryPolicy = DEFAULT_POLICY) -> None:
        self._http = http
        self._base_url = base_url.rstrip("/")
        self._policy = policy

    async def fetch_pensioenoverzicht(self, token: str, fmt: Literal["xml", "json"] = "xml") -> bytes:
        """The pension overview download; XML by default, as the site's download button gives it."""
        return await fetch(
            self._http,
            "GET",
            self._base_url + DOWNLOAD_PATH,
            source="mijnpensioenoverzicht",
            token=token,
            params={"formaat": fmt},
            accept=MEDIA_TYPES[fmt],
            policy=self._policy,
        )
