"""Typed DigiD login errors with stable codes; messages never carry a BSN or a token."""

from __future__ import annotations

from databrug.errors import CodedError


class IdentityError(CodedError):
    code = "digid_error"


class LoginCancelled(IdentityError):
    code = "digid_cancelled"


class AssuranceTooLow(IdentityError):
    """The citizen's DigiD has no SMS check (level basis) while the sources need midden."""

    code = "digid_loa_too_low"


class LoginStateInvalid(IdentityError):
    """The callback does not belong to a login this session started (CSRF, replay, or an old tab)."""

    code = "digid_state_invalid"


class TokenInvalid(IdentityError):
    code = "digid_token_invalid"


class IdentityProviderUnavailable(IdentityError):
    code = "digid_unavailable"


class IdentityProviderError(IdentityError):
    code = "digid_refused"
