"""Check that each subject's consent in a package covers exactly the data in it.

The broker records per subject a ``data_digest``: ``"sha256:" + hex(SHA-256(canonical JSON of
{"subject": <subject>, "sources": [<that subject's sources[] entries, sorted by id>]}))``, canonical JSON
being sorted keys, no whitespace, UTF-8 (``databrug.consent.records`` documents the same recipe).
Both are dumped with ``model_dump(mode="json", exclude_defaults=True)``. ``verify_consents`` recomputes it,
so a provider can show the data it holds is what the citizen agreed to.

Each consent also says how the person who gave it was authenticated (``authentication``: their own DigiD
login, its level and time). ``verify_consents`` refuses a consent without it, one whose login came after
the consent, and one whose login was longer than ``CONSENT_LOGIN_WINDOW`` (15 minutes) before it.

In an outcome-only delivery (``package.outcome``) each consent also commits to the signed outcome:
``outcome_sha256`` is ``"sha256:" + hex(SHA-256(the compact JWS as ASCII))``. ``verify_consents`` refuses a
consent without it, or with another outcome's, and a consent naming an outcome the package lacks.
"""

from __future__ import annotations

import hashlib
import json

from databrug.records import ConsentRecord, DataPackage, Role, Subject
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.records.outcome import outcome_sha256
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
    """The roles whose consent matches their data (and outcome) and follows their own DigiD login;
    ``PackageError`` if any subject lacks one (``consent_missing``, ``consent_mismatch``,
    ``consent_unauthenticated``, ``consent_authentication_after``, ``consent_authentication_stale``)."""
    by_role = {c.subject: c for c in package.consents}
    expected_outcome = outcome_sha256(package.outcome) if package.outcome is not None else None
    for subject in package.subjects:
        consent = by_role.get(subject.role)
        if consent is None:
            raise PackageError("consent_missing", f"no consent for subject {subject.role}")
        if consent.provider_id != package.provider.id:
            raise PackageError("consent_mismatch", f"consent of {subject.role} names another provider")
        if consent.data_digest != subject_digest(package, subject):
            raise PackageError("consent_mismatch", f"consent of {subject.role} was given for other data")
        if consent.outcome_sha256 != expected_outcome:
            raise PackageError("consent_mismatch", f"consent of {subject.role} was given for another outcome")
        _check_authentication(consent)
    return [s.role for s in package.subjects]


def _check_authentication(consent: ConsentRecord) -> None:
    login = consent.authentication
    if login is None:
        raise PackageError(
            "consent_unauthenticated", f"consent of {consent.subject} does not say how the person logged in"
        )
    if login.authenticated_at > consent.given_at:
        raise PackageError(
            "consent_authentication_after", f"consent of {consent.subject} predates the login behind it"
        )
    if consent.given_at - login.authenticated_at > CONSENT_LOGIN_WINDOW:
        raise PackageError(
            "consent_authentication_stale",
            f"consent of {consent.subject} came too long after the person's DigiD login",
        )
