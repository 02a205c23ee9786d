"""Consent as recorded in the package: per subject, one-time, with the exact statement and how the person
who gave it was authenticated."""

from __future__ import annotations

from datetime import timedelta
from typing import Annotated, Literal

from pydantic import Field

from databrug.records.base import Instant, Record
from databrug.records.provenance import Role, SourceName

CONSENT_LOGIN_WINDOW = timedelta(minutes=15)
"""A consent counts only with the consenting person's own DigiD login at most this long before it: the
broker asks for a new login at consent when the last one is older, and the SDK refuses an older one."""

AuthenticationMethod = Literal["digid_login", "digid_reauthentication"]
"""``digid_login``: the person's DigiD login at the start of their part of the session;
``digid_reauthentication``: a new DigiD login of the same person on the review page, to consent."""


class ConsentAuthentication(Record):
    """How the consenting person proved who they are, shortly before consenting."""

    method: AuthenticationMethod
    level: Literal["basis", "midden", "substantieel", "hoog"] = Field(
        description="The DigiD level of assurance of that login"
    )
    authenticated_at: Instant


class ConsentRecord(Record):
    subject: Role
    statement: str = Field(min_length=10, max_length=4000, description="The exact text shown")
    language: Literal["nl", "en"]
    given_at: Instant
    provider_id: str = Field(min_length=1, max_length=64)
    sources: list[SourceName] = Field(min_length=1)
    data_digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
    authentication: ConsentAuthentication | None = Field(
        default=None,
        description="The consenting person's own DigiD login behind this consent; packages made before it "
        "was recorded lack it, and verify_consents refuses those",
    )
    # Left out when unset, so a consent without it reads (and digests) exactly as before the field existed.
    outcome_sha256: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")] | None = Field(
        default=None,
        exclude_if=lambda value: value is None,
        description="Outcome-only delivery: SHA-256 of the signed outcome (the package's compact JWS, ASCII) "
        "this person consented to send; verify_consents checks it against the package's outcome",
    )
