"""Provider registrations: hashed credentials, public keys only, signed access tokens, the registry file."""

from __future__ import annotations

import json
import time
from pathlib import Path

import pytest
from pydantic import ValidationError

from databrug.registrations.access_tokens import issue_access_token, read_access_token
from databrug.registrations.credentials import new_credential, new_webhook_secret, verify_secret
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry, UnknownProvider

PUBLIC_JWKS = {
    "keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}]
}


def registration(**overrides: object) -> ProviderRegistration:
    base: dict[str, object] = {
        "id": "gezondverzekerd",
        "display_name": "Gezondverzekerd.nl",
        "return_url": "http://127.0.0.1:8710/terug",
        "encryption_jwks": PUBLIC_JWKS,
        "purposes": ["gemeentepolis"],
        "retention_days": 365,
        "privacy_statement_url": "http://127.0.0.1:8710/privacy",
    }
    return ProviderRegistration.model_validate({**base, **overrides})


def test_secret_is_stored_only_as_a_hash_and_verifies() -> None:
    credential, secret = new_credential()
    assert secret not in credential.model_dump_json()
    assert verify_secret([credential], secret)
    assert not verify_secret([credential], secret + "x")


def test_two_credentials_live_during_rotation() -> None:
    old, old_secret = new_credential()
    new, new_secret = new_credential()
    provider = registration(credentials=[new.model_dump(), old.model_dump()])
    assert verify_secret(provider.credentials, old_secret)
    assert verify_secret(provider.credentials, new_secret)


def test_private_keys_are_refused() -> None:
    private = {"keys": [{**PUBLIC_JWKS["keys"][0], "d": "secret"}]}
    with pytest.raises(ValidationError, match="public keys only"):
        registration(encryption_jwks=private)
    with pytest.raises(ValidationError, match="needs a kid"):
        registration(encryption_jwks={"keys": [{"kty": "OKP"}]})


def test_access_token_round_trip_and_refusals() -> None:
    secret = b"k" * 32
    token = issue_access_token(secret, "gezondverzekerd")
    assert read_access_token(secret, token) == "gezondverzekerd"
    assert read_access_token(b"other" * 8, token) is None
    tampered = token[:-2] + ("AA" if not token.endswith("AA") else "BB")
    assert read_access_token(secret, tampered) is None
    assert read_access_token(secret, issue_access_token(secret, "x", ttl=-1)) is None
    assert read_access_token(secret, "garbage") is None


def test_registry_file_round_trip_is_private(tmp_path: Path) -> None:
    credential, secret = new_credential()
    registry = ProviderRegistry(
        [registration(credentials=[credential], webhook_secrets=[new_webhook_secret()])]
    )
    path = tmp_path / "providers.json"
    registry.save(path, b"b" * 32)
    assert path.stat().st_mode & 0o077 == 0
    assert secret not in path.read_text()
    loaded = ProviderRegistry.load(path, b"b" * 32)
    assert loaded.get("gezondverzekerd") == registry.get("gezondverzekerd")
    with pytest.raises(UnknownProvider):
        loaded.get("someone-else")
    assert json.loads(path.read_text())["providers"][0]["id"] == "gezondverzekerd"


def test_token_expiry_uses_the_clock() -> None:
    secret = b"s" * 32
    token = issue_access_token(secret, "p1", ttl=1)
    assert read_access_token(secret, token) == "p1"
    time.sleep(1.1)
    assert read_access_token(secret, token) is None
