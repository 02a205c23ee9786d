"""Cases and intake against a fake broker (the SDK client's methods), on SQLite and PostgreSQL.

The package is sealed with the broker's own code and carries real consent records, so the provider's path
(decrypt → verify consents → store → assess → acknowledge) runs for real.
"""

from __future__ import annotations

import json
import time
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from email.message import EmailMessage
from typing import Any, cast

import pytest
from tests.support.consent_logins import login_before
from tests.support.provider_packages import package_for

from databrug.consent.records import make_consent
from databrug.delivery.jwe import seal_package
from databrug.delivery.webhooks import signed_headers
from databrug.provider_demo.cases import Application, ApplicationInvalid, CaseService
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.intake import Intake
from databrug.provider_demo.mail import MailError
from databrug.provider_demo.municipalities import save_settings, seed_settings
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.storage.database import Database
from databrug.provider_demo.storage.tables import StoredPackage
from databrug.records import DataPackage
from databrug.sdk import (
    Acknowledgement,
    CreatedSession,
    PackageError,
    SessionStatus,
    generate_provider_keys,
)
from databrug_sandbox.personas.catalogue import CATALOGUE

KEYS = generate_provider_keys()
WEBHOOK_SECRET = "whsec_" + "QUJDREVGR0hJSktMTU5PUFFSU1RVVldYWVo0NTY3ODk="


class FakeBroker:
    """Stands in for ``DatabrugClient``: records calls, serves one sealed package per session."""

    def __init__(self) -> None:
        self.created: list[dict[str, Any]] = []
        self.asked: list[dict[str, Any]] = []
        self.cancelled: list[str] = []
        self.fetched: list[str] = []
        self.acknowledged: list[str] = []
        self.packages: dict[str, str] = {}
        self.lifetime = timedelta(days=3)

    def __enter__(self) -> FakeBroker:
        return self

    def __exit__(self, *_: object) -> None:
        return None

    def create_session(
        self,
        reference: str,
        invitee_email: str | None = None,
        *,
        language: str | None = None,
        partner_expected: bool = False,
        purpose: str | None = None,
        delivery: str | None = None,
        outcome: dict[str, Any] | None = None,
    ) -> CreatedSession:
        number = len(self.created) + 1
        self.created.append({"reference": reference, "invitee_email": invitee_email, "language": language})
        self.asked.append({"purpose": purpose, "delivery": delivery, "outcome": outcome})
        return CreatedSession(
            id=f"ses_{number}",
            citizen_url=f"http://broker.test/start?t=dbp_{number}",
            state="created",
            expires_at=datetime.now(UTC) + self.lifetime,
        )

    def cancel(self, session_id: str) -> None:
        self.cancelled.append(session_id)

    def fetch_package_jwe(self, session_id: str) -> str:
        self.fetched.append(session_id)
        return self.packages[session_id]

    def acknowledge(self, session_id: str) -> Acknowledgement:
        self.acknowledged.append(session_id)
        return Acknowledgement(receipt_token="receipt." + session_id, receipt=None)

    def get_session(self, session_id: str) -> SessionStatus:
        now = datetime.now(UTC)
        return SessionStatus(
            id=session_id, reference="-", state="delivered", created_at=now, updated_at=now, expires_at=now
        )


@pytest.fixture
def world(provider_database_url: str) -> Iterator[tuple[CaseService, Intake, FakeBroker, list[EmailMessage]]]:
    db = Database(provider_database_url)
    db.migrate()
    with db.session() as session:
        seed_settings(session)
    broker = FakeBroker()
    mails: list[EmailMessage] = []
    client = cast("Any", lambda: broker)
    cases = CaseService(db, ProviderSettings(), client, mails.append)
    intake = Intake(db, client, (WEBHOOK_SECRET,), KEYS.private_jwks)
    yield cases, intake, broker, mails
    db.dispose()


def _application(**changes: Any) -> Application:
    values: dict[str, Any] = {
        "municipality_code": "GM0599",
        "name": "Fatima Yilmaz",
        "email": "fatima@example.nl",
        "phone": None,
        "partner": False,
        "children": 2,
    }
    values.update(changes)
    return Application(**values)


def _consented(package: DataPackage) -> DataPackage:
    now = datetime.now(UTC)
    consents = [
        make_consent(s, package.sources, package.provider, "nl", now, login_before(now))
        for s in package.subjects
    ]
    return package.model_copy(update={"consents": consents})


def _sealed_for(case_id: str, key: str = "single-parent-benefit") -> tuple[str, DataPackage]:
    package = _consented(package_for(CATALOGUE[key], reference=case_id))
    return seal_package(package, KEYS.public_jwks).compact, package


def test_apply_creates_a_session_for_the_case_and_mails_its_link(world: Any) -> None:
    cases, _, broker, mails = world
    case_id, sent = cases.apply(_application())
    assert sent
    assert case_id.startswith("c_")
    assert broker.created == [{"reference": case_id, "invitee_email": "fatima@example.nl", "language": "nl"}]
    [mail] = mails
    assert mail["To"] == "fatima@example.nl"
    assert "http://broker.test/start?t=dbp_1" in mail.get_content()
    case = cases.get(case_id)
    assert case.status == "invited"
    assert case.invitations_sent == 1


def test_application_is_validated(world: Any) -> None:
    cases, *_ = world
    with pytest.raises(ApplicationInvalid) as invalid:
        cases.apply(_application(municipality_code="GM9999", email="x", children=-1, name=" "))
    assert set(invalid.value.fields) == {"municipality", "email", "children", "name"}


def test_the_applicants_language_goes_to_the_broker_with_the_session(world: Any) -> None:
    cases, _, broker, mails = world
    cases.apply(_application(language="en"))
    assert [created["language"] for created in broker.created] == ["en"]
    assert "Your application" in str(mails[0]["Subject"])


def test_resend_reuses_a_live_link_and_replaces_an_expired_one(world: Any) -> None:
    cases, _, broker, mails = world
    case_id, _ = cases.apply(_application())
    assert cases.invite(case_id)
    assert len(broker.created) == 1
    assert cases.get(case_id).invitations_sent == 2
    with cases.db.session() as db:
        db.get(type(cases.get(case_id)), case_id).session_expires_at = datetime.now(UTC) + timedelta(
            minutes=5
        )
    assert cases.invite(case_id)
    assert len(broker.created) == 2
    assert broker.cancelled == ["ses_1"]
    assert "dbp_2" in mails[-1].get_content()


def test_mail_failure_keeps_the_case_for_a_resend(world: Any) -> None:
    cases, *_ = world

    def broken(_: EmailMessage) -> None:
        raise MailError("SMTP test:25 failed (ConnectionRefusedError)")

    cases.mailer = broken
    case_id, sent = cases.apply(_application())
    assert not sent
    assert cases.get(case_id).status == "received"


def test_check_afterwards_grants_at_once(world: Any) -> None:
    cases, *_ = world
    with cases.db.session() as db:
        save_settings(db, "GM0599", MunicipalitySettings(check_timing="after"), "admin")
    case_id, _ = cases.apply(_application())
    case = cases.get(case_id)
    assert case.decision == "granted"
    assert case.decision_reason == "granted_without_check"


def test_receive_stores_assesses_acknowledges_once(world: Any) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    jwe, package = _sealed_for(case_id)
    broker.packages["ses_1"] = jwe
    assert intake.receive("ses_1") == case_id
    case = cases.get(case_id)
    assert case.status == "advised"
    assert case.advice_outcome == "grant"
    assert case.advice["income_test"]["household_net_monthly"] == "1261.88"
    [stored] = cases.packages(case_id)
    assert stored.jwe == jwe
    assert stored.package_id == package.package_id
    assert stored.deletion_receipt == "receipt.ses_1"
    assert intake.receive("ses_1") == case_id  # a repeat: nothing fetched, stored or acknowledged again
    assert broker.fetched == ["ses_1"]
    assert broker.acknowledged == ["ses_1"]


def test_tampered_consent_or_foreign_reference_is_refused_and_nothing_stored(world: Any) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    package = _consented(package_for(CATALOGUE["single-parent-benefit"], reference=case_id))
    tampered = package.model_copy(
        update={"subjects": package_for(CATALOGUE["ww-benefit"], reference=case_id).subjects}
    )
    broker.packages["ses_1"] = seal_package(tampered, KEYS.public_jwks).compact
    with pytest.raises(PackageError):
        intake.receive("ses_1")
    foreign, _ = _sealed_for("c_someone-else")
    broker.packages["ses_1"] = foreign
    with pytest.raises(PackageError) as refused:
        intake.receive("ses_1")
    assert refused.value.code == "package_reference_mismatch"
    assert cases.packages(case_id) == []
    assert broker.acknowledged == []


def test_webhook_package_ready_end_to_end_and_retry_after_failure(world: Any) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    body = json.dumps(
        {"type": "package.ready", "timestamp": "2026-11-28T10:00:00Z", "data": {"session_id": "ses_1"}}
    ).encode()
    headers = signed_headers([WEBHOOK_SECRET], "msg_pkg_ready", int(time.time()), body)
    status, _ = intake.handle_webhook(headers, body)  # the package is not there yet: broker error
    assert status >= 500
    jwe, _ = _sealed_for(case_id)
    broker.packages["ses_1"] = jwe
    status, _ = intake.handle_webhook(headers, body)  # the retry is accepted (the id was forgotten)
    assert status == 204
    assert cases.get(case_id).status == "advised"
    status, text = intake.handle_webhook(headers, body)
    assert (status, text) == (200, "duplicate")
    with cases.db.session() as db:
        assert db.query(StoredPackage).count() == 1


def test_fetch_now_picks_up_a_missed_package(world: Any) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    broker.packages["ses_1"], _ = _sealed_for(case_id)
    assert intake.refresh(case_id) == "delivered"
    assert cases.get(case_id).status == "advised"


def test_decide_and_delete(world: Any) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    broker.packages["ses_1"], _ = _sealed_for(case_id)
    intake.receive("ses_1")
    assert not cases.decide(case_id, "maybe", "other", "", "anna")
    assert cases.decide(case_id, "rejected", "income_too_high", "  te hoog  ", "anna")
    case = cases.get(case_id)
    assert (case.status, case.decision, case.decision_note, case.decided_by) == (
        "decided",
        "rejected",
        "te hoog",
        "anna",
    )
    assert cases.delete(case_id)
    assert cases.get(case_id) is None
    assert cases.packages(case_id) == []


def test_a_failing_assessment_keeps_the_package(world: Any, monkeypatch: pytest.MonkeyPatch) -> None:
    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application())
    broker.packages["ses_1"], _ = _sealed_for(case_id)

    def broken(*_: object, **__: object) -> None:
        raise ArithmeticError("a rule bug")

    monkeypatch.setattr("databrug.provider_demo.intake.assess", broken)
    assert intake.receive("ses_1") == case_id
    case = cases.get(case_id)
    assert (case.status, case.advice) == ("data_received", None)
    assert len(cases.packages(case_id)) == 1
    assert broker.acknowledged == ["ses_1"]


def test_reassess_after_the_municipality_changed_its_settings(world: Any) -> None:
    from databrug.provider_demo.intake import reassess

    cases, intake, broker, _ = world
    case_id, _ = cases.apply(_application(children=0))
    broker.packages["ses_1"], _ = _sealed_for(case_id, "young-on-call-worker")
    intake.receive("ses_1")
    # the package's own date (2 Nov 2026) is the reference: net 1,643.61 > 1,597.72 (120% excl. VT)
    assert cases.get(case_id).advice_outcome == "reject"
    with cases.db.session() as db:
        save_settings(
            db, "GM0599", MunicipalitySettings(percentage=130, includes_holiday_allowance=True), "admin"
        )
    assert reassess(cases.db, case_id, KEYS.private_jwks)
    case = cases.get(case_id)
    assert case.advice_outcome == "grant"  # ≤ 1,821.95 (130% incl. VT)
    assert case.advice["income_test"]["limit"] == "1821.95"
    assert not reassess(cases.db, "c_unknown", KEYS.private_jwks)
