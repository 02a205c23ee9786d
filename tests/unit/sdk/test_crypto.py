from __future__ import annotations

import json

import pytest
from joserfc import jwe
from joserfc.jwk import KeySet

from databrug.delivery.jwe import seal, seal_package
from databrug.delivery.package import package_bytes
from databrug.records import DataPackage
from databrug.sdk import PackageError, decrypt_package, generate_provider_keys, merge_jwks, verify_consents


@pytest.mark.parametrize("kind", ["X25519", "P-256"])
def test_provider_keys_decrypt_what_the_broker_seals(package: DataPackage, kind: str) -> None:
    keys = generate_provider_keys(kind)  # type: ignore[arg-type]
    assert all("d" not in k for k in keys.public_jwks["keys"])
    assert all("d" in k for k in keys.private_jwks["keys"])
    assert keys.public_jwks["keys"][0]["kid"] == keys.kid
    sealed = seal_package(package, keys.public_jwks)
    assert sealed.kid == keys.kid
    assert decrypt_package(sealed.compact, keys.private_jwks) == package


def test_wrong_keys_fail(package: DataPackage) -> None:
    sealed = seal_package(package, generate_provider_keys().public_jwks)
    with pytest.raises(PackageError) as caught:
        decrypt_package(sealed.compact, generate_provider_keys().private_jwks)
    assert caught.value.code == "package_undecryptable"


def test_rotation_merged_keys_open_old_and_new_packages(package: DataPackage) -> None:
    old = generate_provider_keys("P-256", kid="2025")
    before = seal_package(package, old.public_jwks)
    new = generate_provider_keys("X25519", kid="2026")
    registered = merge_jwks(old.public_jwks, new.public_jwks)
    registered["keys"][0]["iat"], registered["keys"][1]["iat"] = 1, 2  # the new one is newer
    after = seal_package(package, registered)
    assert after.kid == "2026"
    both = merge_jwks(old.private_jwks, new.private_jwks)
    assert decrypt_package(before.compact, both) == decrypt_package(after.compact, both) == package
    with pytest.raises(PackageError):
        decrypt_package(after.compact, old.private_jwks)


def test_decrypted_content_is_validated_against_the_model(package: DataPackage) -> None:
    keys = generate_provider_keys()
    broken = json.loads(package_bytes(package))
    broken["subjects"][0]["incomes"]["tax_years"][0]["verzamelinkomen"] = 1234.5  # a float, not money
    del broken["provider"]
    sealed = seal(json.dumps(broken).encode(), keys.public_jwks)
    with pytest.raises(PackageError) as caught:
        decrypt_package(sealed.compact, keys.private_jwks)
    assert caught.value.code == "package_invalid"
    assert "provider" in caught.value.message
    assert "1234.5" not in caught.value.message


def test_a_jwe_that_is_not_a_package_is_refused() -> None:
    keys = generate_provider_keys()
    key = KeySet.import_key_set(keys.public_jwks).keys[0]  # type: ignore[arg-type]
    token = jwe.encrypt_compact(
        {"alg": "ECDH-ES+A256KW", "enc": "A256GCM", "kid": keys.kid},
        b"{}",
        key,
        algorithms=["ECDH-ES+A256KW", "A256GCM"],
    )
    with pytest.raises(PackageError, match="content type"):
        decrypt_package(token, keys.private_jwks)
    with pytest.raises(PackageError):
        decrypt_package("not.a.jwe", keys.private_jwks)


def test_weaker_algorithms_are_not_accepted(package: DataPackage) -> None:
    keys = generate_provider_keys()
    key = KeySet.import_key_set(keys.public_jwks).keys[0]  # type: ignore[arg-type]
    token = jwe.encrypt_compact(
        {"alg": "ECDH-ES", "enc": "A128GCM", "kid": keys.kid, "cty": "application/vnd.databrug.package+json"},
        package_bytes(package),
        key,
        algorithms=["ECDH-ES", "A128GCM"],
    )
    with pytest.raises(PackageError, match="not decryptable"):
        decrypt_package(token, keys.private_jwks)


def test_verify_consents_accepts_matching_and_catches_altered_data(package: DataPackage) -> None:
    assert verify_consents(package) == ["applicant", "partner"]
    applicant = package.subjects[0]
    altered = package.model_copy(
        update={
            "subjects": [
                applicant.model_copy(update={"incomes": package.subjects[1].incomes}),
                package.subjects[1],
            ]
        }
    )
    with pytest.raises(PackageError, match="other data"):
        verify_consents(altered)
    without = package.model_copy(update={"consents": package.consents[:1]})
    with pytest.raises(PackageError, match="no consent"):
        verify_consents(without)


def test_a_multi_megabyte_package_with_documents_decrypts_and_validates(package: DataPackage) -> None:
    import base64
    import os

    from databrug.records import Document

    documents = [
        Document(
            source_ref=entry.id,
            media_type="application/pdf",
            filename=f"{entry.id}.pdf",
            content_base64=base64.b64encode(os.urandom(800_000)).decode(),
        )
        for entry in package.sources
    ]
    big = package.model_copy(update={"documents": documents})
    keys = generate_provider_keys("P-256")
    sealed = seal_package(big, keys.public_jwks)
    assert sealed.size > 5 * 1024 * 1024
    assert decrypt_package(sealed.compact, keys.private_jwks) == big
