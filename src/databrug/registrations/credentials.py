"""Provider API secrets: generated once, shown once, stored as salted scrypt hashes."""

from __future__ import annotations

import base64
import hashlib
import secrets
from datetime import UTC, datetime

from databrug.registrations.model import ApiCredential

_SCRYPT = {"n": 2**14, "r": 8, "p": 1, "dklen": 32}


def _hash(secret: str, salt: bytes) -> str:
    digest = hashlib.scrypt(secret.encode("utf-8"), salt=salt, **_SCRYPT)
    return base64.b64encode(digest).decode("ascii")


def new_credential() -> tuple[ApiCredential, str]:
    """A new credential and its secret; the secret is returned once and never stored."""
    secret = "dbs_" + secrets.token_urlsafe(32)
    salt = secrets.token_bytes(16)
    credential = ApiCredential(
        id="cred_" + secrets.token_urlsafe(9),
        salt=base64.b64encode(salt).decode("ascii"),
        hash=_hash(secret, salt),
        created_at=datetime.now(UTC).isoformat(timespec="seconds"),
    )
    return credential, secret


def verify_secret(credentials: list[ApiCredential], secret: str) -> bool:
    ok = False
    for credential in credentials:
        candidate = _hash(secret, base64.b64decode(credential.salt))
        ok |= secrets.compare_digest(candidate, credential.hash)
    return ok


def new_webhook_secret() -> str:
    return "whsec_" + base64.b64encode(secrets.token_bytes(32)).decode("ascii")
