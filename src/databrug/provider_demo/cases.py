"""Cases: the application, the invitation (a broker session made with the SDK), decisions and deletion.

Statuses follow the back office's flow: received → invited → data_received → advised → decided.

Every session asks within the published ``gemeentepolis`` purpose template. A municipality set to "outcome"
asks for the broker's signed outcome of the rule with its own parameters instead of the data; from an
outcome-only case a caseworker can ask for the full data (``request_full_data``): a new session in data
mode, the invitation again, the case back to invited.
"""

from __future__ import annotations

import contextlib
import logging
import re
import secrets
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, Literal

from sqlalchemy import delete, select
from sqlalchemy.orm import Session

from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.email_address import checked_email
from databrug.provider_demo.mail import Invitation, MailError, invitation_message
from databrug.provider_demo.municipalities import by_code, settings_for
from databrug.provider_demo.storage.database import Database
from databrug.provider_demo.storage.tables import Case, StoredPackage
from databrug.sdk import DatabrugClient, DatabrugError

log = logging.getLogger("databrug.provider_demo.cases")

STATUSES = ("received", "invited", "data_received", "advised", "decided")
Decision = Literal["granted", "rejected"]
DECISION_REASONS = (
    "income_too_high",
    "assets_too_high",
    "meets_conditions",
    "granted_without_check",
    "other",
)
PHONE = re.compile(r"^\+?[0-9 ()-]{8,20}$")
MAX_CHILDREN = 15
# Re-send the same link only while it has at least this long to live; otherwise start a new session.
RESEND_MARGIN = timedelta(hours=1)
PURPOSE = "gemeentepolis"


class ApplicationInvalid(ValueError):
    def __init__(self, fields: list[str]) -> None:
        super().__init__("invalid fields: " + ", ".join(fields))
        self.fields = fields


@dataclass(frozen=True)
class Application:
    municipality_code: str
    name: str
    email: str
    phone: str | None
    partner: bool
    children: int
    language: str = "nl"

    def problems(self) -> list[str]:
        problems = []
        if self.municipality_code not in by_code():
            problems.append("municipality")
        if not 1 <= len(self.name.strip()) <= 200:
            problems.append("name")
        if checked_email(self.email) is None:
            problems.append("email")
        if self.phone and not PHONE.match(self.phone.strip()):
            problems.append("phone")
        if not 0 <= self.children <= MAX_CHILDREN:
            problems.append("children")
        return problems


def new_case_id() -> str:
    return "c_" + secrets.token_urlsafe(12)


class CaseService:
    def __init__(
        self,
        db: Database,
        settings: ProviderSettings,
        client: Callable[[], DatabrugClient],
        mailer: Callable[[EmailMessage], None],
    ) -> None:
        self.db = db
        self.settings = settings
        self.client = client
        self.mailer = mailer

    def apply(self, application: Application) -> tuple[str, bool]:
        """Store the application and send the invitation; returns (case id, invitation sent)."""
        problems = application.problems()
        if problems:
            raise ApplicationInvalid(problems)
        now = datetime.now(UTC)
        case_id = new_case_id()
        with self.db.session() as db:
            municipality_settings, _ = settings_for(db, application.municipality_code)
            case = Case(
                id=case_id,
                municipality_code=application.municipality_code,
                status="received",
                applicant_name=application.name.strip(),
                email=checked_email(application.email) or "",  # checked in problems() above
                phone=(application.phone or "").strip() or None,
                partner_declared=application.partner,
                children=application.children,
                language=application.language if application.language in ("nl", "en") else "nl",
                created_at=now,
                updated_at=now,
                settings_snapshot=municipality_settings.model_dump(mode="json"),
                invitations_sent=0,
                delivery=municipality_settings.delivery,
            )
            if municipality_settings.check_timing == "after":
                case.decision = "granted"
                case.decision_reason = "granted_without_check"
                case.decided_at = now
                case.decided_by = "system"
            db.add(case)
        log.info("application received case=%s", case_id)
        return case_id, self.invite(case_id)

    def invite(self, case_id: str) -> bool:
        """Send (or re-send) the invitation; a new broker session when there is none or it nearly expired."""
        now = datetime.now(UTC)
        with self.db.session() as db:
            case = db.get(Case, case_id)
            if case is None:
                return False
            usable = (
                case.citizen_url is not None
                and case.session_expires_at is not None
                and case.session_expires_at > now + RESEND_MARGIN
                and case.status in ("received", "invited")
            )
            if not usable:
                try:
                    with self.client() as client:
                        if case.session_id:
                            self._cancel_quietly(client, case.session_id)
                        created = client.create_session(
                            reference=case.id,
                            invitee_email=case.email,
                            language=case.language,
                            partner_expected=case.partner_declared,
                            **self._request(db, case),
                        )
                except DatabrugError as error:
                    log.warning("session not created case=%s code=%s", case_id, error.code)
                    return False
                case.session_id = created.id
                case.citizen_url = created.citizen_url
                case.session_expires_at = created.expires_at
                case.session_state = created.state
            assert case.citizen_url is not None
            assert case.session_expires_at is not None
            municipality = by_code()[case.municipality_code].name
            invitation = Invitation(
                to=case.email,
                name=case.applicant_name,
                municipality=municipality,
                link=case.citizen_url,
                expires_at=case.session_expires_at,
                language=case.language,
            )
            try:
                self.mailer(invitation_message(invitation, self.settings.mail_from))
            except MailError as error:
                log.warning("invitation not sent case=%s: %s", case_id, error)
                return False
            case.invitation_sent_at = now
            case.invitations_sent += 1
            if case.status == "received":
                case.status = "invited"
            case.updated_at = now
        log.info("invitation sent case=%s", case_id)
        return True

    @staticmethod
    def _request(db: Session, case: Case) -> dict[str, Any]:
        """The purpose, the delivery and (for an outcome) the rule's parameters with the declared children.

        The parameters are the municipality's current ones: the outcome is signed with the parameters it was
        asked with, so the back office shows those (from the outcome), not the snapshot."""
        request: dict[str, Any] = {"purpose": PURPOSE, "delivery": case.delivery}
        if case.delivery == "outcome":
            settings, _ = settings_for(db, case.municipality_code)
            request["outcome"] = {
                "parameters": settings.rule_parameters().model_dump(mode="json"),
                "declared_children": case.children,
            }
        return request

    def request_full_data(self, case_id: str) -> bool:
        """From an outcome-only case: a new session in data mode, the invitation again, status invited."""
        with self.db.session() as db:
            case = db.get(Case, case_id)
            if case is None or case.delivery != "outcome" or case.outcome is None:
                return False
            case.delivery = "data"
            case.citizen_url = None  # a new session: the old one delivered the outcome
            case.session_expires_at = None
            if case.status != "decided":
                case.status = "invited"
            case.updated_at = datetime.now(UTC)
        log.info("full data requested case=%s", case_id)
        return self.invite(case_id)

    @staticmethod
    def _cancel_quietly(client: DatabrugClient, session_id: str) -> None:
        with contextlib.suppress(DatabrugError):  # already final or gone: nothing to cancel
            client.cancel(session_id)

    def decide(self, case_id: str, decision: Decision, reason: str, note: str, username: str) -> bool:
        if decision not in ("granted", "rejected") or reason not in DECISION_REASONS:
            return False
        with self.db.session() as db:
            case = db.get(Case, case_id)
            if case is None:
                return False
            now = datetime.now(UTC)
            case.decision = decision
            case.decision_reason = reason
            case.decision_note = note.strip()[:2000] or None
            case.decided_at = now
            case.decided_by = username
            case.status = "decided"
            case.updated_at = now
        log.info("decision recorded case=%s", case_id)
        return True

    def delete(self, case_id: str) -> bool:
        with self.db.session() as db:
            case = db.get(Case, case_id)
            if case is None:
                return False
            session_id = case.session_id if case.status in ("received", "invited") else None
            db.execute(delete(StoredPackage).where(StoredPackage.case_id == case_id))
            db.delete(case)
        if session_id:
            with contextlib.suppress(DatabrugError), self.client() as client:
                self._cancel_quietly(client, session_id)
        log.info("case deleted case=%s", case_id)
        return True

    def all_cases(self, status: str | None = None) -> list[Case]:
        with self.db.session() as db:
            query = select(Case).order_by(Case.created_at.desc())
            if status in STATUSES:
                query = query.where(Case.status == status)
            return list(db.scalars(query))

    def get(self, case_id: str) -> Case | None:
        with self.db.session() as db:
            return db.get(Case, case_id)

    def packages(self, case_id: str) -> list[StoredPackage]:
        with self.db.session() as db:
            return list(
                db.scalars(
                    select(StoredPackage)
                    .where(StoredPackage.case_id == case_id)
                    .order_by(StoredPackage.received_at.desc())
                )
            )
