"""A provider's registration (docs/design.md §6). Holds no personal data; API secrets only as hashes (webhook
secrets, which the broker must read to sign, are encrypted in the registry file: ``store.py``)."""

from __future__ import annotations

import ipaddress
from typing import Annotated, Any, Literal
from urllib.parse import quote, urlsplit

from pydantic import BaseModel, ConfigDict, Field, field_validator, model_validator

from databrug.purposes import PurposeExceeded, check_registration
from databrug.records import SOURCE_NAMES, SourceName

PartnerMode = Literal["required", "optional", "off"]
REFERENCE_PLACEHOLDER = "{reference}"
"""In a registration's ``return_url``: replaced by the session's reference (``return_url_for``)."""


def _is_loopback(host: str) -> bool:
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


def checked_url(value: str, *, what: str, fragment: bool) -> str:
    """``value`` when it is an https URL, or http on a loopback host (localhost, 127.0.0.0/8, ::1) for
    development, without a user name or password (and without a fragment unless ``fragment``).

    A citizen's browser follows the return URL and the broker posts webhooks to the other: a
    ``javascript:`` or ``data:`` URL, or a plain-http one across the network, must not be registered."""
    if any(ord(c) <= 0x20 or ord(c) == 0x7F or c == "\\" for c in value):
        raise ValueError(f"{what} must not contain spaces, control characters or backslashes")
    try:
        parts = urlsplit(value)
        host, _ = parts.hostname, parts.port  # .port raises ValueError for a port that is not a number
    except ValueError:
        raise ValueError(f"{what} is not a valid URL") from None
    scheme = parts.scheme.lower()
    if scheme not in ("https", "http") or not host:
        raise ValueError(f"{what} must be an https URL (http only on localhost, for development)")
    if "@" in parts.netloc:
        raise ValueError(f"{what} must not contain a user name or password")
    if scheme == "http" and not _is_loopback(host):
        raise ValueError(f"{what} must use https (http only on localhost, 127.0.0.0/8 or ::1)")
    if not fragment and "#" in value:
        raise ValueError(f"{what} must not contain a fragment (#…)")
    return value


class Support(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    email: str | None = Field(default=None, max_length=200)
    phone: str | None = Field(default=None, max_length=40)
    url: str | None = Field(default=None, max_length=300)


class Branding(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")
    primary_colour: str = Field(default="#154273", pattern=r"^#[0-9a-fA-F]{6}$")
    accent_colour: str = Field(default="#ffb612", pattern=r"^#[0-9a-fA-F]{6}$")
    logo_text: str | None = Field(default=None, max_length=60)


class ApiCredential(BaseModel):
    """A client secret, kept only as a salted scrypt hash; two may be live during rotation."""

    model_config = ConfigDict(frozen=True, extra="forbid")
    id: str = Field(pattern=r"^cred_[0-9A-Za-z_-]{8,40}$")
    salt: str
    hash: str
    created_at: str


class ProviderRegistration(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")

    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    display_name: str = Field(min_length=1, max_length=200)
    support: Support = Field(default_factory=Support)
    branding: Branding = Field(default_factory=Branding)
    return_url: str = Field(max_length=500)
    webhook_url: str | None = Field(default=None, max_length=500)
    webhook_secrets: list[str] = Field(
        default_factory=list, description="Standard Webhooks secrets (whsec_…), newest first"
    )
    encryption_jwks: dict[str, Any] = Field(description="The provider's public keys (JWKS) for JWE")
    required_sources: list[SourceName] = Field(default_factory=lambda: list(SOURCE_NAMES))
    optional_sources: list[SourceName] = Field(default_factory=list)
    partner: PartnerMode = "optional"
    want_documents: bool = False
    uploads_refused: list[SourceName] = Field(
        default_factory=list,
        description="Sources whose documents this provider takes only as fetched with DigiD, never uploaded",
    )
    purposes: list[Annotated[str, Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")]] = Field(
        min_length=1,
        max_length=8,
        description="The published purpose templates this provider asks under (docs/purposes.md); "
        "a registration asking for more than they allow is refused",
    )
    retention_days: int = Field(
        ge=1, le=36500, description="How long the provider commits to keep a case: shown at consent"
    )
    privacy_statement_url: str = Field(max_length=500, description="The provider's privacy statement")
    erasure_url: str | None = Field(
        default=None,
        max_length=500,
        description="Where a citizen asks the provider to erase a case with the receipt's erasure token",
    )
    third_parties: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list,
        max_length=10,
        description="Who else receives the data from the provider (names); empty: nobody",
    )
    pickup_window_seconds: int = Field(default=24 * 3600, ge=60, le=14 * 24 * 3600)
    credentials: list[ApiCredential] = Field(default_factory=list, max_length=2)

    @field_validator("return_url")
    @classmethod
    def _return_url_is_safe(cls, value: str) -> str:
        # the placeholder is checked as the text it becomes; in the path or query only, never the host
        checked_url(value.replace(REFERENCE_PLACEHOLDER, "ref"), what="return_url", fragment=True)
        if REFERENCE_PLACEHOLDER in urlsplit(value).netloc:
            raise ValueError(f"return_url may carry {REFERENCE_PLACEHOLDER} in its path or query only")
        return value

    @field_validator("webhook_url")
    @classmethod
    def _webhook_url_is_safe(cls, value: str | None) -> str | None:
        return None if value is None else checked_url(value, what="webhook_url", fragment=False)

    @field_validator("privacy_statement_url")
    @classmethod
    def _privacy_url_is_safe(cls, value: str) -> str:
        return checked_url(value, what="privacy_statement_url", fragment=True)

    @field_validator("erasure_url")
    @classmethod
    def _erasure_url_is_safe(cls, value: str | None) -> str | None:
        return None if value is None else checked_url(value, what="erasure_url", fragment=False)

    @field_validator("encryption_jwks")
    @classmethod
    def _public_keys_only(cls, value: dict[str, Any]) -> dict[str, Any]:
        keys = value.get("keys")
        if not isinstance(keys, list) or not keys:
            raise ValueError("encryption_jwks needs at least one key")
        for key in keys:
            if not isinstance(key, dict) or "kid" not in key:
                raise ValueError("every encryption key needs a kid")
            if "d" in key:
                raise ValueError("encryption_jwks must hold public keys only")
        return value

    @model_validator(mode="after")
    def _within_its_purposes(self) -> ProviderRegistration:
        # a PurposeExceeded is no ValueError: say it as one, so the providers file and the CLI name it
        try:
            check_registration(
                self.purposes, self.sources(), self.want_documents, self.retention_days, self.third_parties
            )
        except PurposeExceeded as exc:
            raise ValueError(exc.message) from None
        return self

    def return_url_for(self, reference: str) -> str:
        """Where "back to the provider" leads for one application: ``{reference}`` in ``return_url`` becomes
        the provider's own reference for the session (URL-encoded; the reference is never personal)."""
        return self.return_url.replace(REFERENCE_PLACEHOLDER, quote(reference, safe=""))

    def sources(self) -> list[SourceName]:
        return [s for s in SOURCE_NAMES if s in self.required_sources or s in self.optional_sources]
