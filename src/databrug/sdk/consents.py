"""Check that each subject's consent in a package covers exactly the data in it.

The broker records per subject a ``data_digest``: ``"sha256:" + hex(SHA-256(canonical JSON of
{"subject": <subject>, "sources": [<that subject's sources[] entries, sorted by id>]}))``, canonical JSON
being sorted keys, no whitespace, UTF-8 (``databrug.consent.records`` documents the same recipe).
Both are dumped with ``model_dump(mode="json", exclude_defaults=True)``. ``verify_consents`` recomputes it,
so a provider can show the data it holds is what the citizen agreed to.
"""

from __future__ import annotations

import hashlib
import json

from databrug.records import DataPackage, Role, Subject
from databrug.sdk.errors import PackageError


def subject_digest(package: DataPackage, subject: Subject) -> str:
    entries = sorted((e for e in package.sources if e.subject == subject.role), key=lambda e: e.id)
    document = {
        "subject": subject.model_dump(mode="json", exclude_defaults=True),
        "sources": [e.model_dump(mode="json", exclude_defaults=True) for e in entries],
    }
    text = json.dumps(document, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return "sha256:" + hashlib.sha256(text.encode("utf-8")).hexdigest()


def verify_consents(package: DataPackage) -> list[Role]:
    """The roles whose consent matches their data; ``PackageError`` if any subject lacks a matching one."""
    by_role = {c.subject: c for c in package.consents}
    for subject in package.subjects:
        consent = by_role.get(subject.role)
        if consent is None:
            raise PackageError("consent_missing", f"no consent for subject {subject.role}")
        if consent.provider_id != package.provider.id:
            raise PackageError("consent_mismatch", f"consent of {subject.role} names another provider")
        if consent.data_digest != subject_digest(package, subject):
            raise PackageError("consent_mismatch", f"consent of {subject.role} was given for other data")
    return [s.role for s in package.subjects]
