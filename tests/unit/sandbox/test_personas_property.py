"""Any seed, not only the first few hundred, gives a coherent household (hypothesis picks the seeds)."""

from __future__ import annotations

import itertools

from hypothesis import given, settings
from hypothesis import strategies as st
from stdnum.nl import bsn as stdnum_bsn

from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.model import SANDBOX_REF


@settings(max_examples=60, deadline=None)
@given(st.integers(min_value=0, max_value=10**12))
def test_any_seed_gives_a_coherent_household(seed: int) -> None:
    household = generate_household(seed)
    assert household == generate_household(seed)
    bsns = [c.bsn for c in household.citizens()]
    assert len(set(bsns)) == len(bsns)
    for citizen in household.citizens():
        facts = citizen.facts
        assert facts.source_refs() == {SANDBOX_REF}
        person = facts.person
        assert person is not None
        assert stdnum_bsn.is_valid(person.bsn)
        assert "999900000" <= person.bsn < "999970000"
        home = facts.assets.homes[0]
        assert home.address.postcode == person.addresses[0].postcode
        assert home.address.house_number == person.addresses[0].house_number
        for relation in facts.incomes.relations:
            periods = sorted(relation.periods, key=lambda p: p.start)
            for before, after in itertools.pairwise(periods):
                assert before.end < after.start
            assert periods[-1].end < household.reference_date
        schemes = [(s.provider, s.scheme_id) for s in facts.pensions.schemes]
        assert len(schemes) == len(set(schemes)) <= 12
    if household.partner is not None and household.partner_kind in ("gehuwd", "geregistreerd"):
        a, p = household.applicant.facts.person, household.partner.facts.person
        assert a is not None
        assert p is not None
        assert a.current_partner is not None
        assert p.current_partner is not None
        assert (a.current_partner.bsn, p.current_partner.bsn) == (p.bsn, a.bsn)
