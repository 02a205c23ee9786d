"""The session error catalogue: every error has a stable ``code``; ``web/`` alone maps codes to HTTP.

Messages are safe to show and to log: they name the rule that was broken, never a token, id or personal value.
"""

from __future__ import annotations

from databrug import errors as shared
from databrug.errors import CodedError


class SessionError(CodedError):
    """Base of every error this package raises on purpose."""

    code = "session_error"
    default_message = "the session operation failed"

    def __init__(self, message: str | None = None) -> None:
        super().__init__(message or self.default_message)

    def __str__(self) -> str:
        return f"{self.code}: {self.message}"


class SessionNotFound(SessionError):
    code = "session_not_found"
    default_message = "no such session"


class SessionExists(SessionError):
    code = "session_exists"
    default_message = "a session with this id already exists"


class SessionExpired(SessionError):
    code = "session_expired"
    default_message = "the session has expired"


class SessionCancelled(SessionError):
    code = "session_cancelled"
    default_message = "the session was cancelled"


class SessionFailed(SessionError):
    code = "session_failed"
    default_message = "the session has failed"


class InvalidTransition(SessionError):
    code = "invalid_transition"
    default_message = "this step is not allowed in the current session state"

    def __init__(self, current: str, target: str) -> None:
        self.current = current
        self.target = target
        super().__init__(f"cannot go from state {current} to {target}")


class PairingTokenInvalid(SessionError):
    code = "pairing_token_invalid"
    default_message = "the pairing code is not valid; scan the QR code on the computer again"


class PairingTokenUsed(SessionError):
    code = "pairing_token_used"
    default_message = "this QR code was already scanned; refresh the page on the computer"


class PairingTokenExpired(SessionError):
    code = "pairing_token_expired"
    default_message = "this QR code has expired; the page on the computer shows a new one"


class PairingNotScanned(SessionError):
    code = "pairing_not_scanned"
    default_message = "no phone has scanned the QR code yet"


class PairingPending(SessionError):
    code = "pairing_pending"
    default_message = "confirm the code shown on the phone on the computer first"


class PairingCodeWrong(SessionError):
    code = "pairing_code_wrong"
    default_message = "the code does not match the code on the phone"

    def __init__(self, attempts_left: int) -> None:
        self.attempts_left = attempts_left
        super().__init__(f"the code does not match the code on the phone ({attempts_left} attempts left)")


class PairingLocked(SessionError):
    code = "pairing_locked"
    default_message = "too many wrong codes; scan the new QR code on the computer again"


class TokenInvalid(SessionError):
    code = "token_invalid"
    default_message = "the token is not valid for this session"


class SealedDataInvalid(SessionError):
    code = "sealed_data_invalid"
    default_message = "stored session data could not be opened with this key"


class SessionKeyInvalid(SessionError):
    code = "session_key_invalid"
    default_message = "the session key is malformed"


class PartnerRequired(SessionError):
    code = "partner_required"
    default_message = "this provider requires the partner's data before review"


class PartnerNotAllowed(SessionError):
    code = "partner_not_allowed"
    default_message = "this provider does not take partner data"


class SourceNotRequested(SessionError):
    code = "source_not_requested"
    default_message = "this source was not requested for the session"


class SourcesPending(SessionError):
    code = "sources_pending"
    default_message = "a source is still being fetched"


class RateLimited(SessionError):
    code = "rate_limited"
    default_message = "too many attempts; wait a moment"

    def __init__(self, retry_after_seconds: int) -> None:
        self.retry_after_seconds = retry_after_seconds
        super().__init__(f"too many attempts; retry after {retry_after_seconds} s")


class VersionConflict(SessionError):
    """An optimistic update kept losing the race; raised only after the retries are spent."""

    code = "version_conflict"
    default_message = "the session changed concurrently too often; try again"


class StoreUnavailable(SessionError, shared.StoreUnavailable):
    code = "store_unavailable"
    default_message = "the session store cannot be reached"


class InvalidRequest(SessionError):
    code = "invalid_request"
    default_message = "the request does not describe a valid session"


class LoginMismatch(SessionError):
    """A later DigiD login for a role is another person than the one who logged in as it before."""

    code = "login_mismatch"
    default_message = "another person logged in than before in this session"


class PartnerIsApplicant(SessionError):
    code = "partner_mismatch"
    default_message = "the partner cannot log in as the applicant's own DigiD"
