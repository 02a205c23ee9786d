"""A real sandbox and real broker servers (memory store, or a real redis-server) for the broker tests."""

from __future__ import annotations

import itertools
from collections.abc import Iterator

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.redis_server import redis_server  # noqa: F401 - a fixture

from databrug.robot.journey import Persona
from databrug.robot.setup import persona_of
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.docs import catalogue_listing
from databrug_sandbox.server import SandboxServer, SandboxSettings

_prefixes = itertools.count()


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxSettings(port=0)) as server:
        yield server


@pytest.fixture(scope="module")
def personas() -> dict[str, Persona]:
    return {h["key"]: persona_of(h) for h in catalogue_listing(CATALOGUE)}


@pytest.fixture(scope="module", params=["memory", "redis"])
def broker(
    request: pytest.FixtureRequest, sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory
) -> Iterator[BrokerServer]:
    overrides: dict[str, object] = {}
    if request.param == "redis":
        server = request.getfixturevalue("redis_server")
        overrides = {"session_store": "redis", "redis_url": server.url, "redis_prefix": f"t{next(_prefixes)}"}
    with BrokerServer(tmp_path_factory.mktemp("broker"), sandbox.base_url, **overrides) as running:
        yield running
