"""Tokens: random, typed, hashed with SHA-256, never shown by str/repr."""

from __future__ import annotations

import hashlib
import pickle

import pytest

from databrug.sessions.errors import TokenInvalid
from databrug.sessions.tokens import (
    AppToken,
    PageToken,
    PairingToken,
    TokenHash,
    TokenKind,
    hash_pairing_code,
    hash_token,
    new_pairing_code,
    new_session_id,
    normalise_pairing_code,
    parse_session_id,
)

KINDS = [
    (PageToken, "dbp_", TokenKind.PAGE),
    (PairingToken, "dbq_", TokenKind.PAIRING),
    (AppToken, "dba_", TokenKind.APP),
]


@pytest.mark.parametrize(("cls", "prefix", "kind"), KINDS)
def test_generated_tokens_carry_their_prefix_and_256_random_bits(
    cls: type[AppToken], prefix: str, kind: TokenKind
) -> None:
    tokens = {cls.generate().reveal() for _ in range(200)}
    assert len(tokens) == 200
    for text in tokens:
        assert text.startswith(prefix)
        assert len(text) == len(prefix) + 43  # base64url of 32 bytes
    assert cls.kind is kind


@pytest.mark.parametrize(("cls", "prefix", "kind"), KINDS)
def test_str_and_repr_never_show_the_secret(cls: type[AppToken], prefix: str, kind: TokenKind) -> None:
    token = cls.generate()
    secret = token.reveal()
    for shown in (str(token), repr(token), f"{token}", f"{token!r}", str([token]), str({"t": token})):
        assert secret[len(prefix) :] not in shown
        assert secret[len(prefix) : len(prefix) + 8] not in shown
    with pytest.raises(TypeError):
        pickle.dumps(token)


def test_the_stored_hash_is_sha256_of_the_full_text() -> None:
    token = AppToken.generate()
    expected = hashlib.sha256(token.reveal().encode()).hexdigest()
    assert token.hash == expected
    assert hash_token(token.reveal()) == expected
    assert token.matches(TokenHash(expected))
    assert not token.matches(TokenHash(hashlib.sha256(b"other").hexdigest()))
    assert not token.matches(None)


def test_parse_accepts_its_own_kind_only() -> None:
    app = AppToken.generate()
    assert AppToken.parse(app.reveal()) == app
    assert AppToken.parse(app.reveal()) != AppToken.generate()
    for bad in (
        PageToken.generate().reveal(),  # another kind
        app.reveal()[:-1],  # too short
        app.reveal() + "A",  # too long
        app.reveal()[:-1] + "!",  # not base64url
        "",
        "dba_",
    ):
        with pytest.raises(TokenInvalid) as raised:
            AppToken.parse(bad)
        assert raised.value.code == "token_invalid"
        if bad:
            assert bad not in str(raised.value)


def test_session_ids_are_128_bit_public_handles() -> None:
    ids = {new_session_id() for _ in range(200)}
    assert len(ids) == 200
    for sid in ids:
        assert sid.startswith("ses_")
        assert len(sid) == 26
        assert parse_session_id(sid) == sid
    with pytest.raises(TokenInvalid):
        parse_session_id("ses_../../etc")


def test_pairing_codes_are_six_digits_and_hashes_are_bound_to_their_pairing() -> None:
    codes = [new_pairing_code() for _ in range(300)]
    assert all(len(c) == 6 and c.isdigit() for c in codes)
    assert len(set(codes)) > 250
    one, two = PairingToken.generate().hash, PairingToken.generate().hash
    assert hash_pairing_code("123456", one) != hash_pairing_code("123456", two)
    assert hash_pairing_code("123456", one) == hash_pairing_code("123456", one)


@pytest.mark.parametrize(
    ("typed", "expected"),
    [("123456", "123456"), ("123 456", "123456"), (" 123-456 ", "123456"), ("12345", None), ("12345a", None),
     ("١٢٣٤٥٦", None), ("1234567", None)],
)  # fmt: skip
def test_typed_codes_are_normalised(typed: str, expected: str | None) -> None:
    assert normalise_pairing_code(typed) == expected
