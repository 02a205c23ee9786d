"""Reviewing: what was collected, merged per person; whether a partner is needed and who it must be. The
review's lines the citizen checks before consent are built in ``review_summary``."""

from __future__ import annotations

import base64
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal

from databrug import purposes
from databrug.broker.errors import BrokerError
from databrug.broker.vault import Collected, SourceIndex, Vault, document_filename
from databrug.records import Assets, Document, Incomes, Pensions, Role, SourceEntry, SourceName, Subject
from databrug.sessions.model import SourceStatus
from databrug.sessions.service import AppSession, SessionService
from databrug.sources.parsing import ParsedDocument

PARTNER_SOURCES: tuple[SourceName, ...] = ("mijnoverheid", "belastingdienst")
"""The sources ``expected_partner_bsn`` reads: BRP marriages and partnerships, the fiscal partner (in this
order: the BRP's partner comes first)."""

NextStep = Literal["partner", "review"]


def merge_documents(role: Role, documents: Iterable[ParsedDocument]) -> tuple[Subject, list[SourceEntry]]:
    """One subject from many documents; a later document of the same type replaces the earlier one."""
    latest: dict[str, ParsedDocument] = {}
    for document in documents:
        if document.entry.subject != role:
            raise ValueError("a document of another subject was merged")
        latest[document.entry.id] = document
    person = None
    incomes = Incomes()
    pensions = Pensions()
    assets = Assets()
    for document in latest.values():
        part = document.subject
        person = part.person or person
        incomes = Incomes(
            relations=[*incomes.relations, *part.incomes.relations],
            tax_years=[*incomes.tax_years, *part.incomes.tax_years],
            allowances=[*incomes.allowances, *part.incomes.allowances],
        )
        pensions = Pensions(
            state_pension=part.pensions.state_pension or pensions.state_pension,
            schemes=[*pensions.schemes, *part.pensions.schemes],
            survivor_pensions=[*pensions.survivor_pensions, *part.pensions.survivor_pensions],
        )
        assets = Assets(
            homes=[*assets.homes, *part.assets.homes],
            mortgages=[*assets.mortgages, *part.assets.mortgages],
            vehicles=[*assets.vehicles, *part.assets.vehicles],
            bank_balances=[*assets.bank_balances, *part.assets.bank_balances],
        )
    subject = Subject(role=role, person=person, incomes=incomes, pensions=pensions, assets=assets)
    return subject, [d.entry for d in latest.values()]


def expected_partner_bsn(applicant: Subject) -> str | None:
    """The BSN of the applicant's current partner, if the collected data names one."""
    person = applicant.person
    if person is not None:
        partner = person.current_partner
        if partner is not None and partner.bsn:
            return partner.bsn
    years = sorted(applicant.incomes.tax_years, key=lambda year: year.year, reverse=True)
    for year in years:
        if year.fiscal_partner_bsn:
            return year.fiscal_partner_bsn
    return None


def index_of(role: Role, source: SourceName, collected: Collected) -> SourceIndex:
    """What later steps ask of this source without its records: origins, and the partner it names."""
    partner_bsn = None
    if role == "applicant" and source in PARTNER_SOURCES:
        partner_bsn = expected_partner_bsn(merge_documents(role, collected.documents)[0])
    return SourceIndex(frozenset(d.entry.origin for d in collected.documents), partner_bsn)


@dataclass(frozen=True)
class PersonData:
    """One person's collected data, merged: the subject, its provenance, and any originals."""

    subject: Subject
    entries: list[SourceEntry]
    originals: list[Document]


class Reviewing:
    """Reading back what was collected: per person, per source, and the rules that follow from it."""

    def __init__(self, sessions: SessionService, vault: Vault) -> None:
        self._sessions = sessions
        self._vault = vault

    async def collected(
        self, app: AppSession, key: bytes, role: Role, source: SourceName
    ) -> Collected | None:
        return await self._vault.load(app, key, role, source)

    async def subject_data(
        self, app: AppSession, key: bytes, role: Role, only: tuple[SourceName, ...] | None = None
    ) -> tuple[Subject, list[SourceEntry], list[Document]]:
        """One person's data as far as the session's purpose template and request allow (history trimmed,
        fields and kinds dropped: ``purposes.bounded_subject``, for the broker clock's day), with the
        originals only when the request includes them. What the review shows, the consent's digest covers
        and the package holds: all three read it here. A session from before purposes (no ``request``)
        reads as it was collected."""
        asked = app.record.request
        documents: list[ParsedDocument] = []
        originals: list[Document] = []
        for source in app.record.sources:
            if only is not None and source not in only:
                continue
            collected = await self._vault.load(app, key, role, source)
            if collected is None:
                continue
            documents.extend(collected.documents)
            for document in collected.documents:
                data = collected.originals.get(document.entry.id)
                if data is not None:
                    originals.append(
                        Document(
                            source_ref=document.entry.id,
                            media_type=document.entry.media_type,
                            filename=document_filename(document.entry),
                            content_base64=base64.b64encode(data).decode("ascii"),
                        )
                    )
        subject, entries = merge_documents(role, documents)
        if asked is None:
            return subject, entries, originals
        bounds = purposes.template(asked.purpose, asked.purpose_version)
        subject = purposes.bounded_subject(bounds, asked, subject, self._sessions.clock.now().date())
        return subject, entries, originals if asked.include_documents else []

    async def people(self, app: AppSession, key: bytes) -> list[PersonData]:
        """Everyone who logged in, with their merged data: what the review page shows."""
        people = []
        for role in ("applicant", "partner"):
            progress = app.record.subjects.get(role)
            if progress is None or progress.authenticated_at is None:
                continue
            people.append(PersonData(*await self.subject_data(app, key, role)))
        return people

    async def expected_partner(self, app: AppSession, key: bytes) -> str | None:
        """The partner BSN the applicant's data names, from the sources' indexes (no records decrypted)."""
        for source in PARTNER_SOURCES:
            if source in app.record.sources:
                found = await self._source_index(app, key, "applicant", source)
                if found is not None and found.partner_bsn is not None:
                    return found.partner_bsn
        return None

    async def uploaded(self, app: AppSession, key: bytes, role: Role, source: SourceName) -> bool:
        """Whether the citizen uploaded this source's document themselves (read without the records)."""
        found = await self._source_index(app, key, role, source)
        return found is not None and "uploaded" in found.origins

    async def _source_index(
        self, app: AppSession, key: bytes, role: Role, source: SourceName
    ) -> SourceIndex | None:
        found = await self._vault.index(app, key, role, source)
        if found is not None:
            return found
        collected = await self._vault.load(app, key, role, source)  # a blob sealed before indexes were
        return None if collected is None else index_of(role, source, collected)

    async def uploaded_sources(self, app: AppSession, key: bytes, role: Role) -> set[SourceName]:
        """Sources whose data came from a document the citizen uploaded, so the list can say so."""
        progress = app.record.subjects.get(role)
        done = [
            source
            for source, state in (progress.sources.items() if progress else ())
            if source in app.record.sources and state.status is SourceStatus.DONE
        ]
        return {source for source in done if await self.uploaded(app, key, role, source)}

    async def check_login(self, app: AppSession, key: bytes, role: Role, bsn: str) -> None:
        """The partner's DigiD login is the partner the applicant's data names, if it names one. That a
        repeat login is the same person, and the partner not the applicant, the session checks against its
        keyed hashes as it records the login (``SessionService.mark_authenticated``), not against a cookie."""
        if role == "partner":
            expected = await self.expected_partner(app, key)
            if expected is not None and bsn != expected:
                raise BrokerError("partner_mismatch", "this DigiD login is not the partner found in the data")

    async def finish_sources(self, app: AppSession, key: bytes, applicant_step: bool) -> NextStep:
        """The person is done with their sources: on to the partner (when the provider requires one or said
        at creation that one is expected, or may want one and the data names one), or to the review."""
        record = app.record
        if applicant_step:
            needs_partner = record.partner_mode != "off" and (
                record.partner_expected or await self.expected_partner(app, key) is not None
            )
            if needs_partner:
                await self._sessions.require_partner(app)
                return "partner"
        await self._sessions.to_review(app)
        return "review"
