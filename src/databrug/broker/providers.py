"""Providers as the broker sees them: the registered provider a session belongs to, and a client
authenticated by its id and secret (the token endpoint)."""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable

from databrug.broker.errors import BrokerError
from databrug.registrations.credentials import RecentlyVerified, verify_secret
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry


def registered(registry: ProviderRegistry, provider_id: str) -> ProviderRegistration:
    found = registry.find(provider_id)
    if found is None:
        raise BrokerError("provider_unknown", "this provider is not registered")
    return found


async def authenticated(
    registry: ProviderRegistry,
    recently: RecentlyVerified,
    client_id: str,
    secret: str,
    limit: Callable[[], Awaitable[None]],
) -> ProviderRegistration:
    """The provider whose id and secret these are; ``unauthorised`` for anything else (one answer for an
    unknown client and a wrong secret). ``limit`` (the rate limits) runs before anything that is not a
    secret this process verified recently: a provider that got a token before is never held up by someone
    guessing its secret, and needs no store round trip for the next one."""
    provider = registry.find(client_id)
    if provider is not None and recently.knows(provider.id, provider.credentials, secret):
        return provider
    await limit()
    if provider is None:
        raise BrokerError("unauthorised", "unknown client or wrong secret")
    # scrypt takes tens of ms of CPU: in a worker thread, so the process keeps serving others meanwhile
    if not await asyncio.to_thread(verify_secret, provider.credentials, secret):
        raise BrokerError("unauthorised", "unknown client or wrong secret")
    recently.remember(provider.id, provider.credentials, secret)
    return provider
