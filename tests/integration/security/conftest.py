"""A real sandbox and the catalogue personas for the security tests."""

from tests.support.sandbox_fixtures import personas, sandbox  # noqa: F401 - fixtures
