"""The shape of a persona, shared by the generator, the catalogue, the IdP, the portals and the renderers.

A persona's facts are expressed in the data package's own records (``databrug.records``) with the
placeholder provenance ``SANDBOX_REF``: a portal renders them into a document in its real format, and a
connector's parser must read that document back to exactly the same facts (the round-trip tests).
"""

from __future__ import annotations

from dataclasses import dataclass, field, replace
from datetime import date
from typing import Any, Literal

from databrug.records import Subject

SANDBOX_REF = "src-sandbox"

AssuranceLevel = Literal["basis", "midden", "substantieel"]


@dataclass(frozen=True)
class DigidAccount:
    username: str
    password: str
    # Without an SMS check the citizen can only log in at level "basis" (portals require "midden").
    sms_enabled: bool = True
    phone: str = "06-00000000"


@dataclass(frozen=True)
class Citizen:
    """One person with a DigiD account and everything the four portals know about them."""

    digid: DigidAccount
    facts: Subject  # role, person (BRP), incomes, pensions, assets — all with source_ref=SANDBOX_REF
    # When the person's AOW age is reached etc. the MPO download needs a birth date; the BRP person has it.
    tax_years_available: tuple[int, ...] = ()
    extra: dict[str, Any] = field(default_factory=dict)

    @property
    def bsn(self) -> str:
        assert self.facts.person is not None
        return self.facts.person.bsn


@dataclass(frozen=True)
class Household:
    key: str  # stable slug, e.g. "single-renter-low-wage"
    title: str  # short Dutch-English description for docs and the catalogue
    applicant: Citizen
    partner: Citizen | None = None
    partner_kind: Literal["gehuwd", "geregistreerd", "samenwonend", "none"] = "none"
    reference_date: date = date(2026, 11, 1)
    key_facts: dict[str, Any] = field(default_factory=dict)
    seed: int | None = None  # generated households: the seed that regenerates them; None for the catalogue

    def citizens(self) -> list[Citizen]:
        return [c for c in (self.applicant, self.partner) if c is not None]

    def with_key_facts(self, key_facts: dict[str, Any]) -> Household:
        return replace(self, key_facts=key_facts)
