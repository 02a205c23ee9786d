"""The broker's background work, until stopped: expiry sweeps and webhook delivery."""

from __future__ import annotations

import asyncio
import logging
from typing import Protocol

from databrug.delivery.webhooks import WebhookSender
from databrug.errors import StoreUnavailable
from databrug.sessions.errors import SessionError
from databrug.sessions.service import SessionService

logger = logging.getLogger("databrug.broker")


class _Settings(Protocol):
    @property
    def expiry_sweep_seconds(self) -> float: ...
    @property
    def webhook_poll_seconds(self) -> float: ...


class _Background(Protocol):
    @property
    def settings(self) -> _Settings: ...
    @property
    def webhooks(self) -> WebhookSender: ...
    async def sweep(self) -> None: ...


async def sweep(sessions: SessionService) -> None:
    """End every session past its deadline; a store failure is logged and the next sweep tries again."""
    try:
        expired = await sessions.expire_due()
    except (SessionError, StoreUnavailable):  # the webhook outbox, queuing a deletion, may fail too
        logger.exception("expiry sweep failed")
        return
    if expired:
        logger.info("expired sessions count=%d", len(expired))


async def run_background(broker: _Background, stop: asyncio.Event) -> None:
    """Expiry sweeps and webhook delivery, until ``stop`` is set."""

    async def sweeps() -> None:
        while not stop.is_set():
            await broker.sweep()
            try:
                await asyncio.wait_for(stop.wait(), timeout=broker.settings.expiry_sweep_seconds)
            except TimeoutError:
                continue

    await asyncio.gather(sweeps(), broker.webhooks.run(stop, broker.settings.webhook_poll_seconds))
