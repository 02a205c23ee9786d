"""What the broker keeps at rest for a session, sealed under the citizen's session key: per source the records
(``Collected``) and a small index beside them, and the consent receipt.

The index holds what later pages ask of a source without needing its records: the documents' origins (the
sources page says which were uploaded) and the partner BSN that source names (the partner step). Reading it
opens a few hundred bytes instead of decrypting and validating every record. ``opened`` counts the decrypt
passes over records per blob (when a test turns it on), so a test can hold the journey to one per blob per
request.
"""

from __future__ import annotations

import base64
import json
from collections import Counter
from collections.abc import Mapping
from dataclasses import dataclass, field
from typing import Any

from pydantic import BaseModel, Field

from databrug.consent import ConsentReceipt
from databrug.consent.receipt import RECEIPT_GROUPS as RECEIPT_GROUPS
from databrug.consent.receipt_pdf import Deletion as Deletion
from databrug.consent.receipt_pdf import dutch_time as dutch_time
from databrug.consent.receipt_pdf import receipt_pdf as receipt_pdf
from databrug.delivery.receipts import verify_receipt
from databrug.records import Role, SourceEntry, SourceName, Subject
from databrug.sessions.errors import SessionError
from databrug.sessions.sealing import (
    SealedBytes,
    decode_session_key,
    encode_session_key,
    new_session_key,
    open_sealed,
    seal,
)
from databrug.sessions.service import RECEIPTS, AppSession, SessionService
from databrug.sources.parsing import ParsedDocument

# RECEIPT_GROUPS, Deletion, dutch_time and receipt_pdf are imported above for web/, which reaches the
# consent layer only through the broker.
RECEIPT_BLOB = RECEIPTS
DELETION_RECEIPT_BLOB = f"{RECEIPTS}/deletion"
"""The signed deletion receipt, kept as signed: ids, a digest and a time, the facts the session record
holds too. Not sealed under the session key: the provider acknowledges while the phone (the key) is away."""
_INDEX_PREFIX = "data/"
"""Under the sessions' data prefix on purpose: the index is dropped with the records when the package is
stored or the session ends (``SessionService._drop_blobs``)."""


class _SealedDocument(BaseModel):
    entry: SourceEntry
    subject: Subject


class _SealedCollected(BaseModel):
    """The JSON form of ``Collected`` in the sealed blob: written and read by pydantic in one pass each."""

    documents: list[_SealedDocument]
    originals: dict[str, str] = Field(default_factory=dict)
    """Base64 of each original document, by its entry id (only when the provider asked for originals)."""


@dataclass(frozen=True)
class Collected:
    """What one source gave one subject, as sealed at rest (records, provenance, optionally originals)."""

    documents: list[ParsedDocument]
    originals: dict[str, bytes] = field(default_factory=dict)

    def to_bytes(self) -> bytes:
        # The records are already validated models: pydantic does not validate them again here.
        sealed = _SealedCollected(
            documents=[_SealedDocument(entry=d.entry, subject=d.subject) for d in self.documents],
            originals={k: base64.b64encode(v).decode("ascii") for k, v in self.originals.items()},
        )
        return sealed.model_dump_json().encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> Collected:
        sealed = _SealedCollected.model_validate_json(data)
        return cls(
            documents=[ParsedDocument(entry=d.entry, subject=d.subject) for d in sealed.documents],
            originals={k: base64.b64decode(v) for k, v in sealed.originals.items()},
        )


@dataclass(frozen=True)
class SourceIndex:
    """What a source's blob holds, readable without its records: origins and the partner BSN it names."""

    origins: frozenset[str]
    partner_bsn: str | None = None

    def to_bytes(self) -> bytes:
        return json.dumps({"origins": sorted(self.origins), "partner_bsn": self.partner_bsn}).encode("utf-8")

    @classmethod
    def from_bytes(cls, data: bytes) -> SourceIndex:
        value = json.loads(data)
        partner = value.get("partner_bsn")
        return cls(frozenset(str(o) for o in value["origins"]), partner if isinstance(partner, str) else None)


def count_records(subject: Subject) -> int:
    return (
        (1 if subject.person else 0)
        + len(subject.incomes.relations)
        + len(subject.incomes.tax_years)
        + len(subject.incomes.allowances)
        + (1 if subject.pensions.state_pension else 0)
        + len(subject.pensions.schemes)
        + len(subject.pensions.survivor_pensions)
        + len(subject.assets.homes)
        + len(subject.assets.mortgages)
        + len(subject.assets.vehicles)
        + len(subject.assets.bank_balances)
    )


def document_filename(entry: SourceEntry) -> str:
    extension = {
        "application/pdf": ".pdf",
        "application/xml": ".xml",
        "application/json": ".json",
        "application/hal+json": ".json",
    }.get(entry.media_type, ".bin")
    return f"{entry.document_type}{extension}"


class Vault:
    """The sealed blobs of sessions: written once per source, read by the pages that need them."""

    def __init__(self, sessions: SessionService) -> None:
        self._sessions = sessions
        self.opened: Counter[tuple[str, Role, SourceName]] | None = None
        """When a test set it: decrypt-and-parse passes over each source's records, by (session, role,
        source). Off by default, so a long-running broker keeps no entry per session."""

    async def save(
        self,
        app: AppSession,
        key: bytes,
        role: Role,
        source: SourceName,
        collected: Collected,
        index: SourceIndex,
    ) -> None:
        await self._sessions.save_collected(app, key, role, source, collected.to_bytes())
        name = _index_name(role, source)
        await self._sessions.store.put_blob(
            app.session_id, name, seal(key, app.session_id, name, index.to_bytes())
        )

    async def load(self, app: AppSession, key: bytes, role: Role, source: SourceName) -> Collected | None:
        data = await self._sessions.load_collected(app, key, role, source)
        if data is None:
            return None
        if self.opened is not None:
            self.opened[(app.session_id, role, source)] += 1
        return Collected.from_bytes(data)

    async def index(self, app: AppSession, key: bytes, role: Role, source: SourceName) -> SourceIndex | None:
        """The source's index, or None when no index was written (no records, or written before indexes)."""
        name = _index_name(role, source)
        sealed = await self._sessions.store.get_blob(app.session_id, name)
        return (
            None if sealed is None else SourceIndex.from_bytes(open_sealed(key, app.session_id, name, sealed))
        )

    async def save_receipt(self, app: AppSession, key: bytes, receipt: ConsentReceipt) -> None:
        sealed = seal(key, app.session_id, RECEIPT_BLOB, receipt.to_json())
        await self._sessions.store.put_blob(app.session_id, RECEIPT_BLOB, sealed)

    async def load_receipt(self, app: AppSession, key: bytes) -> bytes | None:
        """The consent receipt as JSON, while the session keeps it."""
        sealed = await self._sessions.store.get_blob(app.session_id, RECEIPT_BLOB)
        return None if sealed is None else open_sealed(key, app.session_id, RECEIPT_BLOB, sealed)

    async def save_deletion_receipt(self, session_id: str, signed: str) -> None:
        await self._sessions.store.put_blob(session_id, DELETION_RECEIPT_BLOB, SealedBytes(signed.encode()))

    async def load_deletion_receipt(self, app: AppSession, jwks: Mapping[str, Any]) -> Deletion | None:
        """The deletion receipt once the provider acknowledged, while the session keeps it; its signature
        checked against the broker's own keys (``jwks``) like anyone else would."""
        blob = await self._sessions.store.get_blob(app.session_id, DELETION_RECEIPT_BLOB)
        if blob is None:
            return None
        signed = bytes(blob).decode("ascii")
        facts = verify_receipt(signed, jwks)
        return Deletion(facts.deleted_at, facts.ciphertext_sha256, signed)


def new_session_key_text() -> str:
    """A fresh session key, as the phone keeps it in its cookie (the broker never stores it)."""
    return encode_session_key(new_session_key())


def session_key_of(text: str) -> bytes:
    """The session key from the phone's cookie (``SessionKeyInvalid`` when it is not one)."""
    return decode_session_key(text)


def seal_value(key: bytes, session_id: str, name: str, value: dict[str, Any]) -> str:
    """A JSON object sealed under the session key, as cookie-safe text (for the phone to keep)."""
    sealed = seal(key, session_id, name, json.dumps(value).encode("utf-8"))
    return base64.urlsafe_b64encode(bytes(sealed)).rstrip(b"=").decode("ascii")


def open_value(key: bytes, session_id: str, name: str, text: str | None) -> dict[str, Any] | None:
    """What ``seal_value`` sealed, or None. Sealing keeps out everyone but the phone, which holds the key:
    what it sends is checked for shape by the reader, like any input."""
    if not text:
        return None
    try:
        data = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
        value = json.loads(open_sealed(key, session_id, name, data))
    except (SessionError, ValueError, RecursionError):
        return None
    return value if isinstance(value, dict) else None


def _index_name(role: Role, source: SourceName) -> str:
    return f"{_INDEX_PREFIX}{role}/{source}.index"
