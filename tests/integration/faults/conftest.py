"""A real sandbox (with fault injection) and the catalogue personas; Redis for the scale-out fault tests."""

from tests.support.redis_server import redis_server  # noqa: F401 - a fixture
from tests.support.sandbox_fixtures import personas, sandbox  # noqa: F401 - fixtures
