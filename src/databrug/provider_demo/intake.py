"""Receiving packages: the signed webhook (push) and "fetch now" (pull), both through the SDK.

Order on ``package.ready``: fetch the JWE → decrypt + validate (SDK) → check every consent (SDK) → store the
JWE as received (it stays encrypted to our key at rest) and the advice → only then acknowledge, and keep
the broker's signed deletion receipt. With the package goes the SHA-256 of the citizen's erasure code
(``erasure.py``).

An outcome package (the municipality asks for the outcome only) carries the broker's signed outcome of the
Gemeentepolis rule instead of the data: its signature is checked with the broker's published key (SDK
``verify_outcome``), its claims become the case's outcome and advice. When the citizen also sent the data
(after an "investigate"), the own advice is computed as for a data package and the outcome's inputs digest
checked against the data (``outcome_inputs_match``).

Idempotent by webhook id (a replay cache in the database, shared by every process) and by package id (a
package already stored is acknowledged again, never stored twice).
"""

from __future__ import annotations

import logging
from collections.abc import Callable, Mapping
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import delete, select
from sqlalchemy.exc import IntegrityError

from databrug.eligibility import Declaration, assess
from databrug.eligibility.model import Advice
from databrug.provider_demo.municipalities import settings_for
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.storage.database import Database
from databrug.provider_demo.storage.tables import Case, ReceivedWebhook, StoredPackage
from databrug.records import DataPackage, Subject
from databrug.sdk import (
    DatabrugClient,
    DatabrugError,
    PackageError,
    WebhookReplayed,
    WebhookVerificationError,
    decrypt_package,
    outcome_inputs_match,
    verify_consents,
    verify_outcome,
    verify_webhook,
)

log = logging.getLogger("databrug.provider_demo.intake")

# Keep handled webhook ids for longer than the broker retries (the pick-up window, default 24 h).
WEBHOOK_RETENTION = timedelta(hours=48)
FINAL_STATES = {"acknowledged", "cancelled", "expired", "failed"}


class DatabaseReplayCache:
    """``databrug.sdk.ReplayCache`` in the provider's database, so every provider process shares it."""

    def __init__(self, db: Database, event_type: str = "?") -> None:
        self.db = db
        self.event_type = event_type

    def seen(self, webhook_id: str, now: float, ttl: float) -> bool:
        at = datetime.fromtimestamp(now, UTC)
        keep = max(timedelta(seconds=ttl), WEBHOOK_RETENTION)
        try:
            with self.db.session() as db:
                db.execute(delete(ReceivedWebhook).where(ReceivedWebhook.expires_at < at))
                db.add(
                    ReceivedWebhook(
                        webhook_id=webhook_id[:200],
                        event_type=self.event_type[:64],
                        received_at=at,
                        expires_at=at + keep,
                    )
                )
        except IntegrityError:
            return True
        return False

    def forget(self, webhook_id: str) -> None:
        with self.db.session() as db:
            db.execute(delete(ReceivedWebhook).where(ReceivedWebhook.webhook_id == webhook_id[:200]))


class Intake:
    def __init__(
        self,
        db: Database,
        client: Callable[[], DatabrugClient],
        webhook_secrets: tuple[str, ...],
        private_jwks: Mapping[str, Any],
        broker_jwks: Callable[[], Mapping[str, Any] | None] = lambda: None,
    ) -> None:
        self.db = db
        self.client = client
        self.webhook_secrets = webhook_secrets
        self.private_jwks = private_jwks
        self.broker_jwks = broker_jwks

    def handle_webhook(self, headers: Mapping[str, str], body: bytes) -> tuple[int, str]:
        """(HTTP status, short text) for the broker. 400 forged/stale, 2xx handled or duplicate, 5xx retry."""
        cache = DatabaseReplayCache(self.db)
        try:
            event = verify_webhook(headers, body, list(self.webhook_secrets), replay_cache=cache)
        except WebhookReplayed:
            return 200, "duplicate"
        except WebhookVerificationError as error:
            log.warning("webhook refused code=%s", error.code)
            return 400, error.code
        try:
            session_id = str(event.data.get("session_id", ""))
            if event.type == "package.ready" and session_id:
                self.receive(session_id)
            elif event.type == "package.deleted" and session_id:
                self._record_deletion(session_id, event.data.get("receipt"))
            elif session_id and isinstance(event.data.get("state"), str):
                self._record_state(session_id, str(event.data["state"]))
        except (DatabrugError, PackageError) as error:
            cache.forget(event.id)
            log.warning("webhook handling failed type=%s code=%s", event.type, error.code)
            return 503, "retry"
        except Exception as error:  # logged by type only: a message or traceback could hold dossier data
            cache.forget(event.id)
            log.error("webhook handling crashed type=%s error=%s", event.type, type(error).__name__)
            return 500, "retry"
        return 204, ""

    def _case_for(self, session_id: str) -> Case | None:
        with self.db.session() as db:
            return db.scalars(select(Case).where(Case.session_id == session_id)).first()

    def _record_state(self, session_id: str, state: str) -> None:
        with self.db.session() as db:
            case = db.scalars(select(Case).where(Case.session_id == session_id)).first()
            if case is not None:
                case.session_state = state[:40]
                case.updated_at = datetime.now(UTC)

    def _record_deletion(self, session_id: str, receipt: object) -> None:
        if not isinstance(receipt, str):
            return
        with self.db.session() as db:
            stored = db.scalars(select(StoredPackage).where(StoredPackage.session_id == session_id)).first()
            if stored is not None and stored.deletion_receipt is None:
                stored.deletion_receipt = receipt

    def refresh(self, case_id: str) -> str | None:
        """ "Fetch now": ask the broker for the session's state and pick up a package a webhook missed."""
        with self.db.session() as db:
            case = db.get(Case, case_id)
            session_id = case.session_id if case else None
        if session_id is None:
            return None
        with self.client() as client:
            status = client.get_session(session_id)
        self._record_state(session_id, status.state)
        if status.state == "delivered":
            self.receive(session_id)
        return status.state

    def receive(self, session_id: str) -> str | None:
        """Fetch, decrypt, check, store, assess, acknowledge. Returns the case id (None: not ours)."""
        case = self._case_for(session_id)
        if case is None:
            log.warning("package for an unknown session ignored")
            return None
        with self.db.session() as db:
            earlier = db.scalars(select(StoredPackage).where(StoredPackage.session_id == session_id)).first()
        if earlier is not None and earlier.acknowledged_at is not None:
            return case.id  # already stored and acknowledged: a repeat does nothing
        with self.client() as client:
            if earlier is None:
                jwe = client.fetch_package_jwe(session_id)
                package = decrypt_package(jwe, self.private_jwks)
                if package.provider_reference != case.id:
                    raise PackageError("package_reference_mismatch", "the package names another case")
                verify_consents(package)
                outcome = self._verified_outcome(package)
                self._store(case.id, session_id, jwe, package, outcome)
                package_id = package.package_id
            else:  # stored before, but the acknowledgement did not get through: acknowledge again
                jwe, package_id = earlier.jwe, earlier.package_id
            ack = client.acknowledge(session_id)
        with self.db.session() as db:
            stored = db.get(StoredPackage, package_id)
            if stored is not None:
                stored.deletion_receipt = ack.receipt_token
                stored.receipt_matches = ack.matches(jwe) if ack.receipt is not None else None
                stored.acknowledged_at = datetime.now(UTC)
            current = db.get(Case, case.id)
            if current is not None:
                current.session_state = "acknowledged"
        log.info("package stored and acknowledged case=%s", case.id)
        return case.id

    def _verified_outcome(self, package: DataPackage) -> dict[str, Any] | None:
        """The outcome's claims (and whether the data sent with it is what it was computed on); None for a
        data package. ``PackageError`` when the outcome's signature does not verify: not stored, not acked."""
        if package.outcome is None:
            return None
        jwks = self.broker_jwks()
        if jwks is None:
            raise PackageError("broker_keys_unavailable", "the broker's keys are needed to check the outcome")
        statement = verify_outcome(package, jwks)  # also checks it is about this package and case
        claims: dict[str, Any] = statement.model_dump(mode="json")
        claims["signature_verified"] = True
        claims["with_data"] = carries_data(package)
        claims["inputs_match"] = outcome_inputs_match(package, statement) if claims["with_data"] else None
        return claims

    def _store(
        self,
        case_id: str,
        session_id: str,
        jwe: str,
        package: DataPackage,
        outcome: dict[str, Any] | None = None,
    ) -> None:
        now = datetime.now(UTC)
        with self.db.session() as db:
            if db.get(StoredPackage, package.package_id) is not None:
                return
            case = db.get(Case, case_id)
            if case is None:
                return
            db.add(
                StoredPackage(
                    package_id=package.package_id,
                    case_id=case_id,
                    session_id=session_id,
                    jwe=jwe,
                    received_at=now,
                    consents_verified=True,
                    erasure_token_sha256=package.erasure.token_sha256 if package.erasure else None,
                )
            )
            case.session_state = "delivered"
            case.updated_at = now
            if case.status != "decided":
                case.status = "data_received"
            if outcome is not None:
                case.outcome = outcome
                case.advice_outcome = str(outcome["outcome"])
                case.advice = None
                if case.status != "decided":
                    case.status = "advised"
                if not outcome["with_data"]:
                    return
            settings, _ = settings_for(db, case.municipality_code)
            advice = _assessed(package, case, settings, case_id)
            if advice is None:
                return
            case.settings_snapshot = settings.model_dump(mode="json")
            case.advice = advice.model_dump(mode="json")
            if outcome is None:
                case.advice_outcome = advice.outcome
            if case.status != "decided":
                case.status = "advised"


def carries_data(package: DataPackage) -> bool:
    """Whether the package holds income, pension or asset records (an outcome-only one holds none)."""
    return any(_records(subject) for subject in package.subjects)


def _records(subject: Subject) -> int:
    incomes, pensions, assets = subject.incomes, subject.pensions, subject.assets
    return (
        len(incomes.relations)
        + len(incomes.tax_years)
        + len(incomes.allowances)
        + len(pensions.schemes)
        + len(pensions.survivor_pensions)
        + (1 if pensions.state_pension else 0)
        + len(assets.homes)
        + len(assets.mortgages)
        + len(assets.vehicles)
        + len(assets.bank_balances)
    )


def _assessed(
    package: DataPackage, case: Case, settings: MunicipalitySettings, case_id: str
) -> Advice | None:
    try:
        return assess(package, Declaration(case.partner_declared, case.children), settings)
    except Exception as error:  # a rule bug must not lose the package: keep it, advise by hand
        log.error("assessment failed case=%s error=%s", case_id, type(error).__name__)
        return None


def reassess(db: Database, case_id: str, private_jwks: Mapping[str, Any]) -> bool:
    """Assess a stored package again with the municipality's current settings (after they changed)."""
    with db.session() as session:
        case = session.get(Case, case_id)
        stored = session.scalars(
            select(StoredPackage)
            .where(StoredPackage.case_id == case_id)
            .order_by(StoredPackage.received_at.desc())
        ).first()
        if case is None or stored is None:
            return False
        package = open_package(stored, private_jwks)
        if not carries_data(package):  # outcome only: the broker's signed outcome stands, nothing to redo
            return False
        settings, _ = settings_for(session, case.municipality_code)
        advice = assess(package, Declaration(case.partner_declared, case.children), settings)
        case.settings_snapshot = settings.model_dump(mode="json")
        case.advice = advice.model_dump(mode="json")
        if case.outcome is None:
            case.advice_outcome = advice.outcome
        case.updated_at = datetime.now(UTC)
        if case.status == "data_received":
            case.status = "advised"
    log.info("case reassessed case=%s", case_id)
    return True


def open_package(stored: StoredPackage, private_jwks: Mapping[str, Any]) -> DataPackage:
    """The stored JWE decrypted again (for the dossier): plaintext lives only for the request."""
    return decrypt_package(stored.jwe, private_jwks)
