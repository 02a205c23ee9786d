"""Provider unit tests: database-backed ones run on SQLite and on a real PostgreSQL server."""

from tests.support.postgres_server import postgres_server  # noqa: F401 - a fixture
from tests.support.provider_db import provider_database_url  # noqa: F401 - a fixture
