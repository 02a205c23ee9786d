"""Seal a data package to the provider's public key (docs/design.md §3 rule 4): JWE compact serialisation.

- ``alg`` ECDH-ES+A256KW, ``enc`` A256GCM, keys P-256 (``kty`` EC) or X25519 (``kty`` OKP).
- ``cty`` ``application/vnd.databrug.package+json``; ``kid`` names the provider key used.
- No ``zip``: compression before encryption leaks plaintext size patterns (RFC 8725 §3.6) and makes the
  provider inflate attacker-sized data; originals (PDF) are compressed already, JSON packages are small.
- Key choice (rotation): the JWKS may list several keys; a key is usable when it is P-256 or X25519, its
  ``use`` is ``enc`` (or absent) and its ``alg`` (if any) is ECDH-ES+A256KW. Unless a ``kid`` is pinned, the
  newest usable key is chosen: the greatest ``iat`` (seconds, a JWK member ``generate_provider_keys`` sets);
  keys without ``iat`` rank below those with one, and among them the first listed wins — the same "newest
  first" order as the registration's webhook secrets. Old keys stay listed so their packages still decrypt.
- Size: joserfc refuses a compact JWE whose ciphertext segment exceeds 64 KiB when *decrypting*
  (``JWERegistry.max_ciphertext_length``); encrypting has no check. We seal at most ``MAX_PACKAGE_BYTES``
  and the SDK decrypts with a registry whose limit fits that (``databrug.sdk.crypto``).
- The plaintext lives only in memory for the call; the caller keeps only the ``SealedPackage``.
"""

from __future__ import annotations

import hashlib
import math
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from joserfc import jwe
from joserfc.errors import JoseError
from joserfc.jwe import JWERegistry
from joserfc.jwk import ECKey, OKPKey

from databrug.delivery.errors import NoEncryptionKey, PackageTooLarge
from databrug.delivery.package import PACKAGE_MEDIA_TYPE, package_bytes
from databrug.records import DataPackage

JWE_ALG = "ECDH-ES+A256KW"
JWE_ENC = "A256GCM"
SUPPORTED_CURVES = {("EC", "P-256"), ("OKP", "X25519")}

MAX_PACKAGE_BYTES = 32 * 1024 * 1024
"""Largest plaintext package sealed (32 MiB): the largest persona with all originals is far below."""

MAX_CIPHERTEXT_SEGMENT = math.ceil(MAX_PACKAGE_BYTES * 4 / 3)
"""Base64url length of the largest ciphertext (A256GCM ciphertext = plaintext length)."""


class PackageJWERegistry(JWERegistry):
    """joserfc's registry with the ciphertext limit raised from 64 KiB to fit ``MAX_PACKAGE_BYTES``."""

    max_ciphertext_length = MAX_CIPHERTEXT_SEGMENT


def package_registry() -> JWERegistry:
    return PackageJWERegistry(algorithms=[JWE_ALG, JWE_ENC])


@dataclass(frozen=True)
class SealedPackage:
    """What the broker keeps after consent: ciphertext only."""

    compact: str
    kid: str
    ciphertext_sha256: str  # hex SHA-256 of the compact serialisation's ASCII bytes

    @property
    def size(self) -> int:
        return len(self.compact)


def _usable(key: Mapping[str, Any]) -> bool:
    return (
        (key.get("kty"), key.get("crv")) in SUPPORTED_CURVES
        and key.get("use", "enc") == "enc"
        and key.get("alg", JWE_ALG) == JWE_ALG
        and isinstance(key.get("kid"), str)
    )


def _newest_first(keys: list[Mapping[str, Any]]) -> list[Mapping[str, Any]]:
    with_iat = [k for k in keys if isinstance(k.get("iat"), int)]
    without = [k for k in keys if not isinstance(k.get("iat"), int)]
    return sorted(with_iat, key=lambda k: -int(k["iat"])) + without


def select_key(jwks: Mapping[str, Any], kid: str | None = None) -> ECKey | OKPKey:
    """The provider key to encrypt to: the pinned ``kid``, or the newest usable key (module docstring)."""
    raw_keys = jwks.get("keys")
    if not isinstance(raw_keys, list):
        raise NoEncryptionKey("the provider's JWKS has no keys list")
    usable = [k for k in raw_keys if isinstance(k, Mapping) and _usable(k)]
    if kid is not None:
        usable = [k for k in usable if k["kid"] == kid]
    if not usable:
        which = "the pinned kid" if kid is not None else "any key"
        raise NoEncryptionKey(f"no usable P-256 or X25519 encryption key for {which}")
    chosen = {name: value for name, value in _newest_first(usable)[0].items() if name != "d"}
    try:
        if chosen["kty"] == "EC":
            return ECKey.import_key(chosen)
        return OKPKey.import_key(chosen)
    except (JoseError, ValueError, TypeError) as exc:
        raise NoEncryptionKey("the chosen encryption key could not be read") from exc


def seal(plaintext: bytes, jwks: Mapping[str, Any], kid: str | None = None) -> SealedPackage:
    """Encrypt ``plaintext`` to the provider's key; returns the compact JWE and what identifies it."""
    if len(plaintext) > MAX_PACKAGE_BYTES:
        raise PackageTooLarge(f"package exceeds {MAX_PACKAGE_BYTES} bytes")
    key = select_key(jwks, kid)
    key_id = str(key.kid)
    header = {"alg": JWE_ALG, "enc": JWE_ENC, "cty": PACKAGE_MEDIA_TYPE, "kid": key_id}
    compact = jwe.encrypt_compact(header, plaintext, key, registry=package_registry())
    digest = hashlib.sha256(compact.encode("ascii")).hexdigest()
    return SealedPackage(compact=compact, kid=key_id, ciphertext_sha256=digest)


def seal_package(package: DataPackage, jwks: Mapping[str, Any], kid: str | None = None) -> SealedPackage:
    """Seal the package's canonical JSON (``package_bytes``) to the provider."""
    return seal(package_bytes(package), jwks, kid)
