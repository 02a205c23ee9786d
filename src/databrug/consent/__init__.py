"""Consent statements and consent records (docs/design.md §3 rule 6). Framework-free.

- ``statements``: the exact texts (``statements.yaml``), ``consent_statement(provider_name, entries, lang)``
- ``records``: ``data_digest`` (what is hashed is documented there), ``make_consent``, ``consent_matches``
- ``receipt``: ``ConsentReceipt`` for the citizen to download (JSON and plain text)
"""

from databrug.consent.receipt import ConsentReceipt, consent_receipt
from databrug.consent.records import (
    ConsentError,
    canonical_json,
    consent_matches,
    data_digest,
    make_consent,
    statement_digest,
)
from databrug.consent.statements import LANGUAGES, Language, catalogue, consent_statement, sources_used

__all__ = [
    "LANGUAGES",
    "ConsentError",
    "ConsentReceipt",
    "Language",
    "canonical_json",
    "catalogue",
    "consent_matches",
    "consent_receipt",
    "consent_statement",
    "data_digest",
    "make_consent",
    "sources_used",
    "statement_digest",
]
