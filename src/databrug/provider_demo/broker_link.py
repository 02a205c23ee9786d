"""How this provider reaches the broker: its secrets (from the credentials file) and the SDK client.

The credentials file also holds the provider's own ES256 key (``signing_jwks``) that signs erasure
confirmations; ``databrug demo`` writes it once and keeps it. A file without one (written by hand, or by an
older version) gets a key for this process only: confirmations it signed then stop verifying at a restart.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import httpx

from databrug.sdk import RECEIPT_KEYS_PATH, DatabrugClient, generate_erasure_signing_keys


def _process_signing_key() -> dict[str, Any]:
    return generate_erasure_signing_keys().private_jwks


@dataclass(frozen=True)
class BrokerLink:
    broker_url: str
    provider_id: str
    client_secret: str
    webhook_secrets: tuple[str, ...]
    private_jwks: dict[str, Any]
    signing_jwks: dict[str, Any] = field(default_factory=_process_signing_key)

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
            signing_jwks=dict(data.get("signing_jwks") or _process_signing_key()),
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
