"""The broker's outgoing HTTP has one connection pool per purpose, all closed with the app."""

from __future__ import annotations

from pathlib import Path

import httpx

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.web.app import create_app


async def test_sources_digid_and_webhooks_do_not_share_connections(tmp_path: Path) -> None:
    settings = Settings(providers_file=tmp_path / "providers.json", broker_secret="pools")
    broker = build_broker(settings)
    sources, identity, webhooks = broker.http
    assert len({id(sources), id(identity), id(webhooks)}) == 3
    assert broker.collector._http is sources
    assert broker.digid._http is identity
    assert broker.webhooks._client is webhooks
    app = create_app(broker, background=False)
    async with app.router.lifespan_context(app):
        pass
    assert all(client.is_closed for client in broker.http)
    assert isinstance(sources, httpx.AsyncClient)
