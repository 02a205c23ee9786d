"""The provider's database for tests, parametrised: every test using ``provider_database_url`` runs
against SQLite and against a real PostgreSQL server."""

from __future__ import annotations

from pathlib import Path

import pytest

from tests.support.postgres_server import PostgresServer


@pytest.fixture(params=["sqlite", "postgres"])
def provider_database_url(request: pytest.FixtureRequest, tmp_path: Path) -> str:
    if request.param == "sqlite":
        return f"sqlite:///{tmp_path / 'provider.sqlite3'}"
    server: PostgresServer = request.getfixturevalue("postgres_server")
    return server.new_database()
