"""The registry file keeps webhook secrets encrypted under the broker secret, mode 0600 (issue 14)."""

from __future__ import annotations

import json
import logging
import os
import stat
from pathlib import Path

import pytest

from databrug.registrations.credentials import new_webhook_secret
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry, ProvidersFileError

BROKER = b"b" * 32
PUBLIC_JWKS = {
    "keys": [{"kty": "OKP", "crv": "X25519", "x": "11qYAYKxCrfVS_7TyWQHOg7hcvPapiMlrwIaaPcHURo", "kid": "k1"}]
}


def provider(provider_id: str, *webhook_secrets: str) -> ProviderRegistration:
    return ProviderRegistration(
        id=provider_id,
        display_name=provider_id,
        return_url="https://gemeente.example/",
        webhook_url="https://gemeente.example/hook" if webhook_secrets else None,
        webhook_secrets=list(webhook_secrets),
        encryption_jwks=PUBLIC_JWKS,
        purposes=["gemeentepolis"],
        retention_days=365,
        privacy_statement_url="https://gemeente.example/privacy",
    )


@pytest.fixture
def secrets_and_file(tmp_path: Path) -> tuple[list[str], Path]:
    newest, older = new_webhook_secret(), new_webhook_secret()
    path = tmp_path / "providers.json"
    ProviderRegistry([provider("gemeente-a", newest, older), provider("pull-only")]).save(path, BROKER)
    return [newest, older], path


def test_the_file_holds_no_webhook_secret_in_plain_text(secrets_and_file: tuple[list[str], Path]) -> None:
    webhook_secrets, path = secrets_and_file
    text = path.read_text(encoding="utf-8")
    for secret in webhook_secrets:
        assert secret not in text
        assert secret.removeprefix("whsec_") not in text
    stored = json.loads(text)["providers"][0]
    assert "webhook_secrets" not in stored
    assert len(stored["webhook_secrets_encrypted"]) == 2


def test_the_file_is_private(secrets_and_file: tuple[list[str], Path]) -> None:
    _, path = secrets_and_file
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_an_existing_world_readable_file_is_replaced_by_a_private_one(tmp_path: Path) -> None:
    path = tmp_path / "providers.json"
    path.write_text('{"providers": []}', encoding="utf-8")
    os.chmod(path, 0o644)
    ProviderRegistry([provider("gemeente-a", new_webhook_secret())]).save(path, BROKER)
    assert stat.S_IMODE(path.stat().st_mode) == 0o600


def test_round_trip_gives_the_secrets_back_in_order(secrets_and_file: tuple[list[str], Path]) -> None:
    webhook_secrets, path = secrets_and_file
    loaded = ProviderRegistry.load(path, BROKER)
    assert loaded.get("gemeente-a").webhook_secrets == webhook_secrets
    assert loaded.get("pull-only").webhook_secrets == []


def test_another_broker_secret_is_refused_with_a_clear_message(
    secrets_and_file: tuple[list[str], Path],
) -> None:
    _, path = secrets_and_file
    with pytest.raises(
        ProvidersFileError, match=r"do not open with this broker secret.*DATABRUG_BROKER_SECRET"
    ):
        ProviderRegistry.load(path, b"another broker's secret")


def test_no_broker_secret_is_refused_with_a_clear_message(secrets_and_file: tuple[list[str], Path]) -> None:
    _, path = secrets_and_file
    with pytest.raises(ProvidersFileError, match="set DATABRUG_BROKER_SECRET"):
        ProviderRegistry.load(path)
    with pytest.raises(ProvidersFileError, match=r"cannot store the webhook secret.*DATABRUG_BROKER_SECRET"):
        ProviderRegistry([provider("gemeente-a", new_webhook_secret())]).save(path)


def test_a_secret_moved_to_another_provider_does_not_open(secrets_and_file: tuple[list[str], Path]) -> None:
    """The provider id is bound in: copying one provider's ciphertext to another's entry gives nothing."""
    _, path = secrets_and_file
    document = json.loads(path.read_text(encoding="utf-8"))
    document["providers"][1]["webhook_secrets_encrypted"] = document["providers"][0][
        "webhook_secrets_encrypted"
    ]
    path.write_text(json.dumps(document), encoding="utf-8")
    with pytest.raises(ProvidersFileError, match="'pull-only' do not open"):
        ProviderRegistry.load(path, BROKER)


def test_a_pull_only_registry_needs_no_broker_secret(tmp_path: Path) -> None:
    path = tmp_path / "providers.json"
    ProviderRegistry([provider("pull-only")]).save(path)
    assert ProviderRegistry.load(path).get("pull-only").webhook_secrets == []


def test_a_plain_file_from_before_loads_with_a_warning_and_is_encrypted_on_the_next_write(
    tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    secret = new_webhook_secret()
    path = tmp_path / "providers.json"
    old = provider("gemeente-a", secret).model_dump(mode="json")
    path.write_text(json.dumps({"providers": [old]}), encoding="utf-8")
    with caplog.at_level(logging.WARNING, logger="databrug.registrations.store"):
        loaded = ProviderRegistry.load(path, BROKER)
    assert "plain text" in caplog.text
    assert secret not in caplog.text
    assert loaded.get("gemeente-a").webhook_secrets == [secret]
    loaded.save(path, BROKER)
    assert secret not in path.read_text(encoding="utf-8")
    assert ProviderRegistry.load(path, BROKER).get("gemeente-a").webhook_secrets == [secret]
