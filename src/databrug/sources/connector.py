"""What a connector is (docs/design.md §2): one source's document types, how each is fetched and parsed."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from dataclasses import dataclass

import httpx

from databrug.records import DocumentType, SourceName
from databrug.sources.http import RetryPolicy
from databrug.sources.parsing import Parser

Fetcher = Callable[[httpx.AsyncClient, str, str, str, RetryPolicy], Awaitable[bytes]]
"""(http client, portals base URL, DigiD access token, the citizen's BSN, retry policy) → document bytes."""


@dataclass(frozen=True)
class Connector:
    """One source. ``fetchers`` and ``parsers`` are keyed by the same document types, in fetch order."""

    source: SourceName
    fetchers: Mapping[DocumentType, Fetcher]
    parsers: Mapping[DocumentType, Parser]

    def __post_init__(self) -> None:
        if tuple(self.fetchers) != tuple(self.parsers):
            raise ValueError(f"{self.source}: every document type needs one fetcher and one parser")
        for document_type, parser in self.parsers.items():
            if (parser.source, parser.document_type) != (self.source, document_type):
                raise ValueError(f"{self.source}: the parser for {document_type} reads another document")

    @property
    def document_types(self) -> tuple[DocumentType, ...]:
        return tuple(self.fetchers)
