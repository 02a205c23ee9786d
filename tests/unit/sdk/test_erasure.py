"""Erasure in the SDK: the code matches only its own package (by SHA-256), a signed confirmation verifies
with the provider's published key and with nothing else, and any change to it is refused."""

from __future__ import annotations

import base64
import hashlib
import json
import secrets
from datetime import UTC, datetime

import httpx
import pytest

from databrug.records import DataPackage
from databrug.records.outcome import ErasureCommitment
from databrug.sdk import (
    DatabrugClient,
    ErasureConfirmation,
    ErasureError,
    erasure_token_matches,
    generate_erasure_signing_keys,
    generate_provider_keys,
    sign_erasure_confirmation,
    verify_erasure_confirmation,
)
from databrug.sdk.erasure import ERASURE_TYP, MAX_ERASURE_TOKEN_CHARS, public_signing_jwks

DELETED_AT = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)


def _token() -> str:
    return "era_" + secrets.token_urlsafe(24)


def _with_erasure(package: DataPackage, token: str) -> DataPackage:
    commitment = ErasureCommitment(
        token_sha256=hashlib.sha256(token.encode()).hexdigest(), retention_days=365
    )
    return package.model_copy(update={"erasure": commitment})


def _confirmation(token: str) -> ErasureConfirmation:
    return ErasureConfirmation(
        provider_id="gezondverzekerd",
        provider_reference="c_case123",
        package_ids=["pkg_" + "a" * 22],
        token_sha256=hashlib.sha256(token.encode()).hexdigest(),
        deleted_at=DELETED_AT,
        deleted=["case", "packages"],
    )


def test_the_code_matches_its_package_and_no_other(package: DataPackage) -> None:
    token = _token()
    stored = _with_erasure(package, token)
    assert erasure_token_matches(stored, token)
    assert erasure_token_matches(stored, f"  {token}\n")  # copied with the spaces around it
    assert not erasure_token_matches(stored, _token())
    assert not erasure_token_matches(stored, token[:-1])
    assert not erasure_token_matches(
        stored, hashlib.sha256(token.encode()).hexdigest()
    )  # the hash is no code
    assert not erasure_token_matches(package, token)  # a package without a commitment matches nothing
    assert not erasure_token_matches(stored, token + "x" * MAX_ERASURE_TOKEN_CHARS)
    assert not erasure_token_matches(stored, "\udcff" * 10)  # a lone surrogate from a browser: no crash


def test_a_signed_confirmation_verifies_with_the_published_key() -> None:
    keys = generate_erasure_signing_keys()
    token = _token()
    signed = sign_erasure_confirmation(_confirmation(token), keys.private_jwks)
    header = json.loads(base64.urlsafe_b64decode(signed.split(".")[0] + "=="))
    assert header == {"alg": "ES256", "kid": keys.kid, "typ": ERASURE_TYP}
    confirmation = verify_erasure_confirmation(signed, keys.public_jwks)
    assert confirmation == _confirmation(token)
    assert confirmation.token_sha256 == hashlib.sha256(token.encode()).hexdigest()
    assert public_signing_jwks(keys.private_jwks) == keys.public_jwks
    assert all("d" not in key for key in keys.public_jwks["keys"])


def test_a_single_jwk_signs_too() -> None:
    keys = generate_erasure_signing_keys()
    signed = sign_erasure_confirmation(_confirmation(_token()), keys.private_jwks["keys"][0])
    assert verify_erasure_confirmation(signed, keys.public_jwks).provider_id == "gezondverzekerd"


def test_another_key_does_not_verify() -> None:
    signed = sign_erasure_confirmation(_confirmation(_token()), generate_erasure_signing_keys().private_jwks)
    with pytest.raises(ErasureError) as caught:
        verify_erasure_confirmation(signed, generate_erasure_signing_keys().public_jwks)
    assert caught.value.code == "confirmation_invalid"


def test_a_tampered_confirmation_is_refused() -> None:
    keys = generate_erasure_signing_keys()
    header, payload, signature = sign_erasure_confirmation(_confirmation(_token()), keys.private_jwks).split(
        "."
    )
    claims = json.loads(base64.urlsafe_b64decode(payload + "=="))
    claims["provider_reference"] = "c_othercase"
    forged = base64.urlsafe_b64encode(json.dumps(claims).encode()).rstrip(b"=").decode()
    with pytest.raises(ErasureError):
        verify_erasure_confirmation(f"{header}.{forged}.{signature}", keys.public_jwks)
    flipped = signature[:-2] + ("AA" if signature[-2:] != "AA" else "BB")
    with pytest.raises(ErasureError):
        verify_erasure_confirmation(f"{header}.{payload}.{flipped}", keys.public_jwks)


def test_another_kind_of_jws_from_the_same_key_is_no_confirmation() -> None:
    from joserfc import jws
    from joserfc.jwk import ECKey

    keys = generate_erasure_signing_keys()
    key = ECKey.import_key(keys.private_jwks["keys"][0])
    payload = _confirmation(_token()).model_dump_json()
    other = jws.serialize_compact({"alg": "ES256", "typ": "databrug-outcome+jwt"}, payload, key)
    with pytest.raises(ErasureError, match="not an erasure confirmation"):
        verify_erasure_confirmation(other, keys.public_jwks)


@pytest.mark.parametrize("token", ["", "not.a.jws", "a" * 20_000, "e30.e30.e30", "[" * 5000 + ".x.y"])
def test_hostile_confirmation_texts_are_refused(token: str) -> None:
    with pytest.raises(ErasureError):
        verify_erasure_confirmation(token, generate_erasure_signing_keys().public_jwks)


def test_a_public_or_encryption_key_does_not_sign() -> None:
    with pytest.raises(ErasureError):
        sign_erasure_confirmation(_confirmation(_token()), generate_erasure_signing_keys().public_jwks)
    with pytest.raises(ErasureError):
        sign_erasure_confirmation(_confirmation(_token()), generate_provider_keys().private_jwks)
    with pytest.raises(ErasureError):
        sign_erasure_confirmation(_confirmation(_token()), {"keys": []})


def test_create_session_sends_the_purpose_delivery_and_outcome() -> None:
    seen: list[dict[str, object]] = []

    def broker(request: httpx.Request) -> httpx.Response:
        if request.url.path == "/api/v1/token":
            return httpx.Response(200, json={"access_token": "t", "token_type": "Bearer", "expires_in": 300})
        seen.append(json.loads(request.content))
        return httpx.Response(
            201,
            json={
                "id": "ses_1",
                "citizen_url": "https://b.test/start?t=x",
                "state": "created",
                "expires_at": "2026-11-29T12:00:00+00:00",
            },
        )

    parameters = {"percentage": "130", "includes_holiday_allowance": True}
    with DatabrugClient("https://b.test", "gv", "s", transport=httpx.MockTransport(broker)) as client:
        client.create_session("APP-1")
        client.create_session(
            "APP-2",
            purpose="gemeentepolis",
            delivery="outcome",
            outcome={"parameters": parameters, "declared_children": 2},
        )
    assert seen[0] == {"reference": "APP-1"}  # nothing new is sent unless asked
    assert seen[1] == {
        "reference": "APP-2",
        "purpose": "gemeentepolis",
        "delivery": "outcome",
        "outcome": {"parameters": parameters, "declared_children": 2},
    }
