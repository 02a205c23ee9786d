"""The one place that picks adapters (memory|redis, sqlite|postgres, sandbox|real URLs)."""

from __future__ import annotations

from databrug.config import Settings


def load_settings() -> Settings:
    return Settings()
