"""The provider demo's own settings (env prefix ``DATABRUG_PROVIDER_``) — separate from the broker's."""

from __future__ import annotations

from pathlib import Path

from pydantic_settings import BaseSettings, SettingsConfigDict

RETENTION_DAYS = 365
"""How long the demo provider keeps a case: its commitment in the broker registration (``provisioning``) and
what its privacy page says."""


class ProviderSettings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATABRUG_PROVIDER_", extra="ignore")

    host: str = "127.0.0.1"
    port: int = 8710
    public_url: str | None = None
    database_url: str = "sqlite:///var/provider.sqlite3"
    credentials_file: Path = Path("var/demo/gezondverzekerd.json")
    """Written by ``databrug demo`` (or by hand): broker URL, client secret, webhook secret, private keys."""

    smtp_host: str = "127.0.0.1"
    smtp_port: int = 8725
    smtp_username: str | None = None
    smtp_password: str | None = None
    smtp_starttls: bool = False
    smtp_ssl: bool = False
    """Implicit TLS (SMTPS, usually port 465) instead of plain SMTP (+ optional STARTTLS)."""
    mail_from: str = "Gezondverzekerd demo <noreply@gezondverzekerd.invalid>"

    login_hours: int = 8
    secure_cookies: bool = False
    """Set when served over HTTPS: cookies get the Secure flag."""
    seed_demo_caseworker: bool = False

    def base_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.port}").rstrip("/")
