"""The short link code typed instead of scanning: it finds only the current pairing token, and only with the
broker's secret; the token's own rules (single use) still apply."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databrug.sessions.errors import PairingTokenInvalid, PairingTokenUsed
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.service import SessionService
from databrug.web import pairing_codes

SECRET = secrets.token_bytes(32)


async def _opened(service: SessionService) -> tuple[str, object]:
    record, page = await service.create_session("prov", "ref", ["uwv"])
    await service.open_page(page)
    return record.session_id, page


def test_codes_use_the_unambiguous_alphabet() -> None:
    for _ in range(200):
        code = pairing_codes.new_code()
        assert len(code) == pairing_codes.LENGTH
        assert set(code) <= set(pairing_codes.ALPHABET)
        assert not set(code) & set("01OIL")


@given(st.text(alphabet=pairing_codes.ALPHABET, min_size=8, max_size=8))
@settings(max_examples=100)
def test_what_people_type_is_understood(code: str) -> None:
    shown = pairing_codes.display(code)
    assert pairing_codes.normalise(shown) == code
    assert pairing_codes.normalise(f" {shown.lower().replace('-', ' ')} ") == code
    assert pairing_codes.normalise(code.replace("A", "a")) == code


def test_look_alikes_are_read_as_the_letter_meant_or_refused() -> None:
    assert pairing_codes.normalise("ABCD-EFGO") is None  # O becomes 0, which is not in the alphabet
    assert pairing_codes.normalise("ABCD-EFG") is None
    assert pairing_codes.normalise("ABCD-EFGHJ") is None
    assert pairing_codes.normalise("ÄBCD-EFGH") is None


async def test_a_code_finds_the_current_pairing_and_only_that() -> None:
    service = SessionService(MemorySessionStore())
    session_id, page = await _opened(service)
    first, _ = await service.issue_pairing(page)  # type: ignore[arg-type]
    old_code = await pairing_codes.attach(service.store, SECRET, session_id, first)
    assert await pairing_codes.resolve(service.store, SECRET, old_code) == first

    second, _ = await service.issue_pairing(page)  # type: ignore[arg-type]  # the QR code renewed
    code = await pairing_codes.attach(service.store, SECRET, session_id, second)
    assert await pairing_codes.resolve(service.store, SECRET, code) == second
    with pytest.raises(PairingTokenInvalid):
        await pairing_codes.resolve(service.store, SECRET, old_code)
    with pytest.raises(PairingTokenInvalid):  # another broker secret: nothing to find
        await pairing_codes.resolve(service.store, secrets.token_bytes(32), code)
    with pytest.raises(PairingTokenInvalid):
        await pairing_codes.resolve(service.store, SECRET, pairing_codes.new_code())


async def test_the_store_never_holds_the_code_or_the_token_in_clear() -> None:
    store = MemorySessionStore()
    service = SessionService(store)
    session_id, page = await _opened(service)
    token, _ = await service.issue_pairing(page)  # type: ignore[arg-type]
    code = await pairing_codes.attach(store, SECRET, session_id, token)
    sealed = await store.get_blob(session_id, "pairing-short-code")
    assert sealed is not None
    assert token.reveal().encode() not in bytes(sealed)
    assert code.encode() not in bytes(sealed)


async def test_a_typed_code_is_single_use_like_the_qr_code() -> None:
    service = SessionService(MemorySessionStore())
    session_id, page = await _opened(service)
    token, _ = await service.issue_pairing(page)  # type: ignore[arg-type]
    code = await pairing_codes.attach(service.store, SECRET, session_id, token)
    await service.pair(await pairing_codes.resolve(service.store, SECRET, code))
    with pytest.raises(PairingTokenUsed):
        await service.pair(await pairing_codes.resolve(service.store, SECRET, code))
