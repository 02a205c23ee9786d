"""The journey's use cases, framework-free, one module per step: ``collect``, ``review``, ``handover``; what
is kept at rest in ``vault``; session events to webhooks in ``events``; sweeps in ``background``. ``core``
wires them into ``Broker``, the one door ``web/`` goes through.

Besides ``Broker``, this package names the few types its interface speaks in (a session's state and record,
its tokens and events, the consent receipt), so that ``web/`` imports only the broker, the package model and
its own modules (docs/design.md §7, ADR 0010; the import rules check it).
"""

from databrug.broker.consent_terms import ConsentTerms
from databrug.broker.core import Broker
from databrug.broker.errors import BrokerError
from databrug.broker.outcome import OutcomePreview
from databrug.consent import ConsentReceipt, consent_statement
from databrug.consent.statements import OutcomeConsent
from databrug.registrations.access_tokens import DEFAULT_TTL_SECONDS as ACCESS_TOKEN_TTL_SECONDS
from databrug.registrations.credentials import read_basic_credentials
from databrug.sessions.errors import SessionError, SessionKeyInvalid, TokenInvalid
from databrug.sessions.events import SessionEvent
from databrug.sessions.model import SessionRecord, SourceStatus
from databrug.sessions.pairing import QR_ERROR, current_pairing_tag, display_short_code
from databrug.sessions.sealing import DecryptPasses, counting_decrypts
from databrug.sessions.service import AppSession
from databrug.sessions.state import SessionState, is_final
from databrug.sessions.store import RateLimit
from databrug.sessions.tokens import AppToken, PageToken

__all__ = [
    "ACCESS_TOKEN_TTL_SECONDS",
    "QR_ERROR",
    "AppSession",
    "AppToken",
    "Broker",
    "BrokerError",
    "ConsentReceipt",
    "ConsentTerms",
    "DecryptPasses",
    "OutcomeConsent",
    "OutcomePreview",
    "PageToken",
    "RateLimit",
    "SessionError",
    "SessionEvent",
    "SessionKeyInvalid",
    "SessionRecord",
    "SessionState",
    "SourceStatus",
    "TokenInvalid",
    "consent_statement",
    "counting_decrypts",
    "current_pairing_tag",
    "display_short_code",
    "is_final",
    "read_basic_credentials",
]
