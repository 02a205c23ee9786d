"""The IdP's signing key (ES256) and the JWKS it publishes.

By default a fresh key per start: tokens from an earlier run are then simply invalid, as after a key roll.
Pass a JWK file to keep the key across restarts.
"""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from joserfc.jwk import ECKey

ALGORITHM = "ES256"


class SigningKey:
    def __init__(self, key: ECKey) -> None:
        if key.get("crv") != "P-256":
            raise ValueError("the sandbox IdP signs with ES256, which needs a P-256 key")
        self.key = key
        self.kid: str = key.kid or key.thumbprint()

    @classmethod
    def generate(cls) -> SigningKey:
        key = ECKey.generate_key("P-256", private=True, auto_kid=True)
        return cls(key)

    @classmethod
    def from_file(cls, path: Path) -> SigningKey:
        """Load a private P-256 JWK; create the file with a new key when it does not exist yet."""
        if not path.exists():
            signing = cls.generate()
            path.write_text(json.dumps(signing.key.as_dict(private=True)), encoding="utf-8")
            path.chmod(0o600)
            return signing
        return cls(ECKey.import_key(json.loads(path.read_text(encoding="utf-8"))))

    def header(self) -> dict[str, str]:
        return {"alg": ALGORITHM, "typ": "JWT", "kid": self.kid}

    def public_jwk(self) -> dict[str, Any]:
        jwk = dict(self.key.as_dict(private=False))
        jwk.update({"kid": self.kid, "use": "sig", "alg": ALGORITHM})
        return jwk

    def jwks(self) -> dict[str, Any]:
        return {"keys": [self.public_jwk()]}
