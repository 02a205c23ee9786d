"""Registering providers from the command line and for the demo (keys, secrets shown once)."""

from __future__ import annotations

import json
import os
import secrets
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from databrug.bootstrap import configured_broker_secret
from databrug.config import Settings
from databrug.provider_demo.config import RETENTION_DAYS
from databrug.registrations.credentials import new_credential, new_webhook_secret
from databrug.registrations.model import PartnerMode, ProviderRegistration
from databrug.registrations.store import ProviderRegistry
from databrug.sdk import generate_erasure_signing_keys, generate_provider_keys

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
    support_phone: str | None = None,
    purposes: list[str] | None = None,
    retention_days: int = 365,
    privacy_statement_url: str | None = None,
    erasure_url: str | None = None,
    third_parties: list[str] | None = None,
) -> tuple[ProviderRegistration, str, str | None]:
    """Add or replace a provider; returns it with its new API secret and webhook secret (shown once; None
    for a provider without webhooks, which has no use for one).

    Without ``purposes`` a provider asks under ``gemeentepolis``, or ``schuldhulpverlening`` when it wants
    originals (the only template that allows them); without a privacy statement URL it is ``/privacy`` at the
    return URL's origin. The URLs and the fit with the purpose templates are checked by the registration
    model (``pydantic.ValidationError``)."""
    if purposes is None:
        purposes = ["schuldhulpverlening"] if want_documents else ["gemeentepolis"]
    if privacy_statement_url is None:
        origin = urlsplit(return_url)
        privacy_statement_url = f"{origin.scheme}://{origin.netloc}/privacy"
    credential, secret = new_credential()
    webhook_secret = new_webhook_secret() if webhook_url else None
    provider = ProviderRegistration(
        id=provider_id,
        display_name=display_name,
        return_url=return_url,
        webhook_url=webhook_url,
        webhook_secrets=[webhook_secret] if webhook_secret else [],
        encryption_jwks=public_jwks,
        partner=partner,
        want_documents=want_documents,
        purposes=purposes,
        retention_days=retention_days,
        privacy_statement_url=privacy_statement_url,
        erasure_url=erasure_url,
        third_parties=third_parties or [],
        credentials=[credential],
        support={key: value for key, value in (("email", support_email), ("phone", support_phone)) if value},
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
    registry = ProviderRegistry.load(
        settings.providers_file, configured_broker_secret(settings), replacing=[ROBOT_PROVIDER]
    )
    keys = generate_provider_keys()
    _, secret, _ = register(
        registry,
        ROBOT_PROVIDER,
        "Robotprovider (demo)",
        return_url=f"{settings.broker_url()}/",
        public_jwks=keys.public_jwks,
        partner="optional",
        purposes=["gemeentepolis"],
        support_email="support@robot.invalid",
        support_phone="020 123 4567",
    )
    registry.save(settings.providers_file, configured_broker_secret(settings))
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
    """The demo provider (Gezondverzekerd-like): webhooks to its own port; asks under the ``gemeentepolis``
    template, which allows no originals (they would carry the whole, untrimmed history).

    Its secrets (client secret, webhook secret, private keys) go to ``credentials_file`` (mode 0600),
    which the provider process reads; the broker keeps the API secret as a hash, the webhook secret encrypted
    under the broker secret (which ``settings`` must have) and the public keys. The encryption keys survive a
    restart (packages stored earlier stay readable); the API and webhook secrets are new each time.
    """
    broker_secret = configured_broker_secret(settings)
    registry = ProviderRegistry.load(settings.providers_file, broker_secret, replacing=[DEMO_PROVIDER])
    private_jwks, public_jwks = _demo_provider_keys(credentials_file)
    provider_url = f"http://{settings.host}:{settings.provider_port}"
    _, secret, webhook_secret = register(
        registry,
        DEMO_PROVIDER,
        "Gezondverzekerd (demo)",
        return_url=f"{provider_url}/aanvraag/{{reference}}",
        public_jwks=public_jwks,
        webhook_url=f"{provider_url}/webhooks/databrug",
        partner="optional",
        want_documents=False,
        purposes=["gemeentepolis"],
        retention_days=RETENTION_DAYS,
        privacy_statement_url=f"{provider_url}/privacy",
        erasure_url=f"{provider_url}/gegevens-wissen",
        third_parties=[],
        support_email="support@gezondverzekerd.invalid",
        support_phone="088 123 4567",
    )
    registry.save(settings.providers_file, broker_secret)
    write_private(
        credentials_file,
        {
            "broker_url": settings.broker_url(),
            "provider_id": DEMO_PROVIDER,
            "client_secret": secret,
            "webhook_secret": webhook_secret,
            "private_jwks": private_jwks,
            "signing_jwks": _demo_signing_keys(credentials_file),
        },
    )


def demo_broker_secret(settings: Settings, secret_file: Path) -> Settings:
    """``settings`` with a broker secret: the configured one, or the demo's own, kept in ``secret_file``
    (mode 0600) so the webhook secrets the demo stored in the providers file open again at the next start."""
    if settings.broker_secret:
        return settings
    try:
        secret = secret_file.read_text(encoding="utf-8").strip()
    except FileNotFoundError:
        secret = ""
    if not secret:
        secret = secrets.token_urlsafe(32)
        secret_file.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(secret_file, os.O_WRONLY | os.O_CREAT | os.O_TRUNC, 0o600)
        with os.fdopen(fd, "w", encoding="utf-8") as handle:
            handle.write(secret + "\n")
    return settings.model_copy(update={"broker_secret": secret})


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


def _demo_signing_keys(credentials_file: Path) -> dict[str, Any]:
    """The demo provider's ES256 key for erasure confirmations: the one in an earlier credentials file (so
    confirmations it signed keep verifying), or a new one."""
    try:
        earlier = json.loads(credentials_file.read_text(encoding="utf-8"))["signing_jwks"]
        if earlier["keys"] and all("d" in key for key in earlier["keys"]):
            return dict(earlier)
    except (OSError, ValueError, KeyError, TypeError, AttributeError):
        pass
    return generate_erasure_signing_keys().private_jwks
