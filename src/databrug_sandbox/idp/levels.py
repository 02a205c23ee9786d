"""DigiD assurance levels (betrouwbaarheidsniveaus) and how they appear in OIDC ``acr`` values.

basis = username + password; midden = plus an SMS code (or the DigiD app); substantieel = the DigiD app with
an ID check; hoog = the app with the ID card read at every login. The ``acr`` URIs are the SAML
AuthnContextClassRefs DigiD uses; the short names are the ``loa`` claim Databrug reads.
"""

from __future__ import annotations

from typing import Literal, get_args

Level = Literal["basis", "midden", "substantieel", "hoog"]
LEVELS: tuple[Level, ...] = get_args(Level)

ACR_BY_LEVEL: dict[Level, str] = {
    "basis": "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport",
    "midden": "urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract",
    "substantieel": "urn:oasis:names:tc:SAML:2.0:ac:classes:Smartcard",
    "hoog": "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
}
_LEVEL_BY_ACR: dict[str, Level] = {acr: level for level, acr in ACR_BY_LEVEL.items()}

LEVEL_NAMES_NL: dict[Level, str] = {
    "basis": "Basis",
    "midden": "Midden",
    "substantieel": "Substantieel",
    "hoog": "Hoog",
}


def rank(level: Level) -> int:
    return LEVELS.index(level)


def at_least(level: Level, minimum: Level) -> bool:
    return rank(level) >= rank(minimum)


def level_from_value(value: str) -> Level | None:
    """A level from a short name ("midden") or an acr URI; None if it is neither."""
    value = value.strip()
    if value in LEVELS:
        return value
    return _LEVEL_BY_ACR.get(value)


def requested_minimum(acr_values: str | None, loa: str | None) -> Level | Literal["invalid"] | None:
    """The lowest level the client accepts, or None when it asks for nothing in particular.

    ``acr_values`` is a space-separated list of acceptable levels, so its lowest entry counts; ``loa`` is a
    plain minimum. With both, the stricter of the two wins.
    """
    minimum: Level | None = None
    acr_levels: list[Level] = []
    for raw in (acr_values or "").split():
        level = level_from_value(raw)
        if level is None:
            return "invalid"
        acr_levels.append(level)
    if acr_levels:
        minimum = sorted(acr_levels, key=rank)[0]
    if loa:
        explicit = level_from_value(loa)
        if explicit is None:
            return "invalid"
        if minimum is None or rank(explicit) > rank(minimum):
            minimum = explicit
    return minimum
