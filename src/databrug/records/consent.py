"""Consent as recorded in the package: per subject, one-time, with the exact statement."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from databrug.records.base import Instant, Record
from databrug.records.provenance import Role, SourceName


class ConsentRecord(Record):
    subject: Role
    statement: str = Field(min_length=10, max_length=4000, description="The exact text shown")
    language: Literal["nl", "en"]
    given_at: Instant
    provider_id: str = Field(min_length=1, max_length=64)
    sources: list[SourceName] = Field(min_length=1)
    data_digest: Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
