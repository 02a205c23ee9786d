"""The IdP's signing keys and the JWKS it publishes: an RSA key (RS256) and a P-256 key (ES256).

OpenID Connect Discovery 1.0 §3 requires RS256 among ``id_token_signing_alg_values_supported``, and RS256 is
the ID-token algorithm of a client that registered none (``id_token_signed_response_alg``, OIDC Dynamic
Client Registration §2): an RS256-only client must be able to use the sandbox. The broker's client is
registered for ES256; the IdP's access tokens for the portals are ES256 too.

By default fresh keys per start: tokens from an earlier run are then simply invalid, as after a key roll.
Pass a JWK file to keep the keys across restarts (a file from before RS256 holds the P-256 key alone: the
RSA key is added to it).
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any, Final, Literal

from joserfc.jwk import ECKey, RSAKey

ALGORITHM: Final = "ES256"
"""The algorithm of the IdP's own access tokens (the portals check them) and of the broker's ID tokens."""
IdTokenAlgorithm = Literal["RS256", "ES256"]
ID_TOKEN_ALGORITHMS: tuple[IdTokenAlgorithm, ...] = ("RS256", "ES256")
RSA_BITS = 2048


class SigningKey:
    def __init__(self, key: ECKey, rsa: RSAKey | None = None) -> None:
        if key.get("crv") != "P-256":
            raise ValueError("the sandbox IdP signs with ES256, which needs a P-256 key")
        self.key = key
        self.kid: str = key.kid or key.thumbprint()
        self.rsa = rsa or RSAKey.generate_key(RSA_BITS, private=True, auto_kid=True)
        if self.rsa.raw_value.key_size < RSA_BITS:
            raise ValueError(f"the sandbox IdP's RS256 key needs at least {RSA_BITS} bits")
        self.rsa_kid: str = self.rsa.kid or self.rsa.thumbprint()

    @classmethod
    def generate(cls) -> SigningKey:
        return cls(ECKey.generate_key("P-256", private=True, auto_kid=True))

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        """Load the private keys (a JWKS, or the P-256 JWK alone as written before RS256); create or complete
        the file when it lacks them."""
        if not path.exists():
            signing = cls.generate()
            signing._write(path)
            return signing
        data = json.loads(path.read_text(encoding="utf-8"))
        keys = data["keys"] if isinstance(data, dict) and "keys" in data else [data]
        ec = next(ECKey.import_key(k) for k in keys if k.get("kty") == "EC")
        rsa = next((RSAKey.import_key(k) for k in keys if k.get("kty") == "RSA"), None)
        signing = cls(ec, rsa)
        if rsa is None:
            signing._write(path)
        return signing

    def _write(self, path: Path) -> None:
        keys = [self.key.as_dict(private=True), self.rsa.as_dict(private=True)]
        path.write_text(json.dumps({"keys": keys}), encoding="utf-8")
        path.chmod(0o600)

    def header(self, algorithm: IdTokenAlgorithm = ALGORITHM) -> dict[str, str]:
        kid = self.rsa_kid if algorithm == "RS256" else self.kid
        return {"alg": algorithm, "typ": "JWT", "kid": kid}

    def private(self, algorithm: IdTokenAlgorithm = ALGORITHM) -> ECKey | RSAKey:
        return self.rsa if algorithm == "RS256" else self.key

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk

    def jwks(self) -> dict[str, Any]:
        rsa = dict(self.rsa.as_dict(private=False))
        rsa.update({"kid": self.rsa_kid, "use": "sig", "alg": "RS256"})
        return {"keys": [self.public_jwk(), rsa]}
