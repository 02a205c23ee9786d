"""The session record a store holds: ids, states, counts, timestamps, token hashes and keyed hashes of who
logged in — no personal data."""

from __future__ import annotations

from datetime import datetime
from enum import StrEnum
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field

from databrug.records import Role, SourceName
from databrug.records.package import PartnerAbsentReason
from databrug.sessions.state import SessionState
from databrug.sessions.tokens import SessionId, TokenHash

PartnerMode = Literal["required", "optional", "off"]
CitizenLanguage = Literal["nl", "en"]


class SourceStatus(StrEnum):
    WAITING = "waiting"
    FETCHING = "fetching"
    DONE = "done"
    FAILED = "failed"
    SKIPPED = "skipped"


class _Model(BaseModel):
    model_config = ConfigDict(extra="forbid", validate_assignment=True)


class SourceProgress(_Model):
    status: SourceStatus = SourceStatus.WAITING
    records: int = Field(default=0, ge=0)
    """How many records the parser returned (a count, never the records)."""
    error_code: str | None = None
    attempts: int = Field(default=0, ge=0)
    fetching_until: datetime | None = None
    """While ``fetching``: the fetch's lease. The process fetching ends its fetch (done or failed) before it;
    past it the fetch is taken as cut off (its process died) and the source is released as failed with
    ``source_interrupted``, to be fetched again (``SessionService.release_stale_fetches``)."""

    def stale(self, now: datetime) -> bool:
        """A fetch whose process did not end it within its lease."""
        return (
            self.status is SourceStatus.FETCHING
            and self.fetching_until is not None
            and self.fetching_until <= now
        )


class SubjectProgress(_Model):
    loa: Literal["basis", "midden", "substantieel"] | None = None
    authenticated_at: datetime | None = None
    """The person's latest DigiD login in this session (their consent must follow it closely)."""
    authenticated_by: Literal["digid_login", "digid_reauthentication"] | None = None
    """Whether that login began the person's part, or was a new one on the review page to consent."""
    subject_hash: TokenHash | None = None
    """A keyed hash of who logged in (HMAC under the broker secret over the session id and the DigiD
    subject): lets the broker check the BSN the phone presents, and that a later login is the same person,
    without the record holding the BSN."""
    consented_at: datetime | None = None
    sources: dict[SourceName, SourceProgress] = Field(default_factory=dict)


class PendingPairing(_Model):
    """One QR pairing in flight. Every field is a hash, a flag, a counter or a time."""

    token_hash: TokenHash
    expires_at: datetime
    scanned_at: datetime | None = None
    code_hash: TokenHash | None = None
    app_token_hash: TokenHash | None = None
    """The app token handed to the phone that scanned; it may act only after the code is confirmed."""
    wrong_codes: int = 0

    @property
    def used(self) -> bool:
        return self.scanned_at is not None


class DataRequest(_Model):
    """What the session asks for, within its purpose template (checked at creation, docs/purposes.md):
    codes, counts and the rule's parameters — no personal data."""

    purpose: str
    purpose_version: str
    wage_months: int = Field(ge=1, description="Months of wage periods that go, counted back from the day")
    tax_years: int = Field(ge=1, description="Tax years (and their mortgages, balances, allowances) that go")
    include_documents: bool = False
    delivery: Literal["data", "outcome"] = "data"
    """``outcome``: the broker evaluates the template's rule and sends the signed outcome, not the records."""
    outcome_parameters: dict[str, Any] | None = None
    """The rule's parameters (``databrug.eligibility.RuleParameters`` as JSON), in ``delivery="outcome"``."""
    declared_children: int | None = Field(default=None, ge=0, le=30)
    """What the application said about children at home: an input of the rule, a count only."""


class SessionRecord(_Model):
    session_id: SessionId
    provider_id: str
    reference: str
    """The provider's own reference (e.g. its application id), never a personal value."""
    state: SessionState = SessionState.CREATED
    created_at: datetime
    updated_at: datetime
    last_activity_at: datetime
    expires_at: datetime
    """The session's deadline: overall lifetime, idle limit, or the pick-up window, whichever applies now."""
    lifetime_ends_at: datetime
    """The latest an unfinished session may live, set at creation."""
    delivered_at: datetime | None = None
    package_sha256: str | None = None
    """SHA-256 of the sealed package (ciphertext), for the deletion receipt once it is gone."""
    sources: list[SourceName]
    partner_mode: PartnerMode = "off"
    partner_expected: bool = False
    """The partner must be asked for, whatever the data show: the provider said so at creation (the applicant
    declared a partner), or its registration requires one."""
    partner_absent: PartnerAbsentReason | None = None
    """Why the session went on to the review without the partner it asked for (a code the citizen chose)."""
    request: DataRequest | None = None
    """The purpose, history, originals and delivery mode the session asks for (None: made before purposes)."""
    language: CitizenLanguage | None = None
    """The language the provider says the citizen uses; the pages' default when the person chose none."""
    subjects: dict[Role, SubjectProgress] = Field(default_factory=dict)
    page_token_hash: TokenHash
    app_token_hash: TokenHash | None = None
    pairing: PendingPairing | None = None
    paired_via: Literal["qr", "phone"] | None = None
    event_seq: int = 0
    ended_code: str | None = None
    """Why a session failed (a stable code), if it did."""
    version: int = 0
    """Bumped by the store on every write; the compare-and-set key."""

    def progress(self, role: Role) -> SubjectProgress:
        return self.subjects.setdefault(
            role, SubjectProgress(sources={s: SourceProgress() for s in self.sources})
        )

    def counts(self) -> dict[str, int]:
        """Per-status source counts over all subjects, plus the number of records found."""
        totals = {status.value: 0 for status in SourceStatus}
        records = 0
        for subject in self.subjects.values():
            for progress in subject.sources.values():
                totals[progress.status.value] += 1
                records += progress.records
        totals["records"] = records
        return totals

    def fetch_lease_ends(self) -> datetime | None:
        """The earliest lease of a source being fetched, if any (the expiry index lists the session then)."""
        leases = [
            progress.fetching_until
            for subject in self.subjects.values()
            for progress in subject.sources.values()
            if progress.status is SourceStatus.FETCHING and progress.fetching_until is not None
        ]
        return min(leases, default=None)
