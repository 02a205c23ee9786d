"""Wiring: database, broker link (SDK), mailer, case service and intake, from ``ProviderSettings``."""

from __future__ import annotations

import threading
from collections.abc import Callable
from dataclasses import dataclass
from email.message import EmailMessage
from typing import Any

from databrug.provider_demo.accounts import add_caseworker
from databrug.provider_demo.broker_link import BrokerLink
from databrug.provider_demo.cases import CaseService
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.erasure import ErasureService
from databrug.provider_demo.intake import Intake
from databrug.provider_demo.mail import send
from databrug.provider_demo.municipalities import seed_settings
from databrug.provider_demo.storage.database import Database
from databrug.sdk import DatabrugClient

DEMO_CASEWORKER = ("medewerker", "Gemeentepolis-2026", "Demo-medewerker")
"""The demo's seeded back-office login (documented in docs/provider.md, printed by ``databrug demo``)."""


@dataclass
class ProviderServices:
    settings: ProviderSettings
    db: Database
    link: BrokerLink
    cases: CaseService
    intake: Intake
    erasure: ErasureService


class _ClientFactory:
    """SDK clients for the broker; the broker's receipt keys are fetched once, when first reachable."""

    def __init__(self, link: BrokerLink) -> None:
        self.link = link
        self._broker_jwks: dict[str, Any] | None = None
        self._lock = threading.Lock()

    def __call__(self) -> DatabrugClient:
        return self.link.client(self.broker_jwks())

    def broker_jwks(self) -> dict[str, Any] | None:
        """The broker's published keys (receipts and outcomes); None while the broker is unreachable."""
        with self._lock:
            if self._broker_jwks is None:
                self._broker_jwks = self.link.broker_jwks()
            return self._broker_jwks


def build_services(
    settings: ProviderSettings,
    *,
    link: BrokerLink | None = None,
    client: Callable[[], DatabrugClient] | None = None,
    mailer: Callable[[EmailMessage], None] | None = None,
) -> ProviderServices:
    link = link or BrokerLink.load(settings.credentials_file)
    db = Database(settings.database_url)
    db.migrate()
    with db.session() as session:
        seed_settings(session)
        if settings.seed_demo_caseworker:
            username, password, name = DEMO_CASEWORKER
            add_caseworker(session, username, password, name, is_admin=True)
    factory = _ClientFactory(link)
    make_client = client or factory
    cases = CaseService(db, settings, make_client, mailer or (lambda message: send(message, settings)))
    intake = Intake(db, make_client, link.webhook_secrets, link.private_jwks, factory.broker_jwks)
    erasure = ErasureService(cases, link.provider_id, link.signing_jwks)
    return ProviderServices(settings=settings, db=db, link=link, cases=cases, intake=intake, erasure=erasure)
