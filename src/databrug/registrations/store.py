"""The registry file: providers as JSON on the broker's disk, mode 0600 (no personal data).

API secrets are in it only as salted hashes (``credentials``). Webhook secrets must be readable again (the
broker signs each webhook with them), so they are stored encrypted: AES-256-GCM under a key derived from the
broker secret, bound to the provider id. Only a process that knows the broker secret opens them; a copy of the
file alone gives none. A file from before version 14 with webhook secrets in plain text still loads (and says
so in the log); the next write encrypts them.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import hmac
import json
import logging
import os
import secrets
import tempfile
from collections.abc import Collection
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from pydantic import ValidationError

from databrug.errors import CodedError
from databrug.registrations.model import ProviderRegistration

log = logging.getLogger(__name__)

_ENCRYPTED_FIELD = "webhook_secrets_encrypted"
_PLAIN_FIELD = "webhook_secrets"
_FORMAT = "v1."
_NONCE_BYTES = 12
_SET_BROKER_KEY = (
    "set DATABRUG_BROKER_SECRET to the brokers' secret: the webhook secrets in the providers file are "
    "stored encrypted under it"
)


class UnknownProvider(CodedError, KeyError):
    """No provider has this id; still a ``KeyError`` for callers that look an id up."""

    code = "provider_unknown"

    def __init__(self, provider_id: str) -> None:
        super().__init__("this provider is not registered")
        self.args = (provider_id,)  # KeyError's text stays the id (a provider's, not a person's), as before


class ProvidersFileError(Exception):
    """The registry file cannot be read or written as asked (for an operator at start-up or in the CLI)."""


def _key(broker_secret: bytes) -> bytes:
    return hmac.new(broker_secret, b"databrug providers file: webhook secrets v1", hashlib.sha256).digest()


def _aad(provider_id: str) -> bytes:
    return b"databrug-webhook-secret-v1\x00" + provider_id.encode("utf-8")


def encrypt_webhook_secret(broker_secret: bytes, provider_id: str, webhook_secret: str) -> str:
    nonce = secrets.token_bytes(_NONCE_BYTES)
    sealed = AESGCM(_key(broker_secret)).encrypt(nonce, webhook_secret.encode("utf-8"), _aad(provider_id))
    return _FORMAT + base64.urlsafe_b64encode(nonce + sealed).decode("ascii")


def decrypt_webhook_secret(broker_secret: bytes, provider_id: str, text: str) -> str:
    wrong = ProvidersFileError(
        f"the webhook secrets of provider '{provider_id}' do not open with this broker secret: set "
        "DATABRUG_BROKER_SECRET to the one they were written with, or register the provider again"
    )
    if not text.startswith(_FORMAT):
        raise wrong
    try:
        raw = base64.urlsafe_b64decode(text[len(_FORMAT) :].encode("ascii"))
        nonce, sealed = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:]
        return AESGCM(_key(broker_secret)).decrypt(nonce, sealed, _aad(provider_id)).decode("utf-8")
    except (binascii.Error, ValueError, InvalidTag):  # UnicodeError is a ValueError
        raise wrong from None


class ProviderRegistry:
    def __init__(self, providers: list[ProviderRegistration] | None = None) -> None:
        self._by_id = {p.id: p for p in providers or []}

    def get(self, provider_id: str) -> ProviderRegistration:
        try:
            return self._by_id[provider_id]
        except KeyError:
            raise UnknownProvider(provider_id) from None

    def find(self, provider_id: str) -> ProviderRegistration | None:
        return self._by_id.get(provider_id)

    def all(self) -> list[ProviderRegistration]:
        return sorted(self._by_id.values(), key=lambda p: p.id)

    def put(self, provider: ProviderRegistration) -> None:
        self._by_id[provider.id] = provider

    def remove(self, provider_id: str) -> None:
        self._by_id.pop(provider_id, None)

    @classmethod
    def load(
        cls, path: Path, broker_secret: bytes | None = None, replacing: Collection[str] = ()
    ) -> ProviderRegistry:
        """The registry in ``path`` (empty when there is none). ``broker_secret`` opens the webhook secrets;
        without it a file that holds encrypted ones is refused (``ProvidersFileError``). The registrations of
        ``replacing`` are left out unread: the demo registers its own providers anew at every start, so one
        written by an older version does not stop it."""
        if not path.exists():
            return cls()
        data = json.loads(path.read_text(encoding="utf-8"))
        items: list[dict[str, Any]] = [
            item for item in data.get("providers", []) if item.get("id") not in replacing
        ]
        if any(_PLAIN_FIELD in item for item in items):
            log.warning(
                "%s holds webhook secrets in plain text (written before version 14); the next "
                "'databrug providers' command encrypts them",
                path.name,
            )
        return cls([_registration(item, broker_secret, path) for item in items])

    def save(self, path: Path, broker_secret: bytes | None = None) -> None:
        """Write the registry (mode 0600); webhook secrets encrypted, which needs ``broker_secret``."""
        document = {"providers": [_sealed(p, broker_secret) for p in self.all()]}
        path.parent.mkdir(parents=True, exist_ok=True)
        # Write-then-rename, so a broker reading the file never sees half of it.
        fd, temporary = tempfile.mkstemp(dir=path.parent, prefix=".providers-", suffix=".json")
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            json.dump(document, handle, indent=2, ensure_ascii=False)
            handle.write("\n")
        os.chmod(temporary, 0o600)
        os.replace(temporary, path)


def _registration(item: dict[str, Any], broker_secret: bytes | None, path: Path) -> ProviderRegistration:
    """One registration of the file; refused in words that name the provider and every problem (a file from
    before purpose templates lacks ``purposes``, ``retention_days`` and ``privacy_statement_url``)."""
    try:
        return ProviderRegistration.model_validate(_opened(item, broker_secret))
    except ValidationError as exc:
        problems = "; ".join(
            e["msg"].removeprefix("Value error, ")
            if e["type"] == "value_error"
            else f"{'.'.join(map(str, e['loc']))}: {e['msg']}"
            for e in exc.errors()
        )
        provider = str(item.get("id"))[:63] if isinstance(item.get("id"), str) else "?"
        raise ProvidersFileError(
            f"{path.name}: the registration of '{provider}' is refused: {problems} (docs/purposes.md)"
        ) from None


def _sealed(provider: ProviderRegistration, broker_secret: bytes | None) -> dict[str, Any]:
    item: dict[str, Any] = provider.model_dump(mode="json", exclude={"webhook_secrets"})
    if provider.webhook_secrets:
        if broker_secret is None:
            raise ProvidersFileError(f"cannot store the webhook secret of '{provider.id}': {_SET_BROKER_KEY}")
        item[_ENCRYPTED_FIELD] = [
            encrypt_webhook_secret(broker_secret, provider.id, s) for s in provider.webhook_secrets
        ]
    return item


def _opened(item: dict[str, Any], broker_secret: bytes | None) -> dict[str, Any]:
    encrypted = item.get(_ENCRYPTED_FIELD)
    if encrypted is None:
        return item
    provider_id = str(item.get("id"))
    if broker_secret is None:
        raise ProvidersFileError(f"cannot read the webhook secrets of '{provider_id}': {_SET_BROKER_KEY}")
    if not isinstance(encrypted, list) or not all(isinstance(text, str) for text in encrypted):
        raise ProvidersFileError(f"the webhook secrets of '{provider_id}' are not a list of texts")
    opened = {k: v for k, v in item.items() if k != _ENCRYPTED_FIELD}
    opened[_PLAIN_FIELD] = [decrypt_webhook_secret(broker_secret, provider_id, text) for text in encrypted]
    return opened
