"""Raw provider API calls for tests that need what the SDK leaves out (per-source progress, raw codes)."""

from __future__ import annotations

from typing import Any

import httpx

from databrug.robot.journey import Endpoints


def access_token(endpoints: Endpoints) -> str:
    answer = httpx.post(
        f"{endpoints.broker_url}/api/v1/token",
        data={
            "grant_type": "client_credentials",
            "client_id": endpoints.provider_id,
            "client_secret": endpoints.client_secret,
        },
        timeout=10,
    )
    answer.raise_for_status()
    token: str = answer.json()["access_token"]
    return token


def session_status(endpoints: Endpoints, session_id: str) -> dict[str, Any]:
    answer = httpx.get(
        f"{endpoints.broker_url}/api/v1/sessions/{session_id}",
        headers={"Authorization": f"Bearer {access_token(endpoints)}"},
        timeout=10,
    )
    answer.raise_for_status()
    body: dict[str, Any] = answer.json()
    return body


def attempts(endpoints: Endpoints, session_id: str, role: str = "applicant") -> dict[str, int]:
    """How often the broker has fetched each source for this person (fetches, not HTTP retries)."""
    progress = session_status(endpoints, session_id)["progress"].get(role, {})
    return {source: int(p["attempts"]) for source, p in progress.items()}
