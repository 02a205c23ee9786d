"""Provider keys and package decryption.

Packages arrive as JWE compact serialisation: ``alg`` ECDH-ES+A256KW, ``enc`` A256GCM, ``cty``
``application/vnd.databrug.package+json``, ``kid`` = the key of yours the broker used. Keep every private key
whose public part is (or was) registered until its packages are picked up: during rotation both decrypt.

joserfc refuses compact JWEs with a ciphertext over 64 KiB by default; packages with original documents are
megabytes, so decryption uses a registry whose limit is ``MAX_PACKAGE_BYTES`` (the broker seals no more).
"""

from __future__ import annotations

import math
import secrets
import time
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, Literal

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, KeySet, OKPKey
from pydantic import ValidationError

from databrug.records import DataPackage
from databrug.sdk.errors import PackageError

JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"
PACKAGE_MEDIA_TYPE = "application/vnd.databrug.package+json"
MAX_PACKAGE_BYTES = 32 * 1024 * 1024

KeyKind = Literal["X25519", "P-256"]


class _PackageRegistry(JWERegistry):
    max_ciphertext_length = math.ceil(MAX_PACKAGE_BYTES * 4 / 3)


MAX_JWE_CHARS = _PackageRegistry.max_ciphertext_length + 4096
"""The longest compact JWE a package can be: its ciphertext, and the four small parts joserfc bounds too."""


@dataclass(frozen=True)
class ProviderKeys:
    """A new key pair as JWKS: register ``public_jwks`` with the broker, keep ``private_jwks`` secret."""

    kid: str
    private_jwks: dict[str, Any]
    public_jwks: dict[str, Any]


def generate_provider_keys(kind: KeyKind = "X25519", kid: str | None = None) -> ProviderKeys:
    """A fresh encryption key (``use`` enc, ``alg`` ECDH-ES+A256KW, ``iat`` now) with a random ``kid``.

    The broker encrypts to the newest registered key by ``iat``. To rotate: generate, register the union of
    the old and new public JWKS (``merge_jwks``), keep both private keys until the old packages are gone.
    """
    key_id = kid or f"{kind.lower()}-{secrets.token_hex(8)}"
    # `iat` is not in joserfc's KeyParameters type but is kept as a JWK member; the broker ranks keys by it.
    parameters: Any = {"kid": key_id, "use": "enc", "alg": JWE_ALG, "iat": int(time.time())}
    key: ECKey | OKPKey = (
        ECKey.generate_key("P-256", parameters=parameters)
        if kind == "P-256"
        else OKPKey.generate_key("X25519", parameters=parameters)
    )
    return ProviderKeys(
        kid=key_id,
        private_jwks={"keys": [key.as_dict(private=True)]},
        public_jwks={"keys": [key.as_dict(private=False)]},
    )


def merge_jwks(*sets: Mapping[str, Any]) -> dict[str, Any]:
    """One JWKS with the keys of all ``sets`` (later sets win on a repeated ``kid``)."""
    keys: dict[str, Any] = {}
    for jwks in sets:
        for key in jwks.get("keys", []):
            keys[key["kid"]] = key
    return {"keys": list(keys.values())}


def decrypt_package_bytes(token: str | bytes, private_jwks: Mapping[str, Any]) -> bytes:
    """The package JSON inside ``token``; ``PackageError`` when it is not for these keys or was altered."""
    if len(token) > MAX_JWE_CHARS:
        raise PackageError("package_too_large", f"a package JWE is at most {MAX_JWE_CHARS} characters")
    try:
        keys = KeySet.import_key_set(dict(private_jwks))  # type: ignore[arg-type]
    except (JoseError, ValueError, TypeError, KeyError) as exc:
        raise PackageError("keys_invalid", "private_jwks could not be read") from exc
    try:
        obj = jwe.decrypt_compact(token, keys, registry=_PackageRegistry(algorithms=[JWE_ALG, JWE_ENC]))
    except (JoseError, ValueError, TypeError, KeyError, RecursionError) as exc:  # deep JSON in the header
        raise PackageError("package_undecryptable", "not decryptable with these keys") from exc
    if obj.protected.get("cty") != PACKAGE_MEDIA_TYPE:
        raise PackageError("package_invalid", "JWE content type is not a Databrug package")
    if obj.plaintext is None:
        raise PackageError("package_invalid", "JWE has no content")
    return obj.plaintext


def decrypt_package(token: str | bytes, private_jwks: Mapping[str, Any]) -> DataPackage:
    """Decrypt and validate: a ``DataPackage`` (strict model, same rules as its JSON Schema)."""
    plaintext = decrypt_package_bytes(token, private_jwks)
    try:
        return DataPackage.model_validate_json(plaintext)
    except ValidationError as exc:
        # The model hides input values in its errors; the locations alone are enough to report.
        where = ", ".join(".".join(str(p) for p in e["loc"]) for e in exc.errors()[:5])
        raise PackageError("package_invalid", f"package does not match the schema at: {where}") from None
