"""The one place that picks adapters (memory | redis, sandbox | real URLs) and wires the broker."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from datetime import timedelta

import httpx
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from joserfc.jwk import ECKey
from redis import asyncio as aioredis

from databrug.broker import Broker
from databrug.broker.collect import Collector
from databrug.broker.core import BrokerSettings
from databrug.broker.events import SessionEventForwarder
from databrug.broker.handover import DeletionAnnouncer
from databrug.config import Settings
from databrug.delivery.outbox import MemoryOutbox, Outbox
from databrug.delivery.redis_outbox import RedisOutbox
from databrug.delivery.webhooks import RetrySchedule, WebhookSender
from databrug.http_transport import AiohttpTransport
from databrug.identity.oidc import DigidClient
from databrug.metrics import BrokerMetrics
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.metered import MeteredStore
from databrug.sessions.redis import RedisSessionStore, RedisTimeouts
from databrug.sessions.service import SessionService, SessionSettings
from databrug.sessions.store import SessionStore
from databrug.sources.http import RetryPolicy

_P256_ORDER = int("FFFFFFFF00000000FFFFFFFFFFFFFFFFBCE6FAADA7179E84F3B9CAC2FC632551", 16)


def load_settings() -> Settings:
    return Settings()


def configured_broker_secret(settings: Settings) -> bytes | None:
    """The broker secret the operator set (the same in every process), or None when unset."""
    if settings.broker_secret:
        return hashlib.sha256(settings.broker_secret.encode("utf-8")).digest()
    return None


def broker_secret(settings: Settings) -> bytes:
    return configured_broker_secret(settings) or secrets.token_bytes(32)


def receipt_signing_key(secret: bytes) -> ECKey:
    """A P-256 key derived from the broker secret: every broker process signs receipts with the same key."""
    seed = hmac.new(secret, b"databrug deletion receipts v1", hashlib.sha512).digest()
    private_value = int.from_bytes(seed, "big") % (_P256_ORDER - 1) + 1
    private = ec.derive_private_key(private_value, ec.SECP256R1())
    pem = private.private_bytes(
        serialization.Encoding.PEM, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    kid = "receipts-" + hashlib.sha256(seed).hexdigest()[:12]
    return ECKey.import_key(pem, {"kid": kid, "use": "sig", "alg": "ES256"})


def configure_tracing(settings: Settings) -> bool:
    """Tracing on when the settings ask for it (once per process, before ``create_app``); True when on."""
    if settings.tracing == "off":
        return False
    from databrug import __version__
    from databrug.observability.exporting import exporter_for
    from databrug.observability.tracing import install

    exporter = exporter_for(
        settings.tracing, settings.tracing_endpoint, settings.tracing_export_timeout_seconds
    )
    install(exporter, version=__version__, sample_ratio=settings.tracing_sample_ratio)
    return True


def redis_timeouts(settings: Settings) -> RedisTimeouts:
    return RedisTimeouts(
        connect=settings.redis_connect_timeout_seconds,
        command=settings.redis_timeout_seconds,
        pool=settings.redis_pool_timeout_seconds,
    )


def session_store(settings: Settings) -> SessionStore:
    if settings.session_store == "redis":
        return RedisSessionStore.from_url(
            settings.redis_url, prefix=f"{settings.redis_prefix}:", timeouts=redis_timeouts(settings)
        )
    return MemorySessionStore()


def outbox(settings: Settings) -> Outbox:
    if settings.session_store == "redis":
        timeouts = redis_timeouts(settings)
        client = aioredis.Redis.from_url(
            settings.redis_url,
            decode_responses=False,
            socket_connect_timeout=timeouts.connect,
            socket_timeout=timeouts.command,
        )
        return RedisOutbox(client, prefix=f"{settings.redis_prefix}:")
    return MemoryOutbox()


def source_policy(settings: Settings) -> RetryPolicy:
    return RetryPolicy(
        timeout=settings.source_attempt_timeout_seconds,
        deadline=settings.source_deadline_seconds,
        max_bytes=settings.source_max_answer_bytes,
    )


def broker_settings(settings: Settings) -> BrokerSettings:
    return BrokerSettings(
        broker_url=settings.broker_url(),
        digid_issuer_url=settings.digid_issuer_url(),
        pairing_ttl_seconds=settings.pairing_ttl_seconds,
        pairing_attempts_per_minute=settings.pairing_attempts_per_minute,
        pairing_attempts_per_token_per_minute=settings.pairing_attempts_per_token_per_minute,
        token_requests_per_minute=settings.token_requests_per_minute,
        token_requests_per_address_per_minute=settings.token_requests_per_address_per_minute,
        sessions_per_minute=settings.sessions_per_minute,
        expiry_sweep_seconds=settings.expiry_sweep_seconds,
        webhook_poll_seconds=settings.webhook_poll_seconds,
        readiness_timeout_seconds=settings.readiness_timeout_seconds,
        access_log=settings.access_log,
        bench_decrypt_counts=settings.bench_decrypt_counts,
    )


def build_broker(settings: Settings, *, store: SessionStore | None = None) -> Broker:
    # One connection pool per purpose (bulkheads): slow portals or a provider's dead webhook endpoint must
    # not hold the connections a DigiD code exchange needs (waiting for a pooled connection counts against
    # the connect timeout, and 200 journeys fetching four sources each fill a pool of 200). Load test, 200
    # journeys in flight: 31 and 38 of 1,000 DigiD logins timed out with one shared pool, 3 with these.
    def client(connections: int) -> httpx.AsyncClient:
        transport = AiohttpTransport(max_connections=connections)
        return httpx.AsyncClient(follow_redirects=False, transport=transport)

    sources_http, identity_http, webhooks_http = client(400), client(100), client(100)
    registry = ProviderRegistry.load(settings.providers_file, configured_broker_secret(settings))
    secret = broker_secret(settings)
    receipt_key = receipt_signing_key(secret)
    metrics = BrokerMetrics()  # this broker's own registry, served on the private metrics port

    def webhook_secrets(provider_id: str) -> Sequence[str]:
        provider = registry.find(provider_id)
        return provider.webhook_secrets if provider else ()

    webhooks = WebhookSender(
        webhooks_http,
        outbox(settings),
        webhook_secrets,
        RetrySchedule(base=settings.webhook_retry_base_seconds, cap=settings.webhook_retry_cap_seconds),
        lease=timedelta(seconds=settings.webhook_lease_seconds),
        metrics=metrics,
    )
    events = SessionEventForwarder(registry, webhooks, DeletionAnnouncer(registry, webhooks, receipt_key))
    sessions = SessionService(
        MeteredStore(store or session_store(settings), metrics),
        on_event=events,
        metrics=metrics,
        pairing_secret=secret,
        settings=SessionSettings(
            lifetime_seconds=settings.session_lifetime_seconds,
            idle_timeout_seconds=settings.idle_timeout_seconds,
            pairing_ttl_seconds=settings.pairing_ttl_seconds,
            pickup_window_seconds=settings.pickup_window_seconds,
            fetch_bound_seconds=settings.source_fetch_bound_seconds,
        ),
    )
    return Broker(
        settings=broker_settings(settings),
        sessions=sessions,
        registry=registry,
        digid=DigidClient(identity_http, settings.digid_issuer_url(), settings.digid_client_id),
        collector=Collector(
            sources_http, settings.portals_base(), policy=source_policy(settings), metrics=metrics
        ),
        webhooks=webhooks,
        http=(sources_http, identity_http, webhooks_http),
        secret=secret,
        receipt_key=receipt_key,
        metrics=metrics,
    )
