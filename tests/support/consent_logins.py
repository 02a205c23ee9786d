"""The DigiD login behind a consent, for tests that make consents without a broker (``make_consent``)."""

from __future__ import annotations

from datetime import datetime, timedelta

from databrug.records.consent import AuthenticationMethod, ConsentAuthentication


def login_before(
    given_at: datetime, minutes: float = 2, method: AuthenticationMethod = "digid_login"
) -> ConsentAuthentication:
    """A "substantieel" DigiD login ``minutes`` before the consent given at ``given_at``."""
    return ConsentAuthentication(
        method=method, level="substantieel", authenticated_at=given_at - timedelta(minutes=minutes)
    )
