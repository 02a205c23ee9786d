"""Typed settings, read once in ``bootstrap`` and handed down (env prefix ``DATABRUG_``)."""

from __future__ import annotations

from typing import Literal

from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATABRUG_", extra="ignore")

    host: str = "127.0.0.1"
    broker_port: int = 8700
    provider_port: int = 8710
    sandbox_port: int = 8720
    public_url: str | None = None
    session_store: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    provider_database_url: str = "sqlite:///var/provider.sqlite3"
    sandbox_url: str | None = None
    pickup_window_seconds: int = 24 * 3600
