"""The sandbox IdP's keys: RS256 beside ES256 (OIDC Discovery 1.0 §3), kept across restarts in one file."""

from __future__ import annotations

import json
import stat
from pathlib import Path

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import ECKey, KeySet

from databrug_sandbox.idp.keys import SigningKey


def test_a_key_file_from_before_rs256_keeps_its_p256_key_and_gains_an_rsa_key(tmp_path: Path) -> None:
    path = tmp_path / "idp-key.json"
    old = ECKey.generate_key("P-256", private=True, auto_kid=True)
    path.write_text(json.dumps(old.as_dict(private=True)), encoding="utf-8")
    loaded = SigningKey.from_file(path)
    assert loaded.kid == old.kid
    saved = json.loads(path.read_text(encoding="utf-8"))
    assert sorted(k["kty"] for k in saved["keys"]) == ["EC", "RSA"]
    assert stat.S_IMODE(path.stat().st_mode) == 0o600
    again = SigningKey.from_file(path)  # the same two keys at the next start
    assert (again.kid, again.rsa_kid) == (loaded.kid, loaded.rsa_kid)


def test_each_algorithm_signs_with_its_own_published_key(tmp_path: Path) -> None:
    signing = SigningKey.from_file(tmp_path / "new.json")
    published = KeySet.import_key_set(signing.jwks())  # type: ignore[arg-type]
    assert all(not k.is_private for k in published.keys)
    for algorithm in ("RS256", "ES256"):
        token = jwt.encode(signing.header(algorithm), {"sub": "x"}, signing.private(algorithm), [algorithm])
        decoded = jwt.decode(token, published, algorithms=[algorithm])
        assert decoded.header["alg"] == algorithm
    rs = jwt.encode(signing.header("RS256"), {"sub": "x"}, signing.private("RS256"), ["RS256"])
    with pytest.raises(JoseError):
        jwt.decode(rs, published, algorithms=["ES256"])
