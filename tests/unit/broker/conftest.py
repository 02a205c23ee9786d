from __future__ import annotations

from collections.abc import AsyncIterator

import pytest
from tests.unit.broker.fakes import World, build_world


@pytest.fixture
async def world() -> AsyncIterator[World]:
    built = build_world("company-car")
    yield built
    await built.broker.close()


@pytest.fixture
async def couple() -> AsyncIterator[World]:
    built = build_world("couple-both-employed")
    yield built
    await built.broker.close()
