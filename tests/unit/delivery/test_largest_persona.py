"""The largest sandbox persona, with every original document its portals render, sealed and opened.

This is the realistic size check: the largest household's facts alone exceed joserfc's default 64 KiB
ciphertext limit, so without the raised limit a real package would not decrypt.
"""

from __future__ import annotations

import base64
import hashlib
import json
from datetime import UTC, datetime
from typing import TYPE_CHECKING

import pytest
from tests.support.consent_logins import login_before

from databrug.consent import make_consent
from databrug.delivery.jwe import seal_package
from databrug.delivery.package import build_package, package_bytes
from databrug.records import (
    DataPackage,
    Document,
    DocumentType,
    ProviderRef,
    SourceEntry,
    SourceName,
    Subject,
)
from databrug.sdk import decrypt_package, generate_provider_keys, verify_consents

if TYPE_CHECKING:
    from databrug_sandbox.personas.model import Citizen

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)
PROVIDER = ProviderRef(id="gezondverzekerd", name="Gezondverzekerd.nl")


def _rendered(citizen: Citizen) -> list[tuple[SourceName, DocumentType, str, bytes]]:
    from databrug_sandbox.documents import belastingdienst, brp, mpo, uwv, vehicles, woz

    return [
        ("mijnoverheid", "brp-persoon", "application/json", brp.render_brp(citizen)),
        ("mijnoverheid", "woz-objecten", "application/hal+json", woz.render_woz(citizen)),
        ("mijnoverheid", "voertuigen", "application/json", vehicles.render_vehicles(citizen)),
        ("uwv", "verzekeringsbericht", "application/pdf", uwv.render_verzekeringsbericht(citizen)),
        (
            "belastingdienst",
            "belastinggegevens",
            "application/xml",
            belastingdienst.render_belastinggegevens(citizen),
        ),
        ("belastingdienst", "toeslagen", "application/json", belastingdienst.render_toeslagen(citizen)),
        (
            "mijnpensioenoverzicht",
            "pensioenoverzicht",
            "application/xml",
            mpo.render_pensioenoverzicht(citizen, "xml"),
        ),
    ]


def _with_ref(subject: Subject, ref: str) -> Subject:
    text = json.dumps(subject.model_dump(mode="json")).replace('"src-sandbox"', json.dumps(ref))
    return Subject.model_validate_json(text)


@pytest.fixture(scope="module")
def largest() -> DataPackage:
    catalogue = pytest.importorskip("databrug_sandbox.personas.catalogue").CATALOGUE
    household = max(
        catalogue.values(), key=lambda h: sum(len(c.facts.model_dump_json()) for c in h.citizens())
    )
    subjects: list[Subject] = []
    entries: list[SourceEntry] = []
    documents: list[Document] = []
    for citizen in household.citizens():
        role = citizen.facts.role
        for source, doc_type, media_type, content in _rendered(citizen):
            entry = SourceEntry(
                id=f"src-{role}-{doc_type}",
                subject=role,
                source=source,
                document_type=doc_type,
                media_type=media_type,
                sha256=hashlib.sha256(content).hexdigest(),
                retrieved_at=NOW,
                parser_version="1.0.0",
            )
            entries.append(entry)
            documents.append(
                Document(
                    source_ref=entry.id,
                    media_type=media_type,
                    filename=f"{doc_type}.{media_type.split('/')[-1].split('+')[-1]}",
                    content_base64=base64.b64encode(content).decode(),
                )
            )
        # All of a persona's facts carry one placeholder ref; point them at the BRP entry of their subject.
        subjects.append(_with_ref(citizen.facts, f"src-{role}-brp-persoon"))
    consents = [make_consent(s, entries, PROVIDER, "nl", NOW, login_before(NOW)) for s in subjects]
    return build_package(
        PROVIDER, "APP-LARGEST", subjects, entries, consents, documents, include_documents=True
    )


@pytest.mark.parametrize("kind", ["X25519", "P-256"])
def test_largest_persona_with_documents_round_trips(largest: DataPackage, kind: str) -> None:
    plaintext = package_bytes(largest)
    without_documents = package_bytes(largest.model_copy(update={"documents": []}))
    assert len(without_documents) > 64 * 1024  # the facts alone are beyond joserfc's default
    keys = generate_provider_keys(kind)  # type: ignore[arg-type]
    sealed = seal_package(largest, keys.public_jwks)
    assert sealed.size > len(plaintext)
    opened = decrypt_package(sealed.compact, keys.private_jwks)
    assert opened == largest
    assert verify_consents(opened) == [s.role for s in largest.subjects]
    assert len(opened.documents) == 7 * len(largest.subjects)
