"""A broker on fakes for the use-case tests: the memory store, a collector that returns the sandbox's
documents for a catalogue household (parsed by the real parsers), the memory outbox; no servers, no HTTP."""

from __future__ import annotations

import json
import time
from collections import Counter
from dataclasses import dataclass
from datetime import UTC, datetime
from typing import Any

import httpx

from databrug.bootstrap import receipt_signing_key
from databrug.broker import AppSession, Broker
from databrug.broker.collect import Collector, FetchedDocument
from databrug.broker.core import BrokerSettings
from databrug.broker.events import SessionEventForwarder
from databrug.broker.handover import DeletionAnnouncer
from databrug.broker.login import subject_hash
from databrug.broker.vault import seal_value
from databrug.delivery.outbox import MemoryOutbox
from databrug.delivery.webhooks import WebhookSender
from databrug.identity.oidc import DigidClient
from databrug.records import DocumentType, Person, Role, SourceName
from databrug.registrations.model import ProviderRegistration
from databrug.registrations.store import ProviderRegistry
from databrug.sdk.crypto import generate_provider_keys
from databrug.sessions.clock import ManualClock
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import PartnerMode
from databrug.sessions.sealing import encode_session_key, new_session_key
from databrug.sessions.service import SessionService
from databrug.sessions.tokens import AppToken
from databrug.sources.connectors import by_document_type
from databrug.sources.parsing import ParseContext
from databrug_sandbox.documents import belastingdienst, brp, mpo, uwv
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.model import Citizen

PROVIDER = "unit-provider"
SOURCES: list[SourceName] = ["mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"]
KEYS = generate_provider_keys("P-256")
UNUSABLE_JWKS = {"keys": [{**KEYS.public_jwks["keys"][0], "use": "sig"}]}  # a signing key: not for JWE


def render(citizen: Citizen, source: SourceName) -> tuple[DocumentType, bytes]:
    """One document per source (the fetch plan's first or richest), as the sandbox portal serves it."""
    if source == "mijnoverheid":
        return "brp-persoon", brp.render_brp(citizen)
    if source == "uwv":
        return "verzekeringsbericht", uwv.render_verzekeringsbericht(citizen)
    if source == "belastingdienst":
        return "belastinggegevens", belastingdienst.render_belastinggegevens(citizen)
    return "pensioenoverzicht", mpo.render_pensioenoverzicht(citizen, "xml")


class SandboxCollector(Collector):
    """The household's citizens' documents, found by the BSN the DigiD login gave."""

    def __init__(self, household: str) -> None:  # no HTTP client, no worker threads
        self.household = CATALOGUE[household]
        self.citizens = {citizen.bsn: citizen for citizen in CATALOGUE[household].citizens()}
        self.fetched: list[tuple[Role, SourceName]] = []

    def close(self) -> None:
        pass

    async def collect(self, role: Role, source: SourceName, token: str, bsn: str) -> list[FetchedDocument]:
        self.fetched.append((role, source))
        document_type, data = render(self.citizens[bsn], source)
        context = ParseContext(subject=role, subject_bsn=bsn)
        return [FetchedDocument(parsed=by_document_type(document_type).parse(data, context), original=data)]

    async def fetch_person(self, role: Role, token: str, bsn: str) -> Person | None:
        return self.citizens[bsn].facts.person


def registration(jwks: dict[str, Any], partner: PartnerMode = "off") -> ProviderRegistration:
    return ProviderRegistration(
        id=PROVIDER,
        display_name="Unit provider",
        return_url="https://provider.invalid/back",
        webhook_url="https://provider.invalid/hook",
        encryption_jwks=jwks,
        partner=partner,
        purposes=["gemeentepolis"],
        retention_days=365,
        privacy_statement_url="https://provider.invalid/privacy",
    )


@dataclass
class World:
    broker: Broker
    outbox: MemoryOutbox
    collector: SandboxCollector
    clock: ManualClock

    async def events(self) -> list[str]:
        return [json.loads(delivery.body)["type"] for delivery in await self.outbox.pending()]


def build_world(household: str) -> World:
    registry = ProviderRegistry([registration(KEYS.public_jwks)])
    outbox = MemoryOutbox()
    http = httpx.AsyncClient()
    webhooks = WebhookSender(http, outbox, lambda provider_id: ["whsec_" + "A" * 32])
    secret = b"unit-test-broker-secret-32-bytes"
    receipt_key = receipt_signing_key(secret)
    deletions = DeletionAnnouncer(registry, webhooks, receipt_key)
    clock = ManualClock(datetime.now(UTC))
    sessions = SessionService(
        MemorySessionStore(), clock, on_event=SessionEventForwarder(registry, webhooks, deletions)
    )
    collector = SandboxCollector(household)
    broker = Broker(
        settings=BrokerSettings(
            broker_url="https://broker.invalid", digid_issuer_url="https://digid.invalid"
        ),
        sessions=sessions,
        registry=registry,
        digid=DigidClient(http, "https://digid.invalid", "unit"),
        collector=collector,
        webhooks=webhooks,
        http=(http,),
        secret=secret,
        receipt_key=receipt_key,
    )
    return World(broker, outbox, collector, clock)


@dataclass
class Phone:
    token: AppToken
    key: bytes


async def logged_in(world: World, partner_mode: PartnerMode = "off") -> Phone:
    """A session paired on the phone, its applicant logged in with DigiD (recorded as the broker does)."""
    sessions = world.broker.sessions
    _, page = await sessions.create_session(PROVIDER, "CASE-1", SOURCES, partner_mode=partner_mode)
    token = await sessions.pairing.start_on_phone(page)
    app = await sessions.app_session(token)
    await log_in(world, app, "applicant", world.collector.household.applicant.bsn)
    return Phone(token, new_session_key())


async def log_in(world: World, app: AppSession, role: Role, bsn: str, *, to_consent: bool = False) -> None:
    """Record a DigiD login of ``bsn`` as ``role``, with the keyed subject hash the broker records."""
    hashed = subject_hash(world.broker.secret, app.session_id, bsn)
    await world.broker.sessions.mark_authenticated(app, role, "substantieel", hashed, to_consent=to_consent)


def phone_cookies(phone: Phone, session_id: str, logins: dict[Role, str]) -> dict[str, str]:
    """The cookies a phone holds: its app token, its session key, and per person a DigiD login (the BSN in
    it is whatever the test says: the phone holds the key that seals it, so it can write any)."""
    cookies = {"dba": phone.token.reveal(), "dbk": encode_session_key(phone.key)}
    for role, bsn in logins.items():
        name = f"dbd_{role}"
        login = {"bsn": bsn, "token": "digid-token", "exp": time.time() + 600}
        cookies[name] = seal_value(phone.key, session_id, name, login)
    return cookies


async def request(world: World, phone: Phone) -> AppSession:
    """What each web request starts with: the session as the phone's token finds it, and a fresh count of
    decrypt passes (a request may open each blob once)."""
    world.broker.vault.opened = Counter()
    return await world.broker.sessions.app_session(phone.token)


def opened(world: World) -> Counter[tuple[str, Role, SourceName]]:
    assert world.broker.vault.opened is not None
    return world.broker.vault.opened


def most_opened(world: World) -> int:
    return max(opened(world).values(), default=0)


async def collect_all(world: World, phone: Phone, role: Role, bsn: str) -> None:
    """ "Fetch all" then the sources page: neither opens a sealed record."""
    await world.broker.collect_all(await request(world, phone), phone.key, role, "digid-token", bsn)
    assert most_opened(world) == 0
    app = await request(world, phone)
    assert await world.broker.uploaded_sources(app, phone.key, role) == set()
    assert most_opened(world) == 0, "the sources page reads the indexes, not the records"
