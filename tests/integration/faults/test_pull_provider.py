"""A provider without a webhook (or whose webhook stays down) pulls instead: it finds every delivered session
by polling the events, picks each package up exactly once within the window, and nothing is lost."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator

import pytest
from tests.support.broker_server import BrokerServer

from databrug.robot.journey import Persona, run_journey
from databrug.sdk import AsyncDatabrugClient, DatabrugError, verify_consents
from databrug_sandbox.server import SandboxServer

CHOSEN = ["single-renter-low-wage", "couple-both-employed", "ww-benefit"]


@pytest.fixture
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("pull"), sandbox.base_url) as running:
        yield running


async def test_a_pulling_provider_gets_every_package_once(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    endpoints = broker.endpoints()
    assert broker.broker.registry.find(endpoints.provider_id).webhook_url is None  # type: ignore[union-attr]
    results = await asyncio.gather(*(run_journey(personas[key], endpoints, pickup=False) for key in CHOSEN))
    assert all(r.ok for r in results), [r.error for r in results]
    sessions = [str(r.session_id) for r in results]
    async with AsyncDatabrugClient(
        endpoints.broker_url,
        endpoints.provider_id,
        endpoints.client_secret,
        private_jwks=endpoints.private_jwks,
    ) as provider:
        picked: list[str] = []
        for session in sessions:
            events = await provider.events(session)
            assert [e.type for e in events].count("session.delivered") == 1
            package = await provider.fetch_package(session)
            verify_consents(package)
            assert package.provider.id == endpoints.provider_id
            picked.append(package.package_id)
            await provider.acknowledge(session)
            with pytest.raises(DatabrugError) as gone:
                await provider.fetch_package(session)
            assert gone.value.code == "package_gone"
        assert len(set(picked)) == len(sessions)
