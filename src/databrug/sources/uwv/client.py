"""Fetching the verzekeringsbericht from the UWV portal with the citizen's DigiD-issued token."""

from __future__ import annotations

import httpx

from databrug.sources.http import DEFAULT_POLICY, RetryPolicy, fetch

VERZEKERINGSBERICHT_PATH = "/uwv/api/verzekeringsbericht"


async def fetch_verzekeringsbericht(
    client: httpx.AsyncClient,
    base_url: str,
    token: str,
    *,
    policy: RetryPolicy = DEFAULT_POLICY,
) -> bytes:
    """The PDF bytes as the portal serves them; parse them with ``databrug.sources.uwv.parser.PARSER``."""
    return await fetch(
        client,
        "GET",
        base_url.rstrip("/") + VERZEKERINGSBERICHT_PATH,
        source="uwv",
        token=token,
        accept="application/pdf",
        policy=policy,
    )
