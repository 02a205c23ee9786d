"""The SDK's consent check also checks how each consent was authenticated: the person's own DigiD login,
at most ``CONSENT_LOGIN_WINDOW`` before the consent and never after it."""

from __future__ import annotations

from datetime import timedelta

import pytest

from databrug.records import DataPackage
from databrug.records.consent import CONSENT_LOGIN_WINDOW
from databrug.sdk import PackageError, verify_consents


def with_partner_login(package: DataPackage, before: timedelta | None) -> DataPackage:
    """The package with the partner's login moved to ``before`` the consent, or dropped (None)."""
    consents = []
    for consent in package.consents:
        if consent.subject == "partner":
            login = consent.authentication
            assert login is not None
            moved = (
                None
                if before is None
                else login.model_copy(update={"authenticated_at": consent.given_at - before})
            )
            consent = consent.model_copy(update={"authentication": moved})
        consents.append(consent)
    return package.model_copy(update={"consents": consents})


def test_a_consent_after_the_persons_own_recent_login_passes(package: DataPackage) -> None:
    assert verify_consents(package) == ["applicant", "partner"]
    assert verify_consents(with_partner_login(package, CONSENT_LOGIN_WINDOW)) == [
        "applicant",
        "partner",
    ]


@pytest.mark.parametrize(
    ("before", "code"),
    [
        (None, "consent_unauthenticated"),
        (timedelta(seconds=-1), "consent_authentication_after"),
        (CONSENT_LOGIN_WINDOW + timedelta(seconds=1), "consent_authentication_stale"),
    ],
    ids=["missing", "after", "stale"],
)
def test_a_consent_without_a_fitting_login_is_refused(
    package: DataPackage, before: timedelta | None, code: str
) -> None:
    with pytest.raises(PackageError) as refused:
        verify_consents(with_partner_login(package, before))
    assert refused.value.code == code
    assert "partner" in refused.value.message
