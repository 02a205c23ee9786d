"""A provider's registration (docs/design.md §6). Holds no personal data; API secrets only as hashes."""

from __future__ import annotations

from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from databrug.records import SOURCE_NAMES, SourceName

PartnerMode = Literal["required", "optional", "off"]


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
    pickup_window_seconds: int = Field(default=24 * 3600, ge=60, le=14 * 24 * 3600)
    credentials: list[ApiCredential] = Field(default_factory=list, max_length=2)

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

    def sources(self) -> list[SourceName]:
        return [s for s in SOURCE_NAMES if s in self.required_sources or s in self.optional_sources]
