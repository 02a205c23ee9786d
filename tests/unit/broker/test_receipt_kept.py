"""The citizen's receipt outlives the package: after the provider acknowledged, the consent receipt (with
counts per group) and the signed deletion receipt stay, readable with the phone's key; the package and the
data are gone. The PDF of it names no personal value."""

from __future__ import annotations

import pypdfium2 as pdfium
from tests.unit.broker.fakes import PROVIDER, World, collect_all, logged_in, request

from databrug.broker.vault import receipt_pdf
from databrug.consent import ConsentReceipt
from databrug.delivery.receipts import verify_receipt
from databrug_sandbox.personas.catalogue import CATALOGUE

PERSONA = CATALOGUE["company-car"]
APPLICANT = PERSONA.applicant.bsn


async def test_acknowledge_keeps_the_receipts_and_drops_everything_else(world: World) -> None:
    phone = await logged_in(world)
    await collect_all(world, phone, "applicant", APPLICANT)
    assert await world.broker.finish_sources(await request(world, phone), phone.key, True) == "review"
    app = await request(world, phone)
    _, receipt = await world.broker.deliver(app, phone.key, "nl", {"applicant": APPLICANT})
    counts = receipt.consents[0].counts
    assert counts["personen"] == 1
    assert counts["inkomens"] > 0
    assert receipt.ciphertext_sha256 is not None
    assert await world.broker.vault.load_deletion_receipt(app, world.broker.receipt_keys()) is None

    signed = await world.broker.acknowledge(app.session_id, PROVIDER)
    store = world.broker.sessions.store
    assert await store.blob_names(app.session_id) == ["receipt", "receipt/deletion"]
    app = await request(world, phone)  # the phone's app token still opens the ended session
    kept = await world.broker.consent_receipt(app, phone.key)
    assert kept is not None
    assert ConsentReceipt.model_validate_json(kept) == receipt
    deletion = await world.broker.vault.load_deletion_receipt(app, world.broker.receipt_keys())
    assert deletion is not None
    assert deletion.signed == signed
    facts = verify_receipt(signed, world.broker.receipt_keys())
    assert deletion.ciphertext_sha256 == facts.ciphertext_sha256 == receipt.ciphertext_sha256

    pdf = receipt_pdf(receipt, "nl", deletion)
    text = pdfium.PdfDocument(pdf)[0].get_textpage().get_text_range()
    assert "Databrug heeft het gewist op" in text
    assert "Inkomens" in text
    person = PERSONA.applicant.facts.person
    assert person is not None
    for value in (person.bsn, person.name.surname):
        assert value not in text
