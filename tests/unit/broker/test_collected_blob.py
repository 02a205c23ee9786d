"""The plaintext inside a sealed source blob (``broker.vault.Collected``): catalogue personas' parsed
documents come back equal, originals included; the origins can be read without the records; the JSON shape
is the one sealed blobs already in a store have (documents with entry and subject, originals in base64)."""

from __future__ import annotations

import base64
import json
from typing import Literal

import pytest

from databrug.broker.vault import Collected
from databrug.sources.connectors import by_document_type
from databrug.sources.parsing import ParseContext, ParsedDocument
from databrug_sandbox.documents import belastingdienst, brp, mpo, uwv
from databrug_sandbox.personas.catalogue import CATALOGUE


def parsed_documents(key: str) -> tuple[list[ParsedDocument], dict[str, bytes]]:
    citizen = CATALOGUE[key].applicant
    rendered = {
        "brp-persoon": brp.render_brp(citizen),
        "verzekeringsbericht": uwv.render_verzekeringsbericht(citizen),
        "belastinggegevens": belastingdienst.render_belastinggegevens(citizen),
        "pensioenoverzicht": mpo.render_pensioenoverzicht(citizen, "xml"),
    }
    documents, originals = [], {}
    for index, (kind, data) in enumerate(rendered.items()):
        origin: Literal["fetched", "uploaded"] = "uploaded" if index == 1 else "fetched"
        context = ParseContext(subject="applicant", origin=origin, subject_bsn=citizen.bsn)
        document = by_document_type(kind).parse(data, context)  # type: ignore[arg-type]
        documents.append(document)
        originals[document.entry.id] = data
    return documents, originals


@pytest.mark.parametrize("key", sorted(CATALOGUE)[:4])
def test_a_blob_reads_back_equal(key: str) -> None:
    documents, originals = parsed_documents(key)
    blob = Collected(documents, originals).to_bytes()
    again = Collected.from_bytes(blob)
    assert again.documents == documents
    assert again.originals == originals
    assert Collected.from_bytes(again.to_bytes()) == again


def test_the_blob_keeps_its_json_shape() -> None:
    documents, originals = parsed_documents(sorted(CATALOGUE)[0])
    raw = json.loads(Collected(documents, originals).to_bytes())
    assert set(raw) == {"documents", "originals"}
    first = raw["documents"][0]
    assert first["entry"] == json.loads(documents[0].entry.model_dump_json())
    assert first["subject"] == json.loads(documents[0].subject.model_dump_json())
    assert base64.b64decode(raw["originals"][documents[0].entry.id]) == originals[documents[0].entry.id]


def test_a_tampered_record_is_refused() -> None:
    documents, _ = parsed_documents(sorted(CATALOGUE)[0])
    raw = json.loads(Collected(documents).to_bytes())
    raw["documents"][0]["subject"]["role"] = "neighbour"
    with pytest.raises(ValueError, match="role"):
        Collected.from_bytes(json.dumps(raw).encode())


def test_the_blob_keeps_no_holder_of_a_document() -> None:
    """Whom a document names is for the binding check only: sealed are its records and provenance."""
    documents, _ = parsed_documents(sorted(CATALOGUE)[0])
    verzekeringsbericht = documents[1]
    [printed] = verzekeringsbericht.holder.names  # "<initials> <surname>", as the UWV header prints it
    blob = Collected(documents).to_bytes()
    assert printed.encode() not in blob
    assert all(not d.holder.says_anything for d in Collected.from_bytes(blob).documents)
