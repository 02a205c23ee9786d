"""Collecting: fetch each source with the citizen's DigiD token and parse it off the event loop, or take a
document the citizen uploaded; then seal what it gave (``vault``) and record the progress.

A source's failure is recorded on that source alone, so the citizen can retry it without the others.
"""

from __future__ import annotations

import asyncio
import logging
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from databrug.broker.providers import registered
from databrug.broker.review import index_of
from databrug.broker.vault import Collected, Vault, count_records
from databrug.records import DocumentType, Role, SourceName
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.model import SessionRecord, SourceStatus
from databrug.sessions.service import AppSession, SessionService
from databrug.sources.connectors import FETCHERS, SOURCE_DOCUMENTS, by_document_type
from databrug.sources.errors import DocumentInvalid, SourceError
from databrug.sources.http import DEFAULT_POLICY, RetryPolicy
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext, ParsedDocument
from databrug.sources.pdf_worker import close_pdf_workers
from databrug.sources.upload import parse_upload

logger = logging.getLogger("databrug.broker")

UPLOAD_DOCUMENT_BYTES = min(MAX_DOCUMENT_BYTES, 4 * 1024 * 1024)
"""The largest document a citizen may upload. The real ones are tens of KB; 4 MiB keeps an upload's memory
(body, document, parse) far under the 64 MiB one request may add to the broker."""


@dataclass(frozen=True)
class FetchedDocument:
    parsed: ParsedDocument
    original: bytes  # kept (sealed) only when the provider's registration asks for originals


def parse_document(document_type: DocumentType, data: bytes, context: ParseContext) -> ParsedDocument:
    """Runs in a worker thread: CPU-heavy parsing (PDF) must not stall everyone's status streams."""
    parser = by_document_type(document_type)
    try:
        return parser.parse(data, context)
    except SourceError:
        raise
    except Exception as exc:  # a parser bug must still become a typed, located error
        raise DocumentInvalid(
            parser.source, document_type, "the whole document", "a readable document"
        ) from exc


class Collector:
    """Fetches one source's documents concurrently and parses them in worker threads."""

    def __init__(
        self,
        http: httpx.AsyncClient,
        portals_url: str,
        workers: int = 4,
        policy: RetryPolicy = DEFAULT_POLICY,
    ) -> None:
        self._http = http
        self._portals_url = portals_url.rstrip("/")
        self._policy = policy
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parse")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        close_pdf_workers()  # the PDF text worker processes end with the broker

    async def parse(self, document_type: DocumentType, data: bytes, context: ParseContext) -> ParsedDocument:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._executor, parse_document, document_type, data, context)

    async def collect(self, role: Role, source: SourceName, token: str, bsn: str) -> list[FetchedDocument]:
        """All documents of one source, fetched concurrently and parsed in worker threads."""

        async def one(document_type: DocumentType) -> FetchedDocument:
            data = await FETCHERS[document_type](self._http, self._portals_url, token, bsn, self._policy)
            context = ParseContext(subject=role, retrieved_at=datetime.now(UTC), subject_bsn=bsn)
            return FetchedDocument(parsed=await self.parse(document_type, data, context), original=data)

        return list(await asyncio.gather(*(one(doc) for doc in SOURCE_DOCUMENTS[source])))


def not_collected(app: AppSession, role: Role) -> list[SourceName]:
    """The session's sources this person has not collected yet (what "fetch all" fetches)."""
    progress = app.record.subjects.get(role)
    return [
        s
        for s in app.record.sources
        if not (progress and s in progress.sources and progress.sources[s].status is SourceStatus.DONE)
    ]


class Collecting:
    """The collect and upload steps over the session service, the collector and the vault."""

    def __init__(
        self, sessions: SessionService, registry: ProviderRegistry, collector: Collector, vault: Vault
    ) -> None:
        self._sessions = sessions
        self._registry = registry
        self._collector = collector
        self._vault = vault

    async def collect(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, token: str, bsn: str
    ) -> SessionRecord:
        """Fetch and parse one source for one subject; failure is recorded and retryable on its own."""
        await self._sessions.source_started(app, role, source)
        try:
            fetched = await self._collector.collect(role, source, token, bsn)
        except SourceError as error:
            logger.info("source failed session=%s source=%s code=%s", app.session_id, source, error.code)
            return await self._sessions.source_failed(app, role, source, error.code)
        provider = registered(self._registry, app.record.provider_id)
        originals = {f.parsed.entry.id: f.original for f in fetched} if provider.want_documents else {}
        return await self._store(app, key, role, source, Collected([f.parsed for f in fetched], originals))

    async def upload(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, data: bytes, bsn: str
    ) -> str | None:
        """A document the citizen downloaded themselves, parsed by the same parser (origin 'uploaded').
        Returns the error code when the document was refused (recorded on the source), else None."""
        try:
            parsed = await asyncio.to_thread(
                parse_upload, data, source=source, subject=role, filename="upload", subject_bsn=bsn
            )
        except SourceError as error:
            await self._sessions.source_failed(app, role, source, error.code)
            return error.code
        await self._sessions.source_started(app, role, source)
        existing = await self._vault.load(app, key, role, source)
        documents = [d for d in (existing.documents if existing else []) if d.entry.id != parsed.entry.id]
        originals = dict(existing.originals) if existing else {}
        originals[parsed.entry.id] = data
        await self._store(app, key, role, source, Collected([*documents, parsed], originals))
        return None

    async def _store(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, collected: Collected
    ) -> SessionRecord:
        await self._vault.save(app, key, role, source, collected, index_of(role, source, collected))
        records = sum(count_records(d.subject) for d in collected.documents)
        return await self._sessions.source_completed(app, role, source, records)
