"""Session state machine, tokens, pairing; the SessionStore port with memory and Redis adapters.

Framework-free: ``web/`` builds routes, SSE and pages on top of ``SessionService`` and maps each
``SessionError.code`` to HTTP. ``bootstrap`` picks the store (``MemorySessionStore`` or
``RedisSessionStore.from_url``). See docs/sessions.md.
"""

from databrug.sessions.clock import Clock, ManualClock, SystemClock
from databrug.sessions.errors import SessionError
from databrug.sessions.events import EventType, SessionEvent
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.model import PartnerMode, SessionRecord, SourceProgress, SourceStatus, SubjectProgress
from databrug.sessions.sealing import decode_session_key, encode_session_key, new_session_key
from databrug.sessions.service import AppSession, PairingGrant, SessionService, SessionSettings, SessionWatch
from databrug.sessions.state import FINAL_STATES, TRANSITIONS, SessionState, transition
from databrug.sessions.store import SessionStore
from databrug.sessions.tokens import AppToken, PageToken, PairingToken, SessionId, TokenKind

__all__ = [
    "FINAL_STATES",
    "TRANSITIONS",
    "AppSession",
    "AppToken",
    "Clock",
    "EventType",
    "ManualClock",
    "MemorySessionStore",
    "PageToken",
    "PairingGrant",
    "PairingToken",
    "PartnerMode",
    "SessionError",
    "SessionEvent",
    "SessionId",
    "SessionRecord",
    "SessionService",
    "SessionSettings",
    "SessionState",
    "SessionStore",
    "SessionWatch",
    "SourceProgress",
    "SourceStatus",
    "SubjectProgress",
    "SystemClock",
    "TokenKind",
    "decode_session_key",
    "encode_session_key",
    "new_session_key",
    "transition",
]
