"""Erasure on request and outcome-only delivery in the demo provider, against the fake broker of
``test_cases_and_intake`` (real sealing, real consents, real signatures), on SQLite and PostgreSQL; and the
public erasure pages and API in process."""

from __future__ import annotations

import hashlib
import re
import secrets
import time
from collections.abc import Iterator
from datetime import UTC, date, datetime
from email.message import EmailMessage
from pathlib import Path
from typing import Any, cast

import pytest
from fastapi.testclient import TestClient
from tests.support.consent_logins import login_before
from tests.support.provider_stack import offline_broker_link
from tests.unit.provider_demo.test_cases_and_intake import (
    KEYS,
    WEBHOOK_SECRET,
    FakeBroker,
    _application,
    _sealed_for,
)

from databrug.consent.records import make_consent
from databrug.delivery.jwe import seal_package
from databrug.delivery.outcome import sign_outcome
from databrug.delivery.receipts import generate_signing_key, public_jwks
from databrug.provider_demo.cases import CaseService
from databrug.provider_demo.config import ProviderSettings
from databrug.provider_demo.erasure import ErasureService
from databrug.provider_demo.intake import Intake
from databrug.provider_demo.municipalities import save_settings, seed_settings
from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.services import build_services
from databrug.provider_demo.storage.database import Database
from databrug.provider_demo.storage.tables import Case, StoredPackage
from databrug.provider_demo.web.app import create_provider_app
from databrug.records import DataPackage, Subject
from databrug.records.outcome import (
    ErasureCommitment,
    OutcomeStatement,
    PurposeRef,
    inputs_digest,
    outcome_sha256,
)
from databrug.sdk import (
    ErasureError,
    PackageError,
    generate_erasure_signing_keys,
    verify_erasure_confirmation,
    verify_outcome,
)

BROKER_KEY = generate_signing_key("broker-test")
SIGNING = generate_erasure_signing_keys()


class World:
    def __init__(self, url: str) -> None:
        self.db = Database(url)
        self.db.migrate()
        with self.db.session() as session:
            seed_settings(session)
        self.broker = FakeBroker()
        self.mails: list[EmailMessage] = []
        client = cast("Any", lambda: self.broker)
        self.cases = CaseService(self.db, ProviderSettings(), client, self.mails.append)
        jwks = public_jwks(BROKER_KEY)
        self.intake = Intake(self.db, client, (WEBHOOK_SECRET,), KEYS.private_jwks, lambda: jwks)
        self.erasure = ErasureService(self.cases, "gezondverzekerd", SIGNING.private_jwks)


@pytest.fixture
def world(provider_database_url: str) -> Iterator[World]:
    world = World(provider_database_url)
    yield world
    world.db.dispose()


def _token() -> str:
    return "era_" + secrets.token_urlsafe(24)


def _with_erasure(package: DataPackage, token: str) -> DataPackage:
    commitment = ErasureCommitment(
        token_sha256=hashlib.sha256(token.encode()).hexdigest(), retention_days=365
    )
    return package.model_copy(
        update={"erasure": commitment, "purpose": PurposeRef(id="gemeentepolis", version="1")}
    )


def _received(world: World, token: str) -> str:
    case_id, _ = world.cases.apply(_application())
    _, package = _sealed_for(case_id)
    world.broker.packages["ses_1"] = seal_package(_with_erasure(package, token), KEYS.public_jwks).compact
    assert world.intake.receive("ses_1") == case_id
    return case_id


def test_the_right_code_erases_the_case_and_the_confirmation_verifies(world: World) -> None:
    token = _token()
    case_id = _received(world, token)
    with world.db.session() as db:
        [stored] = db.query(StoredPackage).all()
        assert stored.erasure_token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    signed = world.erasure.erase(token)
    assert signed is not None
    confirmation = verify_erasure_confirmation(signed, SIGNING.public_jwks)
    assert confirmation.provider_reference == case_id
    assert confirmation.package_ids == [stored.package_id]
    assert confirmation.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert {"case", "packages", "advice", "contact_details"} <= set(confirmation.deleted)
    assert world.cases.get(case_id) is None
    with world.db.session() as db:
        assert db.query(StoredPackage).count() == 0
    assert "Fatima" not in str(confirmation)
    assert "fatima@example.nl" not in str(confirmation)
    with pytest.raises(ErasureError):
        verify_erasure_confirmation(signed, generate_erasure_signing_keys().public_jwks)


def test_a_wrong_used_or_over_long_code_erases_nothing(world: World) -> None:
    token = _token()
    case_id = _received(world, token)
    for wrong in (
        _token(),
        token[:-1],
        token + "x",
        "x" * 101,
        "",
        hashlib.sha256(token.encode()).hexdigest(),
    ):
        assert world.erasure.erase(wrong) is None, wrong
    assert world.cases.get(case_id) is not None
    assert world.erasure.erase(token) is not None
    assert world.erasure.erase(token) is None  # used: the same answer as an unknown code


def _outcome_package(case_id: str, package: DataPackage, outcome: str, with_data: bool) -> DataPackage:
    """The package as the broker makes it for an outcome session: the signed outcome, the person records
    only (or, after "investigate", the data too), each consent naming the outcome."""
    purpose = PurposeRef(id="gemeentepolis", version="1")
    statement = OutcomeStatement(
        iss="http://broker.test",
        iat=int(time.time()),
        session_id="ses_1",
        package_id=package.package_id,
        provider_id=package.provider.id,
        provider_reference=case_id,
        purpose=purpose,
        rule_id="gemeentepolis-toets",
        rule_version="1.0",
        parameters={"percentage": "130", "includes_holiday_allowance": True},
        reference_date=date(2026, 11, 2),
        norms_year=2026,
        outcome=outcome,  # type: ignore[arg-type]
        reasons=[],
        household_kind="alleenstaande_ouder",
        roles=[s.role for s in package.subjects],
        inputs_digest=inputs_digest(package.subjects),
        evaluated_at=datetime.now(UTC),
    )
    return _signed(package, statement, BROKER_KEY, with_data)


def _signed(package: DataPackage, statement: OutcomeStatement, key: Any, with_data: bool) -> DataPackage:
    signed = sign_outcome(statement, key)
    subjects = (
        package.subjects if with_data else [Subject(role=s.role, person=s.person) for s in package.subjects]
    )
    refs = {s.person.source_ref for s in subjects if s.person}
    sources = package.sources if with_data else [e for e in package.sources if e.id in refs]
    now = datetime.now(UTC)
    consents = [
        make_consent(s, sources, package.provider, "nl", now, login_before(now)).model_copy(
            update={"outcome_sha256": outcome_sha256(signed)}
        )
        for s in subjects
    ]
    return package.model_copy(
        update={
            "outcome": signed,
            "purpose": statement.purpose,
            "subjects": subjects,
            "sources": sources,
            "consents": consents,
        }
    )


def _set_outcome_mode(world: World) -> None:
    with world.db.session() as db:
        save_settings(db, "GM0599", MunicipalitySettings(delivery="outcome", percentage=130), "admin")


def test_an_outcome_municipality_asks_for_the_outcome_with_its_parameters(world: World) -> None:
    _set_outcome_mode(world)
    world.cases.apply(_application())
    [asked] = world.broker.asked
    assert asked["purpose"] == "gemeentepolis"
    assert asked["delivery"] == "outcome"
    assert asked["outcome"]["declared_children"] == 2
    assert asked["outcome"]["parameters"]["percentage"] == "130"
    assert "delivery" not in asked["outcome"]["parameters"]  # only the rule's parameters go
    assert "check_timing" not in asked["outcome"]["parameters"]


def test_an_outcome_package_is_stored_as_the_outcome_and_full_data_can_be_requested(world: World) -> None:
    _set_outcome_mode(world)
    case_id, _ = world.cases.apply(_application())
    _, package = _sealed_for(case_id)
    outcome_only = _outcome_package(case_id, package, "investigate", with_data=False)
    world.broker.packages["ses_1"] = seal_package(outcome_only, KEYS.public_jwks).compact
    assert world.intake.receive("ses_1") == case_id
    case = world.cases.get(case_id)
    assert case is not None
    assert (case.status, case.advice_outcome, case.advice) == ("advised", "investigate", None)
    assert case.outcome is not None
    assert case.outcome["signature_verified"] is True
    assert case.outcome["with_data"] is False
    assert case.outcome["rule_id"] == "gemeentepolis-toets"
    assert case.outcome["inputs_digest"] == inputs_digest(package.subjects)

    assert world.cases.request_full_data(case_id)
    assert [a["delivery"] for a in world.broker.asked] == ["outcome", "data"]
    assert len(world.mails) == 2
    case = world.cases.get(case_id)
    assert case is not None
    assert (case.status, case.delivery, case.session_id) == ("invited", "data", "ses_2")
    assert not world.cases.request_full_data(case_id)  # a data case has nothing more to ask for


def test_an_outcome_with_the_data_gets_the_own_advice_and_the_digest_checked(world: World) -> None:
    _set_outcome_mode(world)
    case_id, _ = world.cases.apply(_application())
    _, package = _sealed_for(case_id)
    both = _outcome_package(case_id, package, "investigate", with_data=True)
    world.broker.packages["ses_1"] = seal_package(both, KEYS.public_jwks).compact
    world.intake.receive("ses_1")
    case = world.cases.get(case_id)
    assert case is not None
    assert case.outcome is not None
    assert case.advice is not None
    assert (case.outcome["with_data"], case.outcome["inputs_match"]) == (True, True)
    assert case.advice_outcome == "investigate"  # the signed outcome stands; the own advice is beside it


def test_a_forged_outcome_is_not_stored_or_acknowledged(world: World) -> None:
    _set_outcome_mode(world)
    case_id, _ = world.cases.apply(_application())
    _, package = _sealed_for(case_id)
    genuine = verify_outcome(
        _outcome_package(case_id, package, "reject", with_data=False), public_jwks(BROKER_KEY)
    )
    forged = _signed(
        package, genuine.model_copy(update={"outcome": "grant"}), generate_signing_key("x"), False
    )
    world.broker.packages["ses_1"] = seal_package(forged, KEYS.public_jwks).compact
    with pytest.raises(PackageError) as caught:
        world.intake.receive("ses_1")
    assert caught.value.code == "outcome_invalid"
    assert world.broker.acknowledged == []
    with world.db.session() as db:
        assert db.query(StoredPackage).count() == 0
        assert cast("Case", db.get(Case, case_id)).outcome is None


# ---------------------------------------------------------------- the public pages and the API
CONFIRMATION = re.compile(r'name="confirmation" value="([^"]+)"')


@pytest.fixture
def site(tmp_path: Path) -> Iterator[tuple[TestClient, Any]]:
    settings = ProviderSettings(database_url=f"sqlite:///{tmp_path / 'provider.sqlite3'}")
    services = build_services(settings, link=offline_broker_link(WEBHOOK_SECRET))
    with TestClient(create_provider_app(services), follow_redirects=False) as client:
        yield client, services
    services.db.dispose()


def _stored_case(services: Any, token: str) -> str:
    now = datetime.now(UTC)
    case_id = "c_" + secrets.token_urlsafe(12)
    with services.db.session() as db:
        db.add(
            Case(
                id=case_id,
                municipality_code="GM0599",
                status="advised",
                applicant_name="Fatima Yilmaz",
                email="fatima@example.nl",
                partner_declared=False,
                children=0,
                language="nl",
                created_at=now,
                updated_at=now,
                settings_snapshot={},
                invitations_sent=1,
            )
        )
        db.flush()
        db.add(
            StoredPackage(
                package_id="pkg_" + secrets.token_hex(12),
                case_id=case_id,
                session_id="ses_" + secrets.token_hex(4),
                jwe="x",
                received_at=now,
                consents_verified=True,
                erasure_token_sha256=hashlib.sha256(token.encode()).hexdigest(),
            )
        )
    return case_id


def test_the_erasure_page_erases_with_a_cross_origin_form_and_shows_the_proof(site: Any) -> None:
    client, services = site
    token = _token()
    case_id = _stored_case(services, token)
    assert 'name="erasure_token"' in client.get("/gegevens-wissen").text
    answer = client.post(
        "/gegevens-wissen",
        data={"erasure_token": token},
        headers={"Origin": "http://127.0.0.1:8700"},  # the broker's receipt page: no CSRF cookie or token
    )
    assert answer.status_code == 200
    assert 'data-testid="erasure-done"' in answer.text
    found = CONFIRMATION.search(answer.text)
    assert found
    keys = client.get("/.well-known/erasure-keys.json").json()
    assert all("d" not in key for key in keys["keys"])
    assert verify_erasure_confirmation(found.group(1), keys).provider_reference == case_id
    assert services.cases.get(case_id) is None
    download = client.post("/gegevens-wissen/bevestiging", data={"confirmation": found.group(1)})
    assert download.headers["content-type"] == "application/jwt"
    assert download.headers["content-disposition"] == f'attachment; filename="wisbevestiging-{case_id}.jwt"'
    assert download.text == found.group(1)
    assert client.post("/gegevens-wissen/bevestiging", data={"confirmation": "a.b.c"}).status_code == 400

    again = client.post("/gegevens-wissen", data={"erasure_token": token})
    unknown = client.post("/gegevens-wissen", data={"erasure_token": _token()})
    assert again.status_code == unknown.status_code == 404
    assert (
        again.text.replace(token, "").count("erasure-refused") == unknown.text.count("erasure-refused") == 1
    )
    english = client.post("/gegevens-wissen?lang=en", data={"erasure_token": _token()})
    assert "We have no case with this erasure code" in english.text


def test_the_erasure_api(site: Any) -> None:
    client, services = site
    token = _token()
    case_id = _stored_case(services, token)
    answer = client.post("/api/erasure", json={"erasure_token": token})
    assert answer.status_code == 200
    keys = client.get("/.well-known/erasure-keys.json").json()
    assert verify_erasure_confirmation(answer.json()["confirmation"], keys).provider_reference == case_id
    assert client.post("/api/erasure", json={"erasure_token": token}).json()["error"]["code"] == "not_found"
    for body, status in (
        ({"erasure_token": "x" * 101}, 422),
        ({"erasure_token": token, "more": 1}, 422),
        ({"token": token}, 422),
        ("[" * 3000, 422),
        ("x" * 5000, 413),
    ):
        sent = client.post(
            "/api/erasure",
            content=body if isinstance(body, str) else None,
            json=None if isinstance(body, str) else body,
        )
        assert sent.status_code == status, body


def test_unknown_codes_are_throttled_per_address(site: Any) -> None:
    client, services = site
    token = _token()
    case_id = _stored_case(services, token)
    for _ in range(10):
        assert client.post("/gegevens-wissen", data={"erasure_token": _token()}).status_code == 404
    assert client.post("/gegevens-wissen", data={"erasure_token": token}).status_code == 429
    assert client.post("/api/erasure", json={"erasure_token": token}).status_code == 429
    assert services.cases.get(case_id) is not None  # refused without looking at the code


def test_an_over_long_code_on_the_page_is_refused_without_a_lookup(site: Any) -> None:
    client, _ = site
    answer = client.post("/gegevens-wissen", data={"erasure_token": "era_" + "x" * 200})
    assert answer.status_code == 422
    assert 'data-result="invalid"' in answer.text


def test_the_privacy_page_says_what_is_kept_and_how_to_erase(site: Any) -> None:
    client, _ = site
    dutch = client.get("/privacy").text
    for expected in ("365 dagen", "niemand anders", 'href="/gegevens-wissen"'):
        assert expected in dutch
    assert "365 days" in client.get("/privacy?lang=en").text
