"""The journey's use cases on fakes, no servers: collect → review → deliver → acknowledge on the memory
store, with a collector that returns sandbox documents and the memory outbox; each blob decrypted at most once
per step; and a provider whose key cannot be used leaves the session in review, retryable once it is fixed."""

from __future__ import annotations

import httpx
import pytest
from tests.unit.broker.fakes import (
    KEYS,
    PROVIDER,
    SOURCES,
    UNUSABLE_JWKS,
    Phone,
    World,
    collect_all,
    logged_in,
    opened,
    phone_cookies,
    registration,
    request,
)

from databrug.broker import BrokerError
from databrug.broker.handover import package_id_for
from databrug.errors import CodedError
from databrug.sdk.crypto import decrypt_package
from databrug.sessions.errors import StoreUnavailable
from databrug.sessions.state import SessionState
from databrug.web.app import create_app
from databrug.web.errors import status_for
from databrug_sandbox.personas.catalogue import CATALOGUE

APPLICANT = CATALOGUE["company-car"].applicant.bsn


async def to_review(world: World, phone: Phone) -> None:
    await collect_all(world, phone, "applicant", APPLICANT)
    assert sorted(source for _, source in world.collector.fetched) == sorted(SOURCES)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, True) == "review"
    assert not opened(world)


async def test_collect_review_deliver_acknowledge(world: World) -> None:
    phone = await logged_in(world)
    await to_review(world, phone)

    app = await request(world, phone)
    assert app.record.state is SessionState.REVIEW
    people = await world.broker.people(app, phone.key)
    assert [person.subject.role for person in people] == ["applicant"]
    assert people[0].entries
    assert people[0].subject.person is not None
    assert set(opened(world).values()) == {1}, "review opens each blob once"

    app = await request(world, phone)
    record, receipt = await world.broker.deliver(app, phone.key, "nl", {"applicant": APPLICANT})
    assert set(opened(world).values()) == {1}, "deliver opens each blob once"
    assert record.state is SessionState.DELIVERED
    assert await world.broker.consent_receipt(app, phone.key) == receipt.to_json()
    ciphertext = await world.broker.sessions.load_package(app.session_id, PROVIDER)
    assert ciphertext is not None
    package = decrypt_package(ciphertext, KEYS.private_jwks)
    assert package.package_id == package_id_for(app.session_id)
    assert [subject.role for subject in package.subjects] == ["applicant"]
    assert await world.broker.collected(app, phone.key, "applicant", "uwv") is None, "records dropped"

    signed = await world.broker.acknowledge(app.session_id, PROVIDER)
    assert signed.count(".") == 2  # a compact JWS
    assert (await world.broker.sessions.provider_session(app.session_id, PROVIDER)).state is (
        SessionState.ACKNOWLEDGED
    )
    events = await world.events()
    assert events.count("package.ready") == 1
    assert events.count("package.deleted") == 1
    with pytest.raises(BrokerError) as refused:
        await world.broker.acknowledge(app.session_id, PROVIDER)
    assert refused.value.code == "package_not_ready"


async def test_an_unusable_provider_key_records_no_consent_and_a_retry_works(world: World) -> None:
    phone = await logged_in(world)
    await to_review(world, phone)
    world.broker.registry.put(registration(UNUSABLE_JWKS))

    with pytest.raises(CodedError) as refused:
        await world.broker.deliver(await request(world, phone), phone.key, "nl", {"applicant": APPLICANT})
    assert refused.value.code == "no_encryption_key"
    app = await request(world, phone)
    assert app.record.state is SessionState.REVIEW
    assert app.record.subjects["applicant"].consented_at is None
    assert await world.broker.consent_receipt(app, phone.key) is None
    assert "session.consented" not in await world.events()

    world.broker.registry.put(registration(KEYS.public_jwks))
    app = await request(world, phone)
    record, _ = await world.broker.deliver(app, phone.key, "nl", {"applicant": APPLICANT})
    assert record.state is SessionState.DELIVERED


async def test_the_citizen_sees_the_catalogue_page_for_an_unusable_key_and_can_send_again(
    world: World,
) -> None:
    phone = await logged_in(world)
    await to_review(world, phone)
    world.broker.registry.put(registration(UNUSABLE_JWKS))
    cookies = phone_cookies(phone, (await request(world, phone)).session_id, {"applicant": APPLICANT})
    transport = httpx.ASGITransport(app=create_app(world.broker, background=False))
    async with httpx.AsyncClient(transport=transport, base_url="http://testserver", cookies=cookies) as web:
        refused = await web.post("/app/consent", data={"consent_applicant": "yes"})
        assert refused.status_code == status_for("no_encryption_key")
        assert 'data-code="no_encryption_key"' in refused.text
        assert (await request(world, phone)).record.subjects["applicant"].consented_at is None

        world.broker.registry.put(registration(KEYS.public_jwks))
        sent = await web.post("/app/consent", data={"consent_applicant": "yes"})
        assert (sent.status_code, sent.headers["location"]) == (303, "/app/done")
    assert (await request(world, phone)).record.state is SessionState.DELIVERED


async def test_everyone_who_logged_in_must_consent(world: World) -> None:
    phone = await logged_in(world)
    await to_review(world, phone)
    with pytest.raises(BrokerError) as refused:
        await world.broker.deliver(await request(world, phone), phone.key, "nl", {})
    assert refused.value.code == "consent_required"
    assert (await request(world, phone)).record.state is SessionState.REVIEW


@pytest.mark.parametrize("failing", ["put_blob", "update"])
async def test_a_store_failure_while_recording_leaves_no_consent_without_its_package(
    world: World, monkeypatch: pytest.MonkeyPatch, failing: str
) -> None:
    """The package is stored, or the record updated, after the consents were given: either failing leaves
    neither the consents nor the package recorded."""
    phone = await logged_in(world)
    await to_review(world, phone)
    store = world.broker.sessions.store
    genuine = getattr(store, failing)

    async def unavailable(session_id: str, name: object, *args: object, **kwargs: object) -> object:
        if failing == "put_blob" and not str(name).startswith("package"):
            return await genuine(session_id, name, *args, **kwargs)  # the receipt, after the package
        raise StoreUnavailable()

    with monkeypatch.context() as patched:
        patched.setattr(store, failing, unavailable)
        with pytest.raises(StoreUnavailable):
            await world.broker.deliver(await request(world, phone), phone.key, "nl", {"applicant": APPLICANT})
    app = await request(world, phone)
    assert app.record.state is SessionState.REVIEW
    assert app.record.subjects["applicant"].consented_at is None
    assert not [name for name in await store.blob_names(app.session_id) if name.startswith("package")]
    assert not {"consent.recorded", "session.consented"} & set(await world.events())

    record, _ = await world.broker.deliver(app, phone.key, "nl", {"applicant": APPLICANT})
    assert record.state is SessionState.DELIVERED
    assert record.subjects["applicant"].consented_at is not None
