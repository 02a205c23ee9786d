"""Build the data package (docs/design.md §5) from the reviewed records, and its canonical bytes.

The package is the unit the citizen consented to: every subject in it must carry a consent whose data digest
matches the subject's records as packaged (``databrug.consent.data_digest``), or the build is refused.
Original documents go in only when the provider's registration asks for them (``include_documents``).
"""

from __future__ import annotations

import secrets
from collections.abc import Callable, Iterable, Sequence
from datetime import UTC, datetime

from databrug.consent import canonical_json, consent_matches
from databrug.delivery.errors import ConsentMissing
from databrug.records import ConsentRecord, DataPackage, Document, ProviderRef, SourceEntry, Subject
from databrug.records.outcome import ErasureCommitment, PurposeRef
from databrug.records.package import PartnerAbsence

PACKAGE_MEDIA_TYPE = "application/vnd.databrug.package+json"


def new_package_id() -> str:
    """``pkg_`` + 144 random bits, URL-safe."""
    return "pkg_" + secrets.token_urlsafe(18)


def build_package(
    provider: ProviderRef,
    reference: str,
    subjects: Sequence[Subject],
    sources: Iterable[SourceEntry],
    consents: Sequence[ConsentRecord],
    documents: Sequence[Document] | None,
    include_documents: bool,
    *,
    package_id: str | None = None,
    now: Callable[[], datetime] = lambda: datetime.now(UTC),
    partner_absent: PartnerAbsence | None = None,
    purpose: PurposeRef | None = None,
    outcome: str | None = None,
    erasure: ErasureCommitment | None = None,
) -> DataPackage:
    """The package for ``provider``; refuses a subject without a matching consent. ``partner_absent``: the
    app asked for the partner and the citizen went on without them, and why. ``purpose``: the template the
    request stayed within; ``outcome``: the broker's signed outcome (outcome-only delivery); ``erasure``: the
    erasure token's SHA-256 and the provider's retention.

    ``sources`` may list more entries than the subjects use (e.g. a document that yielded nothing); only the
    entries of the packaged subjects' roles are kept. ``documents`` are dropped unless ``include_documents``.
    """
    entries = list(sources)
    roles = {s.role for s in subjects}
    kept_entries = [e for e in entries if e.subject in roles]
    by_role = {c.subject: c for c in consents}
    for subject in subjects:
        consent = by_role.get(subject.role)
        if consent is None:
            raise ConsentMissing(f"no consent for subject {subject.role}")
        if consent.provider_id != provider.id:
            raise ConsentMissing(f"the consent of subject {subject.role} names another provider")
        if not consent_matches(consent, subject, kept_entries):
            raise ConsentMissing(f"the consent of subject {subject.role} was given for other data")
    kept_ids = {e.id for e in kept_entries}
    kept_documents = [d for d in documents or [] if d.source_ref in kept_ids] if include_documents else []
    return DataPackage(
        package_id=package_id or new_package_id(),
        created_at=now(),
        provider=provider,
        provider_reference=reference,
        subjects=list(subjects),
        sources=kept_entries,
        consents=[by_role[s.role] for s in subjects],
        documents=kept_documents,
        partner_absent=partner_absent,
        purpose=purpose,
        outcome=outcome,
        erasure=erasure,
    )


def package_bytes(package: DataPackage) -> bytes:
    """Canonical JSON of the package (sorted keys, no whitespace, UTF-8): what gets encrypted."""
    return canonical_json(package.model_dump(mode="json"))
