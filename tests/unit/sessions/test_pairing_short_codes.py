"""The short link code typed instead of scanning: it finds only the current pairing token, and only with the
broker's secret; the token's own rules (single use) still apply."""

from __future__ import annotations

import secrets

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from databrug.sessions.errors import PairingTokenInvalid, PairingTokenUsed
from databrug.sessions.memory import MemorySessionStore
from databrug.sessions.pairing import (
    ALPHABET,
    LENGTH,
    Pairing,
    display_short_code,
    new_short_code,
    normalise_short_code,
)
from databrug.sessions.service import SessionService
from databrug.sessions.tokens import PageToken

SECRET = secrets.token_bytes(32)


async def _opened(service: SessionService) -> tuple[str, PageToken]:
    record, page = await service.create_session("prov", "ref", ["uwv"])
    await service.open_page(page)
    return record.session_id, page


def test_codes_use_the_unambiguous_alphabet() -> None:
    for _ in range(200):
        code = new_short_code()
        assert len(code) == LENGTH
        assert set(code) <= set(ALPHABET)
        assert not set(code) & set("01OIL")


@given(st.text(alphabet=ALPHABET, min_size=8, max_size=8))
@settings(max_examples=100)
def test_what_people_type_is_understood(code: str) -> None:
    shown = display_short_code(code)
    assert normalise_short_code(shown) == code
    assert normalise_short_code(f" {shown.lower().replace('-', ' ')} ") == code
    assert normalise_short_code(code.replace("A", "a")) == code


def test_look_alikes_are_read_as_the_letter_meant_or_refused() -> None:
    assert normalise_short_code("ABCD-EFGO") is None  # O becomes 0, which is not in the alphabet
    assert normalise_short_code("ABCD-EFG") is None
    assert normalise_short_code("ABCD-EFGHJ") is None
    assert normalise_short_code("ÄBCD-EFGH") is None


async def test_a_code_finds_the_current_pairing_and_only_that() -> None:
    service = SessionService(MemorySessionStore(), pairing_secret=SECRET)
    _, page = await _opened(service)
    first = await service.pairing.issue(page)
    old_code = first.short_code
    assert await service.pairing.token_for(old_code) == first.token

    second = await service.pairing.issue(page)  # the QR code renewed
    code = second.short_code
    assert await service.pairing.token_for(code) == second.token
    with pytest.raises(PairingTokenInvalid):
        await service.pairing.token_for(old_code)
    with pytest.raises(PairingTokenInvalid):  # another broker secret: nothing to find
        await Pairing(service, secrets.token_bytes(32)).token_for(code)
    with pytest.raises(PairingTokenInvalid):
        await service.pairing.token_for(new_short_code())


async def test_the_store_never_holds_the_code_or_the_token_in_clear() -> None:
    store = MemorySessionStore()
    service = SessionService(store, pairing_secret=SECRET)
    session_id, page = await _opened(service)
    issued = await service.pairing.issue(page)
    token, code = issued.token, issued.short_code
    sealed = await store.get_blob(session_id, "pairing-short-code")
    assert sealed is not None
    assert token.reveal().encode() not in bytes(sealed)
    assert code.encode() not in bytes(sealed)


async def test_a_typed_code_is_single_use_like_the_qr_code() -> None:
    service = SessionService(MemorySessionStore(), pairing_secret=SECRET)
    _, page = await _opened(service)
    code = (await service.pairing.issue(page)).short_code
    await service.pairing.pair(await service.pairing.token_for(code))
    with pytest.raises(PairingTokenUsed):
        await service.pairing.pair(await service.pairing.token_for(code))


async def test_the_qr_link_or_its_token_is_read_as_the_pairing_token() -> None:
    service = SessionService(MemorySessionStore(), pairing_secret=SECRET)
    _, page = await _opened(service)
    token = (await service.pairing.issue(page)).token
    assert (
        await service.pairing.token_for(f" https://broker.example/app/pair?t={token.reveal()}&x=1 ") == token
    )
    assert await service.pairing.token_for(token.reveal()) == token
    with pytest.raises(PairingTokenInvalid):
        await service.pairing.token_for("not a code")
