"""Registering providers from the command line and for the demo (keys, secrets shown once)."""

from __future__ import annotations

import json
import os
from pathlib import Path
from typing import Any

from databrug.config import Settings
from databrug.registrations.credentials import new_credential, new_webhook_secret
from databrug.registrations.model import PartnerMode, ProviderRegistration
from databrug.registrations.store import ProviderRegistry
from databrug.sdk import generate_provider_keys

ROBOT_PROVIDER = "robot-provider"


def register(
    registry: ProviderRegistry,
    provider_id: str,
    display_name: str,
    *,
    return_url: str,
    public_jwks: dict[str, Any],
    webhook_url: str | None = None,
    partner: PartnerMode = "optional",
    want_documents: bool = False,
    support_email: str | None = None,
) -> tuple[ProviderRegistration, str, str]:
    """Add or replace a provider; returns it with its new API secret and webhook secret (shown once)."""
    credential, secret = new_credential()
    webhook_secret = new_webhook_secret()
    provider = ProviderRegistration(
        id=provider_id,
        display_name=display_name,
        return_url=return_url,
        webhook_url=webhook_url,
        webhook_secrets=[webhook_secret],
        encryption_jwks=public_jwks,
        partner=partner,
        want_documents=want_documents,
        credentials=[credential],
        support={"email": support_email} if support_email else {},
    )
    registry.put(provider)
    return provider, secret, webhook_secret


def rotate_secret(registry: ProviderRegistry, provider_id: str) -> str:
    """A new API secret; the newest previous one stays valid until the next rotation."""
    provider = registry.get(provider_id)
    credential, secret = new_credential()
    registry.put(provider.model_copy(update={"credentials": [credential, *provider.credentials[:1]]}))
    return secret


def rotate_keys(registry: ProviderRegistry, provider_id: str, public_jwks: dict[str, Any]) -> None:
    """Add the new public keys; the previous ones stay listed so packages in flight can still be opened."""
    provider = registry.get(provider_id)
    new = list(public_jwks["keys"])
    new_ids = {k["kid"] for k in new}
    previous = [k for k in provider.encryption_jwks["keys"] if k["kid"] not in new_ids]
    keep = new + previous[:1]  # two keys live at once at most
    registry.put(provider.model_copy(update={"encryption_jwks": {"keys": keep}}))


def write_private(path: Path, data: dict[str, Any]) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
    with os.fdopen(fd, "w", encoding="utf-8") as handle:
        json.dump(data, handle, indent=2)
        handle.write("\n")


def provision_robot(settings: Settings, credentials_file: Path) -> None:
    """The demo's pull-only provider that ``databrug journey`` acts as; fresh secrets at every demo start."""
    registry = ProviderRegistry.load(settings.providers_file)
    keys = generate_provider_keys()
    _, secret, _ = register(
        registry,
        ROBOT_PROVIDER,
        "Robotprovider (demo)",
        return_url=f"{settings.broker_url()}/",
        public_jwks=keys.public_jwks,
        partner="optional",
        support_email="support@robot.invalid",
    )
    registry.save(settings.providers_file)
    write_private(
        credentials_file,
        {
            "broker_url": settings.broker_url(),
            "sandbox_url": settings.sandbox_base(),
            "provider_id": ROBOT_PROVIDER,
            "client_secret": secret,
            "private_jwks": keys.private_jwks,
        },
    )


DEMO_PROVIDER = "gezondverzekerd"


def provision_provider_demo(settings: Settings, credentials_file: Path) -> None:
    """The demo provider (Gezondverzekerd-like): webhooks to its own port, originals included.

    Its secrets (client secret, webhook secret, private keys) go to ``credentials_file`` (mode 0600),
    which the provider process reads; the broker keeps only hashes and the public keys. The encryption keys
    survive a restart (packages stored earlier stay readable); the API and webhook secrets are new each time.
    """
    registry = ProviderRegistry.load(settings.providers_file)
    private_jwks, public_jwks = _demo_provider_keys(credentials_file)
    provider_url = f"http://{settings.host}:{settings.provider_port}"
    _, secret, webhook_secret = register(
        registry,
        DEMO_PROVIDER,
        "Gezondverzekerd (demo)",
        return_url=f"{provider_url}/",
        public_jwks=public_jwks,
        webhook_url=f"{provider_url}/webhooks/databrug",
        partner="optional",
        want_documents=True,
        support_email="support@gezondverzekerd.invalid",
    )
    registry.save(settings.providers_file)
    write_private(
        credentials_file,
        {
            "broker_url": settings.broker_url(),
            "provider_id": DEMO_PROVIDER,
            "client_secret": secret,
            "webhook_secret": webhook_secret,
            "private_jwks": private_jwks,
        },
    )


def _demo_provider_keys(credentials_file: Path) -> tuple[dict[str, Any], dict[str, Any]]:
    """(private, public) JWKS: the ones in an earlier credentials file, or new ones."""
    try:
        earlier = json.loads(credentials_file.read_text(encoding="utf-8"))["private_jwks"]
        public = {"keys": [{k: v for k, v in key.items() if k != "d"} for key in earlier["keys"]]}
        if public["keys"]:
            return dict(earlier), public
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    keys = generate_provider_keys()
    return keys.private_jwks, keys.public_jwks
