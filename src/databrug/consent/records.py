"""Consent records (docs/design.md §3 rule 6): one per subject, one-time, with the exact statement and a
data digest.

What the data digest covers
---------------------------
``data_digest(subject, entries)`` is ``"sha256:" + hex(SHA-256(canonical))`` where ``canonical`` is the UTF-8
JSON text of::

    {"sources": [<SourceEntry>, ...], "subject": <Subject>}

- ``<Subject>`` is the reviewed subject exactly as it goes into the package:
  ``Subject.model_dump(mode="json", exclude_defaults=True)`` (money as strings "1234.56", dates ISO,
  ``source_ref``s included). Fields left at their default are omitted, so adding an optional field to the
  model later does not change the digest of data that does not use it; setting a field to or from its
  default still adds or removes it, so the digest changes.
- ``sources`` are the provenance entries whose ``subject`` is this subject's role, each
  ``SourceEntry.model_dump(mode="json", exclude_defaults=True)`` (document SHA-256, media type, parser
  version, retrieval time, …), sorted by ``id`` so the order they were collected in does not matter.
- Canonical JSON: keys sorted at every level, no whitespace (``separators=(",", ":")``), non-ASCII kept as
  UTF-8 (``ensure_ascii=False``). List order inside the subject is kept: it is part of the data (e.g. the
  current address comes first).

So the digest changes when any value changes, and does not change with the key order of the input. A provider
can recompute it from the package it receives (``databrug.sdk`` does: ``verify_consents``).
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Iterable
from datetime import datetime, timedelta
from typing import Any

from databrug.consent.statements import Language, consent_statement, sources_used
from databrug.errors import CodedError
from databrug.records import ConsentRecord, ProviderRef, SourceEntry, Subject
from databrug.records.consent import CONSENT_LOGIN_WINDOW, ConsentAuthentication

DIGEST_PREFIX = "sha256:"


class ConsentError(CodedError):
    """A consent that cannot be made as asked; ``code`` is stable, the message names no personal value."""

    code = "consent_invalid"


def canonical_json(value: Any) -> bytes:
    """Sorted keys, no whitespace, UTF-8: the same data always gives the same bytes."""
    return json.dumps(value, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode("utf-8")


def subject_entries(subject: Subject, entries: Iterable[SourceEntry]) -> list[SourceEntry]:
    """The provenance entries of this subject (by role), sorted by id."""
    return sorted((e for e in entries if e.subject == subject.role), key=lambda e: e.id)


def data_digest(subject: Subject, entries: Iterable[SourceEntry]) -> str:
    """``sha256:<hex>`` over the canonical JSON of the subject and its source entries (module docstring)."""
    mine = subject_entries(subject, entries)
    document = {
        "subject": subject.model_dump(mode="json", exclude_defaults=True),
        "sources": [entry.model_dump(mode="json", exclude_defaults=True) for entry in mine],
    }
    return DIGEST_PREFIX + hashlib.sha256(canonical_json(document)).hexdigest()


def statement_digest(statement: str) -> str:
    """``sha256:<hex>`` of the statement's UTF-8 text; goes on the receipt instead of the text."""
    return DIGEST_PREFIX + hashlib.sha256(statement.encode("utf-8")).hexdigest()


def make_consent(
    subject: Subject,
    entries: Iterable[SourceEntry],
    provider: ProviderRef,
    language: Language,
    given_at: datetime,
    authentication: ConsentAuthentication,
) -> ConsentRecord:
    """The consent of one subject to sending their own reviewed data to ``provider``, given after the
    person's own DigiD login ``authentication``.

    ``entries`` may hold both subjects' entries; only this subject's are named and hashed. Refuses a subject
    whose records point at entries that are missing, a subject with no data at all, and a login after the
    consent or longer than ``CONSENT_LOGIN_WINDOW`` before it (the SDK refuses those too).
    """
    if given_at.tzinfo is None:
        raise ConsentError("given_at needs a time zone")
    if not timedelta(0) <= given_at - authentication.authenticated_at <= CONSENT_LOGIN_WINDOW:
        raise ConsentError("the consent must follow the person's own DigiD login within the window")
    mine = subject_entries(subject, entries)
    if not mine:
        raise ConsentError(f"no source entries for subject {subject.role}")
    missing = subject.source_refs() - {e.id for e in mine}
    if missing:
        raise ConsentError(
            f"records of subject {subject.role} point at sources not listed: {sorted(missing)}"
        )
    return ConsentRecord(
        subject=subject.role,
        statement=consent_statement(
            provider.name, mine, language, subject.person.name if subject.person else None
        ),
        language=language,
        given_at=given_at,
        provider_id=provider.id,
        sources=list(sources_used(mine)),
        data_digest=data_digest(subject, mine),
        authentication=authentication,
    )


def consent_matches(consent: ConsentRecord, subject: Subject, entries: Iterable[SourceEntry]) -> bool:
    """Whether ``consent`` was given for exactly this subject's data (same role, same digest)."""
    return consent.subject == subject.role and consent.data_digest == data_digest(subject, entries)
