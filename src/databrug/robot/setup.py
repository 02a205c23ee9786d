"""Where a robot finds the demo: the credentials ``databrug demo`` writes, and the sandbox's personas."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import httpx

from databrug.robot.journey import Endpoints, Login, Persona

DEFAULT_CREDENTIALS = Path("var/demo/robot-provider.json")


def load_endpoints(path: Path, broker_url: str | None = None, sandbox_url: str | None = None) -> Endpoints:
    if not path.exists():
        raise SystemExit(
            f"databrug journey: no demo credentials at {path}; start 'make demo' first or pass --credentials"
        )
    data = json.loads(path.read_text(encoding="utf-8"))
    return Endpoints(
        broker_url=(broker_url or data["broker_url"]).rstrip("/"),
        sandbox_url=(sandbox_url or data["sandbox_url"]).rstrip("/"),
        provider_id=data["provider_id"],
        client_secret=data["client_secret"],
        private_jwks=data["private_jwks"],
    )


def persona_of(household: dict[str, Any]) -> Persona:
    people = {p["role"]: p for p in household["key_facts"]["people"]}

    def login(role: str) -> Login | None:
        person = people.get(role)
        if person is None:
            return None
        return Login(person["username"], person["password"], bool(person.get("sms_enabled", True)))

    applicant = login("applicant")
    if applicant is None:
        raise ValueError("a household without an applicant")
    return Persona(
        key=household["key"], applicant=applicant, partner=login("partner"), facts=household["key_facts"]
    )


def load_personas(sandbox_url: str) -> dict[str, Persona]:
    try:
        response = httpx.get(f"{sandbox_url}/admin/households", timeout=10.0)
        response.raise_for_status()
    except httpx.HTTPError as error:
        raise SystemExit(
            f"databrug journey: the sandbox at {sandbox_url} did not answer ({type(error).__name__}); "
            "is 'make demo' running?"
        ) from None
    return {h["key"]: persona_of(h) for h in response.json()}
