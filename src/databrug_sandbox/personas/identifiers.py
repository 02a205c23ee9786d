"""Synthetic identifiers: test-range BSNs, payroll numbers, IBANs, WOZ object ids and number plates.

BSN scheme (documented in docs/personas.md): every 9-digit number from 999900000 to 999969999 that
passes the 11-proef, in ascending order, is one slot of ``TEST_BSNS``. That is the RvIG test range
9999xxxxx without 99997xxxx–99999xxxx, where the RvIG's own test persons live (the sandbox serves some
of them too). Each household owns a block of ``BSNS_PER_HOUSEHOLD`` consecutive slots: applicant,
partner, former partner, up to four children. The first ``CATALOGUE_BLOCKS`` blocks belong to the named
catalogue; the rest to generated households, block ``seed % GENERATED_BLOCKS``. So seeds
0..GENERATED_BLOCKS-1 never share a BSN, and a BSN tells its seed back (``seed_for_bsn``).
"""

from __future__ import annotations

import random
from functools import cache

from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

BSNS_PER_HOUSEHOLD = 7
RVIG_PERSONS_FROM = 7_000  # 9999 7000x and up: the RvIG test persons' numbers, never ours
CATALOGUE_BLOCKS = 40
APPLICANT, PARTNER, FORMER_PARTNER, FIRST_CHILD = 0, 1, 2, 3
MAX_CHILDREN = BSNS_PER_HOUSEHOLD - FIRST_CHILD


@cache
def _test_bsns() -> tuple[str, ...]:
    """The numbers 999900000–999969999 passing the 11-proef, ascending: one check digit per 8-digit prefix."""
    numbers = []
    for middle in range(RVIG_PERSONS_FROM):
        digits = f"9999{middle:04d}"
        total = sum(int(d) * w for d, w in zip(digits, range(9, 1, -1), strict=True))
        check = total % 11
        if check <= 9:
            numbers.append(f"{digits}{check}")
    return tuple(numbers)


TEST_BSNS = _test_bsns()
GENERATED_BLOCKS = (len(TEST_BSNS) - CATALOGUE_BLOCKS * BSNS_PER_HOUSEHOLD) // BSNS_PER_HOUSEHOLD
_INDEX = {bsn: i for i, bsn in enumerate(TEST_BSNS)}


def catalogue_bsn(entry: int, slot: int) -> str:
    if not 0 <= entry < CATALOGUE_BLOCKS:
        raise ValueError("catalogue entry outside its reserved BSN blocks")
    return TEST_BSNS[entry * BSNS_PER_HOUSEHOLD + slot]


def generated_bsn(seed: int, slot: int) -> str:
    block = CATALOGUE_BLOCKS + seed % GENERATED_BLOCKS
    return TEST_BSNS[block * BSNS_PER_HOUSEHOLD + slot]


def seed_for_bsn(bsn: str) -> int | None:
    """The smallest non-negative seed whose household owns this BSN, or None (catalogue or unknown)."""
    index = _INDEX.get(bsn)
    if index is None:
        return None
    block = index // BSNS_PER_HOUSEHOLD
    if block < CATALOGUE_BLOCKS:
        return None
    return block - CATALOGUE_BLOCKS


def eleven_proof_number(rng: random.Random, prefix: str = "") -> str:
    """A random 9-digit number that passes the 11-proef (used for payroll tax numbers)."""
    while True:
        digits = prefix + "".join(str(rng.randrange(10)) for _ in range(8 - len(prefix)))
        check = stdnum_bsn.checksum(digits + "0")
        # checksum(x + "0") is the weighted sum mod 11 with a zero last digit; the last digit d enters
        # with weight -1, so d must equal that sum (and be a single digit).
        if check < 10 and digits[0] != "0":
            number = digits + str(check)
            if stdnum_bsn.is_valid(number):
                return number


def payroll_tax_number(rng: random.Random, suffix: str = "L01") -> str:
    return eleven_proof_number(rng) + suffix


def _fails_account_eleven_proof(account: str) -> bool:
    # Dutch bank account numbers (10 digits) used to pass an 11-proef; numbers that fail it were never
    # issued by the traditional banks, so they cannot belong to a real person.
    total = sum(int(d) * w for d, w in zip(account, range(10, 0, -1), strict=True))
    return total % 11 != 0


def iban(rng: random.Random, bank_code: str) -> str:
    while True:
        account = "0" + "".join(str(rng.randrange(10)) for _ in range(9))
        if account[1] != "0" and _fails_account_eleven_proof(account):
            break
    check = stdnum_iban.calc_check_digits(f"NL00{bank_code}{account}")
    return f"NL{check}{bank_code}{account}"


def woz_object_id(rng: random.Random, municipality_code: str) -> str:
    return municipality_code + "".join(str(rng.randrange(10)) for _ in range(8))


# RDW plates avoid vowels and C/Q; sidecode 9 ("XX-999-X") was issued around 2015–2019.
_PLATE_LETTERS = "BDFGHJKLNPRSTVXZ"


def number_plate(rng: random.Random) -> str:
    letters = "".join(rng.choice(_PLATE_LETTERS) for _ in range(3))
    return f"{letters[:2]}-{rng.randrange(100, 1000)}-{letters[2]}"
