"""Fetching one source's documents and parsing them off the event loop."""

from __future__ import annotations

import asyncio
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import UTC, datetime

import httpx

from databrug.collection.plan import FETCHERS, SOURCE_DOCUMENTS
from databrug.records import DocumentType, Role, SourceName
from databrug.sources.errors import DocumentInvalid, SourceError
from databrug.sources.http import DEFAULT_POLICY, RetryPolicy
from databrug.sources.parsing import ParseContext, ParsedDocument
from databrug.sources.pdf_worker import close_pdf_workers
from databrug.sources.registry import by_document_type


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
