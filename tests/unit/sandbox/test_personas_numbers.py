"""The persona number schemes and the payroll calendars, checked against their rules, not their code."""

from __future__ import annotations

import hashlib
import itertools
import os
import random
import subprocess
import sys
from datetime import date, timedelta

import pytest
from stdnum import iban as stdnum_iban
from stdnum.nl import bsn as stdnum_bsn

from databrug.records import is_valid_bsn
from databrug_sandbox.personas.identifiers import (
    BSNS_PER_HOUSEHOLD,
    CATALOGUE_BLOCKS,
    GENERATED_BLOCKS,
    TEST_BSNS,
    catalogue_bsn,
    generated_bsn,
    iban,
    number_plate,
    payroll_tax_number,
    seed_for_bsn,
)
from databrug_sandbox.personas.periods import four_weekly_periods, monthly_periods


def test_test_range_is_every_valid_number_below_the_rvig_persons() -> None:
    expected = [str(n) for n in range(999_900_000, 999_970_000) if stdnum_bsn.is_valid(str(n))]
    assert list(TEST_BSNS) == expected


def test_no_persona_bsn_is_an_rvig_test_person() -> None:
    # A few of the RvIG test persons the sandbox serves itself (tests/.../rvig data): never a persona.
    rvig = {"999970008", "999970240", "999990019", "999993653", "999998511", "999999709"}
    assert rvig.isdisjoint(TEST_BSNS)
    assert all(seed_for_bsn(bsn) is None for bsn in rvig)


def test_bsn_blocks_are_disjoint_and_reversible() -> None:
    catalogue = {
        catalogue_bsn(entry, slot) for entry in range(CATALOGUE_BLOCKS) for slot in range(BSNS_PER_HOUSEHOLD)
    }
    generated = {
        generated_bsn(seed, slot) for seed in range(GENERATED_BLOCKS) for slot in range(BSNS_PER_HOUSEHOLD)
    }
    assert len(catalogue) == CATALOGUE_BLOCKS * BSNS_PER_HOUSEHOLD
    assert len(generated) == GENERATED_BLOCKS * BSNS_PER_HOUSEHOLD
    assert catalogue.isdisjoint(generated)
    assert all(seed_for_bsn(bsn) is None for bsn in catalogue)
    for seed in (0, 1, 500, GENERATED_BLOCKS - 1, GENERATED_BLOCKS + 2):
        for slot in range(BSNS_PER_HOUSEHOLD):
            assert seed_for_bsn(generated_bsn(seed, slot)) == seed % GENERATED_BLOCKS
    assert seed_for_bsn("123456782") is None
    with pytest.raises(ValueError, match="catalogue"):
        catalogue_bsn(CATALOGUE_BLOCKS, 0)


def test_payroll_numbers_ibans_and_plates() -> None:
    rng = random.Random(5)
    for _ in range(200):
        number = payroll_tax_number(rng)
        assert number[9:] == "L01"
        assert is_valid_bsn(number[:9])
        account = iban(rng, "RABO")
        assert stdnum_iban.is_valid(account)
        assert account.startswith("NL")
        assert account[4:8] == "RABO"
        digits = account[8:]
        # Never a number the banks could have issued: the old bank-account 11-proef fails.
        assert sum(int(d) * w for d, w in zip(digits, range(10, 0, -1), strict=True)) % 11 != 0
        plate = number_plate(rng)
        assert len(plate) == 8
        assert not set(plate) & set("AEIOUCQ")


@pytest.mark.parametrize("year", [2023, 2024, 2025, 2026, 2027])
def test_monthly_and_four_weekly_calendars_cover_the_year(year: int) -> None:
    for periods, count in ((monthly_periods(year), 12), (four_weekly_periods(year), 13)):
        assert len(periods) == count
        assert periods[0][0] == date(year, 1, 1)
        assert periods[-1][1] == date(year, 12, 31)
        for (_, end), (start, _) in itertools.pairwise(periods):
            assert start == end + timedelta(days=1)
    four = four_weekly_periods(year)
    assert all((end - start).days + 1 == 28 for start, end in four[1:-1])
    assert all(start.weekday() == 0 for start, _ in four[1:])
    assert four[0][1].weekday() == 6


def test_2025_first_four_weekly_period_matches_the_layout_notes() -> None:
    # The UWV layout notes give 01-01-2025 t/m 26-01-2025 as a first four-weekly period.
    assert four_weekly_periods(2025)[0] == (date(2025, 1, 1), date(2025, 1, 26))


_DIGEST_SCRIPT = """
import hashlib
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.catalogue import CATALOGUE
digest = hashlib.sha256()
for household in [*CATALOGUE.values(), *(generate_household(seed) for seed in (0, 11, 222))]:
    for citizen in household.citizens():
        digest.update(citizen.facts.model_dump_json().encode())
        digest.update(repr(citizen.digid).encode())
print(digest.hexdigest())
"""


def test_same_output_in_fresh_processes_whatever_the_hash_seed() -> None:
    digests = set()
    for hash_seed in ("1", "2"):
        env = {**os.environ, "PYTHONHASHSEED": hash_seed}
        out = subprocess.run(
            [sys.executable, "-c", _DIGEST_SCRIPT], env=env, capture_output=True, text=True, check=True
        )
        digests.add(out.stdout.strip())
    assert len(digests) == 1
    assert len(hashlib.sha256().hexdigest()) == len(digests.pop())
