"""What a citizen agrees to besides the data itself: the purpose (a published template, named and versioned),
how long the provider keeps the case, who else gets it, where the provider's privacy statement is, and
whether the data or only an outcome goes. Read from the provider's registration, the session's request and
the purpose template; language-free (the web puts it into words)."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from databrug import purposes
from databrug.registrations.model import ProviderRegistration
from databrug.sessions.model import SessionRecord

Delivery = Literal["data", "outcome"]


@dataclass(frozen=True)
class ConsentTerms:
    provider_name: str
    purpose_id: str
    purpose_version: str
    title: dict[str, str]
    """The purpose's name, by language ("nl", "en"), as the template publishes it."""
    summary: dict[str, str]
    """The purpose in a plain sentence or two, by language."""
    retention_days: int
    third_parties: tuple[str, ...]
    privacy_statement_url: str
    erasure_url: str | None
    delivery: Delivery
    include_documents: bool

    def title_in(self, language: str) -> str:
        return self.title.get(language) or self.title.get("nl") or self.purpose_id

    def summary_in(self, language: str) -> str:
        return self.summary.get(language) or self.summary.get("nl") or ""


def consent_terms(registration: ProviderRegistration, record: SessionRecord) -> ConsentTerms:
    """A session made before purposes (no ``request``) asked under its provider's first purpose, for data,
    with the originals the registration wants."""
    asked = record.request
    purpose_id = asked.purpose if asked is not None else registration.purposes[0]
    published = purposes.template(purpose_id, asked.purpose_version if asked is not None else None)
    return ConsentTerms(
        provider_name=registration.display_name,
        purpose_id=purpose_id,
        purpose_version=published.version,
        title={str(lang): text for lang, text in published.title.items()},
        summary={str(lang): text for lang, text in published.summary.items()},
        retention_days=registration.retention_days,
        third_parties=tuple(registration.third_parties),
        privacy_statement_url=registration.privacy_statement_url,
        erasure_url=registration.erasure_url,
        delivery=asked.delivery if asked is not None else "data",
        include_documents=asked.include_documents if asked is not None else registration.want_documents,
    )
