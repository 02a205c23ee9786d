"""The data package v1: what a provider receives (docs/design.md §5)."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field, model_validator

from databrug.records.asset import Assets
from databrug.records.base import Instant, Record, SourceRef
from databrug.records.consent import ConsentRecord
from databrug.records.income import Incomes
from databrug.records.outcome import ErasureCommitment, PurposeRef
from databrug.records.pension import Pensions
from databrug.records.person import Person
from databrug.records.provenance import Role, SourceEntry

SCHEMA_VERSION: Literal["1.0"] = "1.0"

PartnerAbsentReason = Literal["no_digid", "no_sms_check", "not_present", "skipped", "other"]
"""Why the app went on without the partner it asked for, as the citizen chose it: the partner has no DigiD,
no DigiD with SMS check, is not there now, another reason, or (an optional partner) was skipped."""
PARTNER_ABSENT_REASONS: tuple[PartnerAbsentReason, ...] = (
    "no_digid",
    "no_sms_check",
    "not_present",
    "other",
    "skipped",
)


class Subject(Record):
    role: Role
    person: Person | None = None
    incomes: Incomes = Field(default_factory=Incomes)
    pensions: Pensions = Field(default_factory=Pensions)
    assets: Assets = Field(default_factory=Assets)

    def source_refs(self) -> set[str]:
        refs: set[str] = set()
        if self.person:
            refs.add(self.person.source_ref)
        groups: list[list[object]] = [
            list(self.incomes.relations),
            list(self.incomes.tax_years),
            list(self.incomes.allowances),
            list(self.pensions.schemes),
            list(self.pensions.survivor_pensions),
            list(self.assets.homes),
            list(self.assets.mortgages),
            list(self.assets.vehicles),
            list(self.assets.bank_balances),
        ]
        if self.pensions.state_pension:
            groups.append([self.pensions.state_pension])
        for group in groups:
            refs.update(str(getattr(item, "source_ref")) for item in group)  # noqa: B009
        return refs


class ProviderRef(Record):
    id: str = Field(pattern=r"^[a-z0-9][a-z0-9-]{1,62}$")
    name: str = Field(min_length=1, max_length=200)


class Document(Record):
    """An original document, included only when the provider's registration asks for it."""

    source_ref: SourceRef
    media_type: str = Field(min_length=3, max_length=100)
    filename: str = Field(min_length=1, max_length=200)
    content_base64: str


class PartnerAbsence(Record):
    """The app asked for the partner, and the citizen went on without them: a code, never free text."""

    reason: PartnerAbsentReason


class DataPackage(Record):
    package_id: Annotated[str, Field(pattern=r"^pkg_[0-9A-Za-z_-]{16,64}$")]
    schema_version: Literal["1.0"] = SCHEMA_VERSION
    created_at: Instant
    provider: ProviderRef
    provider_reference: str = Field(min_length=1, max_length=200, description="The provider's own case id")
    subjects: list[Subject] = Field(min_length=1, max_length=2)
    sources: list[SourceEntry] = Field(default_factory=list)
    consents: list[ConsentRecord] = Field(default_factory=list)
    documents: list[Document] = Field(default_factory=list)
    # Left out when unset, so a package without it reads exactly as before the field existed.
    partner_absent: PartnerAbsence | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Set when the app asked for the partner and the citizen went on without them, and why",
    )
    purpose: PurposeRef | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The published purpose template the request stayed within (docs/purposes.md)",
    )
    outcome: str | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        max_length=20_000,
        description="Outcome-only delivery: the broker's signed outcome (compact JWS of an OutcomeStatement)",
    )
    erasure: ErasureCommitment | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="The SHA-256 of the erasure token only the citizen's receipt holds, and the retention",
    )

    @model_validator(mode="after")
    def _coherent(self) -> DataPackage:
        roles = [s.role for s in self.subjects]
        if len(set(roles)) != len(roles):
            raise ValueError("each role (applicant, partner) appears at most once")
        if "applicant" not in roles:
            raise ValueError("a package needs the applicant")
        if self.partner_absent is not None and "partner" in roles:
            raise ValueError("a package with the partner's data cannot say the partner was absent")
        ids = [s.id for s in self.sources]
        if len(set(ids)) != len(ids):
            raise ValueError("sources[] ids must be unique")
        known = set(ids)
        for subject in self.subjects:
            missing = subject.source_refs() - known
            if missing:
                raise ValueError(f"records point to unknown sources: {sorted(missing)}")
        for document in self.documents:
            if document.source_ref not in known:
                raise ValueError(f"document points to unknown source {document.source_ref}")
        consenting = {c.subject for c in self.consents}
        if consenting - set(roles):
            raise ValueError("a consent names a subject that is not in the package")
        if self.outcome is not None and self.purpose is None:
            raise ValueError("a signed outcome comes from a purpose rule: the package must name the purpose")
        return self

    def subject(self, role: Role) -> Subject | None:
        return next((s for s in self.subjects if s.role == role), None)
