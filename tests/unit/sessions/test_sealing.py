"""Sealing: AES-256-GCM bound to session id and blob name; any change or wrong key is sealed_data_invalid."""

from __future__ import annotations

import asyncio

import pytest

from databrug.sessions.errors import SealedDataInvalid, SessionKeyInvalid
from databrug.sessions.sealing import (
    counting_decrypts,
    decode_session_key,
    encode_session_key,
    new_session_key,
    open_sealed,
    seal,
)
from databrug.sessions.tokens import new_session_id

PLAINTEXT = b'{"bsn": "999990019", "name": "Planted Marker"}'


def test_round_trip_and_no_plaintext_in_the_sealed_bytes() -> None:
    key, sid = new_session_key(), new_session_id()
    sealed = bytes(seal(key, sid, "data/applicant/mijnoverheid", PLAINTEXT))
    assert PLAINTEXT not in sealed
    assert b"999990019" not in sealed
    assert open_sealed(key, sid, "data/applicant/mijnoverheid", sealed) == PLAINTEXT
    assert seal(key, sid, "data/applicant/mijnoverheid", PLAINTEXT) != sealed  # fresh nonce each time


def test_every_flipped_byte_is_detected() -> None:
    key, sid = new_session_key(), new_session_id()
    sealed = seal(key, sid, "n", PLAINTEXT)
    for index in range(len(sealed)):
        tampered = bytearray(sealed)
        tampered[index] ^= 0x01
        with pytest.raises(SealedDataInvalid) as raised:
            open_sealed(key, sid, "n", bytes(tampered))
        assert raised.value.code == "sealed_data_invalid"


@pytest.mark.parametrize("cut", [0, 1, 13, 28])
def test_truncated_data_is_detected(cut: int) -> None:
    key, sid = new_session_key(), new_session_id()
    with pytest.raises(SealedDataInvalid):
        open_sealed(key, sid, "n", seal(key, sid, "n", PLAINTEXT)[:cut])


def test_wrong_session_name_or_key_is_detected() -> None:
    key, sid = new_session_key(), new_session_id()
    sealed = seal(key, sid, "data/applicant/uwv", PLAINTEXT)
    with pytest.raises(SealedDataInvalid):
        open_sealed(key, new_session_id(), "data/applicant/uwv", sealed)
    with pytest.raises(SealedDataInvalid):
        open_sealed(key, sid, "data/partner/uwv", sealed)
    with pytest.raises(SealedDataInvalid):
        open_sealed(new_session_key(), sid, "data/applicant/uwv", sealed)


def test_session_keys_are_256_bit_and_travel_as_text() -> None:
    key = new_session_key()
    assert len(key) == 32
    text = encode_session_key(key)
    assert decode_session_key(text) == key
    assert "=" not in text
    for bad in ("", "short", text[:-2], text + "AAAA", "!" * 43):
        with pytest.raises(SessionKeyInvalid):
            decode_session_key(bad)
    with pytest.raises(SessionKeyInvalid):
        seal(b"k" * 16, new_session_id(), "n", b"x")


def test_decrypt_passes_are_counted_per_blob_only_inside_counting_decrypts() -> None:
    key, sid = new_session_key(), new_session_id()
    records, index = seal(key, sid, "data/applicant/uwv", PLAINTEXT), seal(key, sid, "x.index", b"{}")
    open_sealed(key, sid, "data/applicant/uwv", records)  # outside: not counted anywhere

    async def request() -> None:
        open_sealed(key, sid, "data/applicant/uwv", records)
        await asyncio.create_task(asyncio.to_thread(open_sealed, key, sid, "x.index", index))  # started by it

    with counting_decrypts() as passes:
        asyncio.run(request())
        with pytest.raises(SealedDataInvalid):
            open_sealed(key, sid, "data/applicant/uwv", index)  # a failed opening was a pass too
    open_sealed(key, sid, "x.index", index)
    assert passes == {(sid, "data/applicant/uwv"): 2, (sid, "x.index"): 1}
    assert PLAINTEXT.decode() not in repr(passes)
