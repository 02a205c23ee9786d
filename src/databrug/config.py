"""Typed settings, read once in ``bootstrap`` and handed down (env prefix ``DATABRUG_``)."""

from __future__ import annotations

import ipaddress
from pathlib import Path
from typing import Literal

from pydantic import Field, field_validator
from pydantic_settings import BaseSettings, SettingsConfigDict


class Settings(BaseSettings):
    model_config = SettingsConfigDict(env_prefix="DATABRUG_", extra="ignore")

    host: str = "127.0.0.1"
    broker_port: int = 8700
    provider_port: int = 8710
    sandbox_port: int = 8720
    public_url: str | None = None
    """How browsers and phones reach the broker; default http://host:broker_port."""
    sandbox_url: str | None = None
    """Base URL of the sandbox (IdP under /digid, portals by name); default http://host:sandbox_port."""
    digid_issuer: str | None = None
    portals_url: str | None = None
    digid_client_id: str = "databrug"

    session_store: Literal["memory", "redis"] = "memory"
    redis_url: str = "redis://127.0.0.1:6379/0"
    redis_prefix: str = "databrug"
    redis_connect_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    """Opening a connection to Redis. Past it, or the two below, a request answers store_unavailable (503)."""
    redis_timeout_seconds: float = Field(default=1.5, gt=0, le=10)
    """One command's answer (socket timeout): a stalled Redis fails a request within it instead of hanging."""
    redis_pool_timeout_seconds: float = Field(default=1.0, gt=0, le=10)
    """Waiting for a free pooled connection: a healthy Redis frees one in microseconds."""
    readiness_timeout_seconds: float = Field(default=2.0, gt=0, le=10)
    """``/ready`` answers 503 when the store does not answer a ping within this."""
    source_attempt_timeout_seconds: float = Field(default=15.0, gt=0, le=120)
    """One portal request, from connecting to the last byte of the answer."""
    source_deadline_seconds: float = Field(default=30.0, gt=0, le=300)
    """All attempts at one portal document together, backoff included: then the source failed, retry it."""
    source_fetch_bound_seconds: float = Field(default=75.0, gt=0, le=900)
    """One source's whole fetch (its documents at once, the BRP read binding them, parsing): past it the
    source failed, retry it. Room for two deadlines above and parsing. A fetch whose broker process died is
    released (failed, ``source_interrupted``) 5 s after this, by the next expiry sweep."""
    source_max_answer_bytes: int = Field(default=4 * 1024 * 1024, ge=1024, le=64 * 1024 * 1024)
    """A portal answer larger than this is refused while it streams (seven are read at once per fetch-all)."""
    providers_file: Path = Path("var/providers.json")
    broker_secret: str | None = None
    """Shared by every broker process (access tokens, receipt key). Generated per process when unset."""

    session_lifetime_seconds: int = 3 * 24 * 3600
    idle_timeout_seconds: int = 30 * 60
    pairing_ttl_seconds: int = 120
    pairing_attempts_per_minute: int = Field(default=300, gt=0)
    """Phone pairing attempts per client address per minute (short codes tried by scanning bots). Room for
    the many citizens behind one NAT or carrier-grade NAT address; the per-pairing limit below is the tight
    one. Behind a balancer the address is the citizen's only with ``trusted_proxies`` set."""
    pairing_attempts_per_token_per_minute: int = Field(default=10, gt=0)
    """Pairing attempts per pairing (one QR code or its short code) per minute, from any address."""
    token_requests_per_minute: int = Field(default=600, gt=0)
    """``/api/v1/token`` requests per provider (client id) per minute, checked before the secret's scrypt. As
    many as the sessions it may create: a client that fetches a token per session is not held up."""
    token_requests_per_address_per_minute: int = Field(default=600, gt=0)
    """``/api/v1/token`` requests per client address per minute, whichever client ids they name."""
    trusted_proxies: str = ""
    """Comma-separated addresses or networks (CIDR) of the load balancers in front of the broker: from them,
    and only from them, ``X-Forwarded-For`` and ``X-Forwarded-Proto`` are believed (the client's address is
    the nearest untrusted one in the chain). Empty: the TCP peer is the client, every header ignored."""
    sessions_per_minute: int = 600
    """Sessions one provider may create per minute."""
    pickup_window_seconds: int = 24 * 3600
    expiry_sweep_seconds: float = 15.0
    webhook_poll_seconds: float = 1.0
    webhook_retry_base_seconds: float = 5.0
    webhook_retry_cap_seconds: float = 3600.0
    webhook_lease_seconds: float = Field(default=60.0, ge=1, le=3600)
    """How long a process holds a webhook attempt it took from the outbox: if it dies, another process tries
    that event again after this (and, one session's events going in order, its later ones after that). Keep
    it above the attempt timeout (10 s), or an answer slower than the lease is sent twice (the provider
    de-duplicates by ``webhook-id``)."""

    access_log: bool = True
    """One log line per request (method, route template, status, time). Can be off where the load balancer
    logs requests already: the line is ~13% of a status read's CPU (docs/performance.md)."""
    tracing: Literal["off", "console", "otlp"] = "off"
    """OpenTelemetry spans (requests, source fetches, parses, deliveries), scrubbed to an allow-list of
    attributes (docs/deployment.md, "Tracing"). ``otlp``: OTLP over HTTP, needs the ``tracing`` extra;
    ``console``: printed, for debugging. Off: no provider, no span, no request middleware."""
    tracing_endpoint: str | None = Field(default=None, max_length=500)
    """The collector's OTLP/HTTP traces URL; unset: ``OTEL_EXPORTER_OTLP_TRACES_ENDPOINT`` or
    http://localhost:4318/v1/traces."""
    tracing_sample_ratio: float = Field(default=1.0, gt=0, le=1)
    """The share of traces kept (by trace id)."""
    tracing_export_timeout_seconds: float = Field(default=5.0, gt=0, le=60)
    metrics_port: int | None = Field(default=None, ge=0, le=65535)
    """Where ``GET /metrics`` (Prometheus text format) is served, on its own socket: keep the port private
    (not behind the public balancer). Unset: no metrics endpoint. ``databrug demo`` sets broker port + 1."""
    metrics_host: str = "127.0.0.1"
    """The address the metrics socket binds to: loopback by default, an internal address for a scraper."""
    bench_decrypt_counts: bool = False
    """For ``make bench`` only: count decrypt passes per blob per request, readable at ``/bench/decrypts``
    (counts only; ``web/decrypt_counts.py``)."""
    request_head_seconds: float = Field(default=10.0, gt=0, le=120)
    """A request's line and headers must have arrived this long after the connection opened or the head began
    (slow-header clients are cut off: 408). Limits of the server: ``web/server.py``."""
    request_body_seconds: float = Field(default=60.0, gt=0, le=600)
    """A request's body must have arrived this long after its head (a trickling upload is cut off)."""
    keep_alive_seconds: int = Field(default=5, gt=0, le=120)
    """An idle connection between requests is closed after this."""
    drain_seconds: int = Field(default=10, ge=1, le=300)
    """On SIGTERM, requests in flight have this long to finish before the process exits; event streams are
    ended at once with a reconnect instruction (docs/deployment.md, "Restarts and drain")."""

    provider_database_url: str = "sqlite:///var/provider.sqlite3"
    mail_port: int = 8725

    @field_validator("trusted_proxies")
    @classmethod
    def _proxies_are_addresses(cls, value: str) -> str:
        return ",".join(_network_or_address(item) for item in value.split(",") if item.strip())

    def trusted_proxy_networks(self) -> tuple[str, ...]:
        return tuple(item for item in self.trusted_proxies.split(",") if item)

    def broker_url(self) -> str:
        return (self.public_url or f"http://{self.host}:{self.broker_port}").rstrip("/")

    def sandbox_base(self) -> str:
        return (self.sandbox_url or f"http://{self.host}:{self.sandbox_port}").rstrip("/")

    def digid_issuer_url(self) -> str:
        return (self.digid_issuer or f"{self.sandbox_base()}/digid").rstrip("/")

    def portals_base(self) -> str:
        return (self.portals_url or self.sandbox_base()).rstrip("/")


def _network_or_address(item: str) -> str:
    """An address or a network in the form uvicorn compares with (it would take anything else as a name and
    silently never match it): ``*`` and names are refused, a network's host bits are cleared."""
    text = item.strip()
    try:
        return str(ipaddress.ip_network(text, strict=False) if "/" in text else ipaddress.ip_address(text))
    except ValueError:
        raise ValueError(f"trusted_proxies: '{text[:50]}' is not an IP address or network") from None
