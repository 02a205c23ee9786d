"""The error catalogue: every stable code the broker answers with, its HTTP status, and its message id.

Features raise errors with a ``code`` (all under ``databrug.errors.CodedError``); only this module maps codes
to HTTP. Messages come from the message catalogues (``messages/*.json``, key ``error.<code>``) so pages and
API share one wording; ``tests/unit/web/test_error_catalogue.py`` checks that every code raised is here.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass(frozen=True)
class CatalogueEntry:
    status: int
    retryable: bool = False


CATALOGUE: dict[str, CatalogueEntry] = {
    # provider API
    "unauthorised": CatalogueEntry(401),
    "forbidden": CatalogueEntry(403),
    "invalid_request": CatalogueEntry(400),
    "validation_failed": CatalogueEntry(422),
    "not_found": CatalogueEntry(404),
    "rate_limited": CatalogueEntry(429, retryable=True),
    "provider_unknown": CatalogueEntry(401),
    "package_not_ready": CatalogueEntry(409, retryable=True),
    "package_gone": CatalogueEntry(410),
    "package_expired": CatalogueEntry(410),
    "internal_error": CatalogueEntry(500, retryable=True),
    # requests refused at the edge (web/request_limits.py, web/cross_site.py, web/server.py)
    "payload_too_large": CatalogueEntry(413),
    "headers_too_large": CatalogueEntry(431),
    "uri_too_long": CatalogueEntry(414),
    "request_timeout": CatalogueEntry(408, retryable=True),
    "cross_site_request": CatalogueEntry(403),
    # sessions
    "session_not_found": CatalogueEntry(404),
    "session_expired": CatalogueEntry(410),
    "session_cancelled": CatalogueEntry(410),
    "session_finished": CatalogueEntry(410),
    "session_failed": CatalogueEntry(410),
    "session_exists": CatalogueEntry(409),
    "session_key_invalid": CatalogueEntry(400),
    "version_conflict": CatalogueEntry(409, retryable=True),
    "store_unavailable": CatalogueEntry(503, retryable=True),
    "pairing_not_scanned": CatalogueEntry(409),
    "pairing_pending": CatalogueEntry(409),
    "partner_required": CatalogueEntry(409),
    "partner_not_allowed": CatalogueEntry(409),
    "source_not_requested": CatalogueEntry(400),
    "sources_pending": CatalogueEntry(409),
    "invalid_transition": CatalogueEntry(409),
    "pairing_token_invalid": CatalogueEntry(404),
    "pairing_token_used": CatalogueEntry(409),
    "pairing_token_expired": CatalogueEntry(410),
    "pairing_code_wrong": CatalogueEntry(400),
    "pairing_locked": CatalogueEntry(423),
    "token_invalid": CatalogueEntry(401),
    "sealed_data_invalid": CatalogueEntry(400),
    "partner_mismatch": CatalogueEntry(403),
    "login_mismatch": CatalogueEntry(403),
    "consent_required": CatalogueEntry(409),
    "consent_login_required": CatalogueEntry(403),
    # consent and delivery (consent/, delivery/): raised while the package is made and sealed
    "consent_missing": CatalogueEntry(409),
    "consent_invalid": CatalogueEntry(409),
    "no_encryption_key": CatalogueEntry(502),
    "package_too_large": CatalogueEntry(413),
    "receipt_invalid": CatalogueEntry(400),
    # DigiD
    "digid_cancelled": CatalogueEntry(400),
    "digid_loa_too_low": CatalogueEntry(403),
    "digid_state_invalid": CatalogueEntry(400),
    "digid_token_invalid": CatalogueEntry(401),
    "digid_unavailable": CatalogueEntry(503, retryable=True),
    "digid_refused": CatalogueEntry(502),
    # sources
    "source_unavailable": CatalogueEntry(502, retryable=True),
    "source_maintenance": CatalogueEntry(503, retryable=True),
    "source_not_authorised": CatalogueEntry(401),
    "document_invalid": CatalogueEntry(422),
    "document_unknown": CatalogueEntry(422),
    # the binding check (sources/binding.py) and the provider's upload rule (broker/collect.py)
    "document_of_another_person": CatalogueEntry(422),
    "document_identity_unchecked": CatalogueEntry(422),
    "upload_not_accepted": CatalogueEntry(403),
    # purpose templates (purposes/, docs/purposes.md): asking more than the template allows
    "purpose_exceeded": CatalogueEntry(403),
    "purpose_not_registered": CatalogueEntry(403),
    # outcome-only delivery (broker/outcome.py, broker/handover.py)
    "outcome_unavailable": CatalogueEntry(409),
    "outcome_data_not_allowed": CatalogueEntry(409),
}


def status_for(code: str) -> int:
    entry = CATALOGUE.get(code)
    return entry.status if entry else 500
