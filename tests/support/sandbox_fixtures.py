"""The sandbox and the catalogue personas as module fixtures, for tests outside tests/integration/broker."""

from __future__ import annotations

from collections.abc import Iterator

import pytest

from databrug.robot.journey import Persona
from databrug.robot.setup import persona_of
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.docs import catalogue_listing
from databrug_sandbox.server import SandboxServer, SandboxSettings


@pytest.fixture(scope="module")
def sandbox() -> Iterator[SandboxServer]:
    with SandboxServer(SandboxSettings(port=0)) as server:
        yield server
        server.faults.clear()


@pytest.fixture(scope="module")
def personas() -> dict[str, Persona]:
    return {h["key"]: persona_of(h) for h in catalogue_listing(CATALOGUE)}
