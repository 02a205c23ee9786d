"""How this provider reaches the broker: its secrets (from the credentials file) and the SDK client."""

from __future__ import annotations

import json
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx

from databrug.sdk import DatabrugClient

RECEIPT_KEYS_PATH = "/.well-known/databrug-receipt-keys.json"


@dataclass(frozen=True)
class BrokerLink:
    broker_url: str
    provider_id: str
    client_secret: str
    webhook_secrets: tuple[str, ...]
    private_jwks: dict[str, Any]

    @classmethod
    def load(cls, path: Path) -> BrokerLink:
        data = json.loads(path.read_text(encoding="utf-8"))
        secrets = data.get("webhook_secrets") or [data["webhook_secret"]]
        return cls(
            broker_url=str(data["broker_url"]).rstrip("/"),
            provider_id=str(data["provider_id"]),
            client_secret=str(data["client_secret"]),
            webhook_secrets=tuple(str(s) for s in secrets),
            private_jwks=dict(data["private_jwks"]),
        )

    def broker_jwks(self) -> dict[str, Any] | None:
        """The broker's receipt-signing keys, to verify deletion receipts; None when unreachable."""
        try:
            response = httpx.get(self.broker_url + RECEIPT_KEYS_PATH, timeout=5.0)
            response.raise_for_status()
            keys = response.json()
            return keys if isinstance(keys, dict) and "keys" in keys else None
        except (httpx.HTTPError, ValueError, RecursionError):  # RecursionError: JSON nested too deep
            return None

    def client(self, broker_jwks: dict[str, Any] | None = None) -> DatabrugClient:
        return DatabrugClient(
            self.broker_url,
            self.provider_id,
            self.client_secret,
            private_jwks=self.private_jwks,
            broker_jwks=broker_jwks,
        )
