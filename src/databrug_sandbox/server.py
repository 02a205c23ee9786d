"""The sandbox as one FastAPI app: DigiD IdP, the four portals, failure injection and admin endpoints.

``create_app(settings)`` assembles it; ``SandboxServer`` runs it with uvicorn in a background thread (for the
demo and for tests); ``databrug-sandbox serve`` runs it in the foreground.
"""

from __future__ import annotations

import importlib
import logging
import os
import re
import socket
import threading
import time
from collections.abc import Iterable, Mapping
from dataclasses import dataclass, field, replace
from pathlib import Path
from types import TracebackType
from typing import Any

import uvicorn
from fastapi import FastAPI
from fastapi.responses import Response
from prometheus_client.exposition import CONTENT_TYPE_LATEST
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from databrug_sandbox.faults import (
    FaultInjectionMiddleware,
    FaultPlan,
    FaultRegistry,
    fault_admin_router,
    load_fault_plan,
)
from databrug_sandbox.idp.accounts import Account, AccountDirectory, rvig_account
from databrug_sandbox.idp.clients import ClientRegistration, ClientRegistry
from databrug_sandbox.idp.keys import SigningKey
from databrug_sandbox.idp.provider import DigidProvider, IdpConfig
from databrug_sandbox.idp.router import build_digid_router, build_lockout_admin_router
from databrug_sandbox.metrics import SandboxMetrics
from databrug_sandbox.personas.model import Citizen, Household
from databrug_sandbox.portals import belastingdienst, mijnoverheid, mijnpensioenoverzicht, uwv
from databrug_sandbox.portals.auth import AccessTokenVerifier, caller_dependency
from databrug_sandbox.portals.problems import PortalProblem, handle_portal_problem
from databrug_sandbox.portals.sources import rvig_bsns

logger = logging.getLogger("databrug_sandbox.server")
access_logger = logging.getLogger("databrug_sandbox.access")

BROKER_CLIENT_ID = "databrug"
DEFAULT_PORT = 8720
# The broker's DigiD callback on its default port; any port matches for loopback URIs (RFC 8252 §7.3).
DEFAULT_REDIRECT_URIS: tuple[str, ...] = (
    "http://127.0.0.1:8700/app/digid/callback",
    "http://localhost:8700/app/digid/callback",
)
ENV_PREFIX = "DATABRUG_SANDBOX_"


@dataclass(frozen=True)
class SandboxSettings:
    host: str = "127.0.0.1"
    port: int = DEFAULT_PORT
    public_base_url: str | None = (
        None  # how browsers and the broker reach the sandbox; default http://host:port
    )
    redirect_uris: tuple[str, ...] = DEFAULT_REDIRECT_URIS
    client_secret: str | None = None  # None: the broker is a public client proving itself with PKCE
    extra_clients: tuple[ClientRegistration, ...] = ()
    lockout_threshold: int = 3
    lockout_minutes: float = 15.0
    code_ttl_seconds: int = 60
    token_ttl_seconds: int = 900
    faults: FaultPlan = field(default_factory=FaultPlan)
    signing_key_path: Path | None = None

    @property
    def base_url(self) -> str:
        if self.public_base_url:
            return self.public_base_url.rstrip("/")
        host = f"[{self.host}]" if ":" in self.host else self.host
        return f"http://{host}:{self.port}"

    @classmethod
    def from_env(
        cls, environ: Mapping[str, str] | None = None, overrides: Mapping[str, Any] | None = None
    ) -> SandboxSettings:
        """Settings from ``DATABRUG_SANDBOX_*`` variables; overrides that are not None (the CLI's) win."""
        env = os.environ if environ is None else environ

        def get(name: str) -> str | None:
            value = env.get(ENV_PREFIX + name)
            return value.strip() if value and value.strip() else None

        values: dict[str, Any] = {}
        if host := get("HOST"):
            values["host"] = host
        if port := get("PORT"):
            values["port"] = int(port)
        if public := get("PUBLIC_URL"):
            values["public_base_url"] = public
        if uris := get("REDIRECT_URIS"):
            values["redirect_uris"] = tuple(u.strip() for u in uris.split(",") if u.strip())
        if secret := get("CLIENT_SECRET"):
            values["client_secret"] = secret
        if minutes := get("LOCKOUT_MINUTES"):
            values["lockout_minutes"] = float(minutes)
        if key_path := get("SIGNING_KEY"):
            values["signing_key_path"] = Path(key_path)
        values["faults"] = load_fault_plan(environ=env)
        values.update({k: v for k, v in (overrides or {}).items() if v is not None})
        return cls(**values)

    def clients(self) -> ClientRegistry:
        broker = ClientRegistration(
            client_id=BROKER_CLIENT_ID,
            redirect_uris=self.redirect_uris,
            client_secret=self.client_secret,
            name="Databrug",
            id_token_signed_response_alg="ES256",  # noqa: S106 - an algorithm name
        )
        return ClientRegistry.of(broker, *self.extra_clients)


def catalogue_households() -> list[Household]:
    """The named personas, if the catalogue is there (it is written alongside the sandbox server)."""
    try:
        catalogue = importlib.import_module("databrug_sandbox.personas.catalogue")
        households = getattr(catalogue, "CATALOGUE", {})
        return [h for h in households.values() if isinstance(h, Household)]
    except Exception:
        # A broken or missing catalogue leaves the sandbox usable with the RvIG and generated logins.
        logger.exception("the personas catalogue could not be loaded")
        return []


def account_of(citizen: Citizen, origin: str) -> Account:
    login = citizen.digid
    return Account(
        username=login.username,
        password=login.password,
        bsn=citizen.bsn,
        sms_enabled=login.sms_enabled,
        phone=login.phone,
        origin=origin,
    )


def generated_account(username: str) -> Account | None:
    """A generated persona's login (``gen-<seed>-a`` / ``gen-<seed>-p``), made on demand from its seed."""
    if not username.startswith("gen-"):
        return None
    try:
        directory = importlib.import_module("databrug_sandbox.personas.directory")
    except Exception:
        logger.exception("the personas directory could not be loaded")
        return None
    found = directory.find_by_username(username)
    if found is None:
        return None
    household, citizen = found
    if not isinstance(household, Household) or not isinstance(citizen, Citizen):
        return None
    return account_of(citizen, f"generated:{household.key}")


def build_accounts(households: Iterable[Household], rvig: Iterable[str]) -> AccountDirectory:
    accounts = AccountDirectory(lookup=generated_account)
    seen_bsns: set[str] = set()
    for household in households:
        for citizen in household.citizens():
            if citizen.bsn in seen_bsns:
                continue
            seen_bsns.add(citizen.bsn)
            accounts.add(account_of(citizen, f"catalogue:{household.key}"))
    for bsn in rvig:
        if bsn not in seen_bsns:
            accounts.add(rvig_account(bsn))
    return accounts


_DIGIT_RUN = re.compile(r"\d{8,}")


class AccessLogMiddleware:
    """One log line per request: method, path without query, status, time. Uvicorn's own access log is off
    because it logs query strings (``?username=rvig-<bsn>``); long digit runs are masked here too. The same
    measurement goes to the sandbox's request metrics (by route template, never the path)."""

    def __init__(self, app: ASGIApp, metrics: SandboxMetrics) -> None:
        self.app = app
        self.metrics = metrics

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        started = time.perf_counter()
        status = 0

        async def remember_status(message: Message) -> None:
            nonlocal status
            if message["type"] == "http.response.start":
                status = message["status"]
            await send(message)

        try:
            await self.app(scope, receive, remember_status)
        finally:
            elapsed = time.perf_counter() - started
            route = getattr(scope.get("route"), "path", None)
            self.metrics.request(
                scope["method"], route if isinstance(route, str) else "unmatched", status, elapsed
            )
            path = _DIGIT_RUN.sub(lambda m: "*" * len(m.group()), scope["path"])
            access_logger.info("%s %s %d %.0fms", scope["method"], path, status, elapsed * 1000)


def _persona_listing(accounts: AccountDirectory) -> list[dict[str, Any]]:
    return [
        {
            "username": a.username,
            "password": a.password,
            "sms_enabled": a.sms_enabled,
            "highest_level": a.highest_level,
            "origin": a.origin,
            "bsn": a.bsn,
        }
        for a in accounts.all()
    ]


def create_app(settings: SandboxSettings | None = None, accounts: AccountDirectory | None = None) -> FastAPI:
    settings = settings or SandboxSettings()
    if accounts is None:
        accounts = build_accounts(catalogue_households(), rvig_bsns())
    key = (
        SigningKey.from_file(settings.signing_key_path)
        if settings.signing_key_path
        else SigningKey.generate()
    )
    idp = DigidProvider(
        IdpConfig(
            base_url=settings.base_url,
            clients=settings.clients(),
            lockout_threshold=settings.lockout_threshold,
            lockout_minutes=settings.lockout_minutes,
            code_ttl_seconds=settings.code_ttl_seconds,
            token_ttl_seconds=settings.token_ttl_seconds,
        ),
        accounts,
        key,
    )
    faults = FaultRegistry(settings.faults)
    app = FastAPI(
        title="Databrug sandbox",
        description="Simulated DigiD and government portals for Databrug. SANDBOX: synthetic data only.",
        version="1",
        telemetry={"tracing": False, "metrics": False, "logs": False, "operation_spans": False},
    )
    app.state.settings = settings
    app.state.idp = idp
    app.state.faults = faults

    verifier = AccessTokenVerifier(jwks=idp.key.jwks, issuer=idp.issuer)
    caller = caller_dependency(verifier)
    app.add_exception_handler(PortalProblem, handle_portal_problem)
    app.include_router(build_digid_router(idp))
    for portal in (mijnoverheid, uwv, belastingdienst, mijnpensioenoverzicht):
        app.include_router(portal.build_router(caller))
    app.include_router(fault_admin_router(faults))
    app.include_router(build_lockout_admin_router(idp))

    @app.get("/admin/personas", tags=["admin: personas"])
    async def personas() -> list[dict[str, Any]]:
        return _persona_listing(idp.accounts)

    @app.get("/admin/households", tags=["admin: personas"])
    async def households() -> list[dict[str, Any]]:
        """The named catalogue: households with their people, logins and key facts (for robots and tools)."""
        from databrug_sandbox.personas.catalogue import CATALOGUE
        from databrug_sandbox.personas.docs import catalogue_listing

        return catalogue_listing(CATALOGUE)

    metrics = SandboxMetrics()
    app.state.metrics = metrics

    @app.get("/metrics", include_in_schema=False)
    async def metrics_text() -> Response:
        return Response(metrics.exposition(), media_type=CONTENT_TYPE_LATEST)

    @app.get("/healthz", include_in_schema=False)
    async def healthz() -> dict[str, str]:
        return {"status": "ok"}

    app.add_middleware(FaultInjectionMiddleware, registry=faults)
    app.add_middleware(AccessLogMiddleware, metrics=metrics)  # the log line and the request metrics
    return app


def sandbox_urls(settings: SandboxSettings) -> dict[str, str]:
    base = settings.base_url
    return {
        "DigiD discovery": f"{base}/digid/.well-known/openid-configuration",
        "DigiD SMS inbox": f"{base}/digid/sms",
        "MijnOverheid BRP": f"{base}/mijnoverheid/haalcentraal/api/brp/personen",
        "MijnOverheid WOZ": f"{base}/mijnoverheid/api/wozobjecten",
        "MijnOverheid vehicles": f"{base}/mijnoverheid/api/voertuigen",
        "UWV": f"{base}/uwv/api/verzekeringsbericht",
        "Belastingdienst": f"{base}/belastingdienst/api/belastinggegevens",
        "Toeslagen": f"{base}/belastingdienst/api/toeslagen",
        "Mijnpensioenoverzicht": f"{base}/mijnpensioenoverzicht/api/download?formaat=xml",
        "Personas (logins)": f"{base}/admin/personas",
        "Fault injection": f"{base}/admin/faults",
        "API docs": f"{base}/docs",
    }


def bind_socket(host: str, port: int) -> socket.socket:
    """A listening socket; port 0 picks a free one (read it back from ``getsockname``)."""
    family = socket.AF_INET6 if ":" in host else socket.AF_INET
    sock = socket.socket(family, socket.SOCK_STREAM)
    sock.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    sock.bind((host, port))
    sock.listen(128)
    sock.set_inheritable(True)
    return sock


class SandboxServer:
    """Run the sandbox in a background thread: ``with SandboxServer(settings) as server: server.base_url``.

    With ``port=0`` a free port is chosen before the app is built, so the issuer URL is right.
    """

    def __init__(
        self,
        settings: SandboxSettings | None = None,
        accounts: AccountDirectory | None = None,
        log_level: str = "warning",
    ) -> None:
        settings = settings or SandboxSettings(port=0)
        self._socket = bind_socket(settings.host, settings.port)
        actual_port = self._socket.getsockname()[1]
        self.settings = replace(settings, port=actual_port)
        self.app = create_app(self.settings, accounts)
        config = uvicorn.Config(self.app, log_level=log_level, access_log=False, lifespan="off")
        self._server = uvicorn.Server(config)
        self._thread = threading.Thread(
            target=self._server.run, kwargs={"sockets": [self._socket]}, daemon=True
        )

    @property
    def base_url(self) -> str:
        return self.settings.base_url

    @property
    def idp(self) -> DigidProvider:
        provider: DigidProvider = self.app.state.idp
        return provider

    @property
    def faults(self) -> FaultRegistry:
        registry: FaultRegistry = self.app.state.faults
        return registry

    def start(self, timeout: float = 10.0) -> SandboxServer:
        self._thread.start()
        deadline = time.monotonic() + timeout
        while not self._server.started:
            if not self._thread.is_alive() or time.monotonic() > deadline:
                raise RuntimeError("the sandbox server did not start")
            time.sleep(0.01)
        return self

    def stop(self) -> None:
        self._server.should_exit = True
        self._thread.join(timeout=10)
        self._socket.close()

    def __enter__(self) -> SandboxServer:
        return self.start()

    def __exit__(
        self, exc_type: type[BaseException] | None, exc: BaseException | None, tb: TracebackType | None
    ) -> None:
        self.stop()
