"""Collecting: fetch each source with the citizen's DigiD token and parse it off the event loop, or take a
document the citizen uploaded; check that every document is that person's (``sources.binding``); then seal
what it gave (``vault``) and record the progress.

A source's failure is recorded on that source alone, so the citizen can retry it without the others. A
document the binding check refuses is refused whole, before anything of it is kept or looked at (the
partner a tax file names, the source's progress).
"""

from __future__ import annotations

import asyncio
import contextlib
import logging
import time
from collections.abc import Awaitable, Callable, Iterator
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from databrug.broker.providers import registered
from databrug.broker.review import index_of
from databrug.broker.source_health import SourceHealth
from databrug.broker.vault import Collected, Vault, count_records
from databrug.metrics import BrokerMetrics, elapsed
from databrug.observability.tracing import span
from databrug.records import BindingCheck, DocumentType, Person, Role, SourceName
from databrug.registrations.store import ProviderRegistry
from databrug.sessions.model import SessionRecord, SourceStatus
from databrug.sessions.service import AppSession, SessionService
from databrug.sources.binding import check_binding, needs_person
from databrug.sources.connectors import FETCHERS, SOURCE_DOCUMENTS, by_document_type
from databrug.sources.errors import DocumentInvalid, SourceError, SourceUnavailable
from databrug.sources.http import DEFAULT_POLICY, RetryPolicy
from databrug.sources.parsing import MAX_DOCUMENT_BYTES, ParseContext, ParsedDocument
from databrug.sources.pdf_worker import close_pdf_workers
from databrug.sources.upload import parse_upload

logger = logging.getLogger("databrug.broker")

UPLOAD_NOT_ACCEPTED = "upload_not_accepted"
"""The provider takes this source only as fetched with DigiD (``ProviderRegistration.uploads_refused``)."""

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
        metrics: BrokerMetrics | None = None,
    ) -> None:
        self._http = http
        self.metrics = metrics or BrokerMetrics()
        self._portals_url = portals_url.rstrip("/")
        self._policy = policy
        self._executor = ThreadPoolExecutor(max_workers=workers, thread_name_prefix="parse")

    def close(self) -> None:
        self._executor.shutdown(wait=False, cancel_futures=True)
        close_pdf_workers()  # the PDF text worker processes end with the broker

    async def parse(self, document_type: DocumentType, data: bytes, context: ParseContext) -> ParsedDocument:
        loop = asyncio.get_running_loop()
        with span("document.parse", document_type=document_type):  # here: the worker has no span context
            return await loop.run_in_executor(self._executor, self._timed_parse, document_type, data, context)

    def _timed_parse(self, document_type: DocumentType, data: bytes, context: ParseContext) -> ParsedDocument:
        started, ok = time.perf_counter(), False
        try:
            parsed = parse_document(document_type, data, context)
            ok = True
            return parsed
        finally:
            self.metrics.parsed(document_type, elapsed(started), ok)

    async def collect(self, role: Role, source: SourceName, token: str, bsn: str) -> list[FetchedDocument]:
        """All documents of one source, fetched concurrently and parsed in worker threads."""

        async def one(document_type: DocumentType) -> FetchedDocument:
            with span("source.fetch", source=source, document_type=document_type):
                data = await FETCHERS[document_type](self._http, self._portals_url, token, bsn, self._policy)
            context = ParseContext(subject=role, retrieved_at=datetime.now(UTC), subject_bsn=bsn)
            return FetchedDocument(parsed=await self.parse(document_type, data, context), original=data)

        return list(await asyncio.gather(*(one(doc) for doc in SOURCE_DOCUMENTS[source])))

    async def fetch_person(self, role: Role, token: str, bsn: str) -> Person | None:
        """The person's own BRP record, fetched with their DigiD token: only to compare a document with, then
        dropped (a source of the session keeps what the provider asked for)."""
        data = await FETCHERS["brp-persoon"](self._http, self._portals_url, token, bsn, self._policy)
        context = ParseContext(subject=role, retrieved_at=datetime.now(UTC), subject_bsn=bsn)
        return (await self.parse("brp-persoon", data, context)).subject.person


def bound(parsed: ParsedDocument, binding: BindingCheck) -> ParsedDocument:
    """The document with the check that bound it recorded in its provenance."""
    entry = parsed.entry.model_copy(update={"binding": binding})
    return ParsedDocument(entry=entry, subject=parsed.subject)


def not_collected(app: AppSession, role: Role) -> list[SourceName]:
    """The session's sources this person has not collected yet (what "fetch all" fetches)."""
    progress = app.record.subjects.get(role)
    return [
        s
        for s in app.record.sources
        if not (progress and s in progress.sources and progress.sources[s].status is SourceStatus.DONE)
    ]


class _Once:
    """An awaitable read that runs once for all who ask, while they ask together (one fetch-all)."""

    def __init__(self, read: Callable[[], Awaitable[Person | None]]) -> None:
        self._read = read
        self._task: asyncio.Future[Person | None] | None = None

    async def __call__(self) -> Person | None:
        if self._task is None:
            self._task = asyncio.ensure_future(self._read())
        return await asyncio.shield(self._task)  # one asker cancelled leaves the read to the others

    def close(self) -> None:
        if self._task is not None:
            self._task.cancel()  # a no-op once it is done


class Collecting:
    """The collect and upload steps over the session service, the collector and the vault."""

    def __init__(
        self,
        sessions: SessionService,
        registry: ProviderRegistry,
        collector: Collector,
        vault: Vault,
        health: SourceHealth,
        metrics: BrokerMetrics | None = None,
    ) -> None:
        self._sessions = sessions
        self._health = health
        self._metrics = metrics or BrokerMetrics()
        self._registry = registry
        self._collector = collector
        self._vault = vault
        self._shared: dict[tuple[str, Role], _Once] = {}

    async def collect(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, token: str, bsn: str
    ) -> SessionRecord:
        """Fetch and parse one source for one subject; failure is recorded and retryable on its own.

        The whole fetch (documents, the BRP read that binds them, parsing) ends within the sessions'
        ``fetch_bound_seconds``, so this process records its end before the fetch's lease runs out; only a
        fetch cut off by a crash is left for the expiry sweep (``SessionService.release_stale_fetches``)."""
        await self._sessions.source_started(app, role, source)
        bound = self._sessions.settings.fetch_bound_seconds
        started = time.perf_counter()
        try:
            async with asyncio.timeout(bound):
                fetched = await self._fetched(role, source, token, bsn)
                documents = await self._bind(app, key, role, token, bsn, [f.parsed for f in fetched])
        except SourceError as error:
            self._metrics.fetched(source, elapsed(started), error.code)
            logger.info("source failed session=%s source=%s code=%s", app.session_id, source, error.code)
            return await self._sessions.source_failed(app, role, source, error.code)
        except TimeoutError:
            self._metrics.fetched(source, elapsed(started), SourceUnavailable.code)
            logger.info("source past its fetch bound session=%s source=%s", app.session_id, source)
            await self._health.record(source, SourceUnavailable.code, float(bound))
            return await self._sessions.source_failed(app, role, source, SourceUnavailable.code)
        self._metrics.fetched(source, elapsed(started))
        provider = registered(self._registry, app.record.provider_id)
        originals = {f.parsed.entry.id: f.original for f in fetched} if provider.want_documents else {}
        return await self._store(app, key, role, source, Collected(documents, originals))

    async def _fetched(self, role: Role, source: SourceName, token: str, bsn: str) -> list[FetchedDocument]:
        """The source's documents; the fetch's outcome and duration (nothing else) go to source health."""
        started = time.monotonic()
        try:
            fetched = await self._collector.collect(role, source, token, bsn)
        except SourceError as error:
            await self._health.record(source, error.code, time.monotonic() - started)
            raise
        await self._health.record(source, None, time.monotonic() - started)
        return fetched

    @contextlib.contextmanager
    def sharing_person(self, app: AppSession, role: Role, token: str, bsn: str) -> Iterator[None]:
        """While it lasts (one fetch-all), the sources whose documents name the person without a BSN share
        one read of the person's BRP record instead of one each; the record is dropped at its end."""
        shared = (app.session_id, role)
        if shared in self._shared:  # a fetch-all already under way shares its read
            yield
            return
        once = self._shared[shared] = _Once(lambda: self._fetched_person(app, role, token, bsn))
        try:
            yield
        finally:
            del self._shared[shared]
            once.close()

    async def upload(
        self,
        app: AppSession,
        key: bytes,
        role: Role,
        source: SourceName,
        data: bytes,
        bsn: str,
        token: str,
    ) -> str | None:
        """A document the citizen downloaded themselves, parsed by the same parser (origin 'uploaded') and
        bound to them like a fetched one; ``token`` reads their BRP record when the document has no BSN.
        Returns the error code when the document was refused (recorded on the source), else None."""
        if source in registered(self._registry, app.record.provider_id).uploads_refused:
            await self._sessions.source_failed(app, role, source, UPLOAD_NOT_ACCEPTED)
            return UPLOAD_NOT_ACCEPTED
        try:
            parsed = await asyncio.to_thread(
                parse_upload, data, source=source, subject=role, filename="upload", subject_bsn=bsn
            )
            [parsed] = await self._bind(app, key, role, token, bsn, [parsed], filename="upload")
        except SourceError as error:
            logger.info("upload refused session=%s source=%s code=%s", app.session_id, source, error.code)
            await self._sessions.source_failed(app, role, source, error.code)
            return error.code
        await self._sessions.source_started(app, role, source)
        existing = await self._vault.load(app, key, role, source)
        documents = [d for d in (existing.documents if existing else []) if d.entry.id != parsed.entry.id]
        originals = dict(existing.originals) if existing else {}
        originals[parsed.entry.id] = data
        await self._store(app, key, role, source, Collected([*documents, parsed], originals))
        return None

    async def _bind(
        self,
        app: AppSession,
        key: bytes,
        role: Role,
        token: str,
        bsn: str,
        documents: list[ParsedDocument],
        filename: str | None = None,
    ) -> list[ParsedDocument]:
        """Each document with the check that binds it to the logged-in person; raises if one is not theirs."""
        person = None
        if any(needs_person(d.holder) for d in documents):
            person = await self._person(app, key, role, token, bsn, documents)
        return [bound(d, check_binding(d, bsn, person, filename=filename)) for d in documents]

    async def _person(
        self, app: AppSession, key: bytes, role: Role, token: str, bsn: str, documents: list[ParsedDocument]
    ) -> Person | None:
        """The logged-in person's own BRP record: from this batch or (uploads) the session's MijnOverheid
        source when they hold it, else fetched with their DigiD token; None when it cannot be read now.

        A fetch reads no sealed record: it runs beside the MijnOverheid fetch, whose result is not sealed yet.
        Without the record a fetched document is still bound by the fetch with the person's own DigiD, so
        MijnOverheid being down fails no other source; an upload then cannot be checked and is refused."""

        def own(candidates: list[ParsedDocument]) -> Person | None:
            people = (d.subject.person for d in candidates if d.entry.document_type == "brp-persoon")
            return next((p for p in people if p is not None and p.bsn == bsn), None)

        found = own(documents)
        if found is None and documents and documents[0].entry.origin == "uploaded":
            existing = await self._vault.load(app, key, role, "mijnoverheid")
            found = own(existing.documents) if existing else None
        if found is not None:
            return found
        shared = self._shared.get((app.session_id, role))
        return await (shared() if shared is not None else self._fetched_person(app, role, token, bsn))

    async def _fetched_person(self, app: AppSession, role: Role, token: str, bsn: str) -> Person | None:
        try:
            return await self._collector.fetch_person(role, token, bsn)
        except SourceError as error:
            logger.info("brp for binding unavailable session=%s code=%s", app.session_id, error.code)
            return None

    async def _store(
        self, app: AppSession, key: bytes, role: Role, source: SourceName, collected: Collected
    ) -> SessionRecord:
        await self._vault.save(app, key, role, source, collected, index_of(role, source, collected))
        records = sum(count_records(d.subject) for d in collected.documents)
        return await self._sessions.source_completed(app, role, source, records)
