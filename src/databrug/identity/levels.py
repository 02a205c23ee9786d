"""DigiD assurance levels as they arrive in an ID token (``acr`` URI, or the short ``loa`` claim)."""

from __future__ import annotations

from typing import Literal

Level = Literal["basis", "midden", "substantieel", "hoog"]
ORDER: tuple[Level, ...] = ("basis", "midden", "substantieel", "hoog")

_BY_ACR: dict[str, Level] = {
    "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport": "basis",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract": "midden",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard": "substantieel",
    "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI": "hoog",
}
ACR_BY_LEVEL: dict[Level, str] = {level: acr for acr, level in _BY_ACR.items()}


def level_of(acr: object, loa: object) -> Level | None:
    """The level a token asserts; the standard ``acr`` wins over the short ``loa`` claim."""
    if isinstance(acr, str) and acr in _BY_ACR:
        return _BY_ACR[acr]
    if isinstance(loa, str) and loa in ORDER:
        return loa
    return None


def at_least(level: Level, minimum: Level) -> bool:
    return ORDER.index(level) >= ORDER.index(minimum)
