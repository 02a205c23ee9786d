"""Tables. Personal data stays in these rows (never in logs or URLs); cases are addressed by opaque ids."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import JSON, Boolean, DateTime, ForeignKey, Integer, String, Text, TypeDecorator
from sqlalchemy.engine import Dialect
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column


class UtcDateTime(TypeDecorator[datetime]):
    """Aware UTC datetimes on every backend (SQLite drops the offset; this puts it back)."""

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


class Base(DeclarativeBase):
    pass


class MunicipalitySettingsRow(Base):
    """Gemeentepolis parameters per municipality; the row with code ``default`` applies to all others."""

    __tablename__ = "municipality_settings"

    code: Mapped[str] = mapped_column(String(16), primary_key=True)
    settings: Mapped[dict[str, object]] = mapped_column(JSON)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_by: Mapped[str | None] = mapped_column(String(64), nullable=True)


class Case(Base):
    __tablename__ = "cases"

    id: Mapped[str] = mapped_column(String(40), primary_key=True)
    municipality_code: Mapped[str] = mapped_column(String(16), index=True)
    status: Mapped[str] = mapped_column(String(32), index=True)
    applicant_name: Mapped[str] = mapped_column(String(200))
    email: Mapped[str] = mapped_column(String(254))
    phone: Mapped[str | None] = mapped_column(String(40), nullable=True)
    partner_declared: Mapped[bool] = mapped_column(Boolean)
    children: Mapped[int] = mapped_column(Integer)
    language: Mapped[str] = mapped_column(String(2), default="nl")
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    updated_at: Mapped[datetime] = mapped_column(UtcDateTime)
    settings_snapshot: Mapped[dict[str, object]] = mapped_column(JSON)
    session_id: Mapped[str | None] = mapped_column(String(100), nullable=True, unique=True)
    citizen_url: Mapped[str | None] = mapped_column(Text, nullable=True)
    session_expires_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    invitation_sent_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    invitations_sent: Mapped[int] = mapped_column(Integer, default=0)
    session_state: Mapped[str | None] = mapped_column(String(40), nullable=True)
    advice: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    advice_outcome: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decision: Mapped[str | None] = mapped_column(String(16), nullable=True)
    decision_reason: Mapped[str | None] = mapped_column(String(32), nullable=True)
    decision_note: Mapped[str | None] = mapped_column(Text, nullable=True)
    decided_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    delivery: Mapped[str] = mapped_column(String(8), default="data")
    """How the case's current session delivers: "data" or "outcome" (the broker's signed outcome only)."""
    outcome: Mapped[dict[str, object] | None] = mapped_column(JSON, nullable=True)
    """The verified claims of the broker's signed outcome (codes, parameters, digest: no amounts)."""


class StoredPackage(Base):
    """A package exactly as received: the JWE, which stays encrypted to the provider's key at rest."""

    __tablename__ = "packages"

    package_id: Mapped[str] = mapped_column(String(80), primary_key=True)
    case_id: Mapped[str] = mapped_column(ForeignKey("cases.id", ondelete="CASCADE"), index=True)
    session_id: Mapped[str] = mapped_column(String(100))
    jwe: Mapped[str] = mapped_column(Text)
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    consents_verified: Mapped[bool] = mapped_column(Boolean)
    deletion_receipt: Mapped[str | None] = mapped_column(Text, nullable=True)
    receipt_matches: Mapped[bool | None] = mapped_column(Boolean, nullable=True)
    acknowledged_at: Mapped[datetime | None] = mapped_column(UtcDateTime, nullable=True)
    erasure_token_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True, index=True)
    """The SHA-256 (hex) of the citizen's erasure code, from the package: showing the code erases the case."""


class ReceivedWebhook(Base):
    """Webhook ids already handled: the replay cache and the idempotency record, shared by all processes."""

    __tablename__ = "webhooks_received"

    webhook_id: Mapped[str] = mapped_column(String(200), primary_key=True)
    event_type: Mapped[str] = mapped_column(String(64))
    received_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)


class Caseworker(Base):
    __tablename__ = "caseworkers"

    username: Mapped[str] = mapped_column(String(64), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(200))
    password_hash: Mapped[str] = mapped_column(String(300))
    is_admin: Mapped[bool] = mapped_column(Boolean, default=False)


class LoginSession(Base):
    """A caseworker's login: only the SHA-256 of the cookie token is stored."""

    __tablename__ = "login_sessions"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("caseworkers.username", ondelete="CASCADE"))
    csrf_token: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UtcDateTime)
    expires_at: Mapped[datetime] = mapped_column(UtcDateTime, index=True)
