"""Find a persona by DigiD username or by BSN: the named catalogue first, then generated households.

Generated households are never stored: ``gen-<seed>-a`` / ``gen-<seed>-p`` regenerate them from the seed.
A BSN names its seed's block (identifiers.seed_for_bsn); since seeds that differ by a multiple of
``GENERATED_BLOCKS`` share a block, a BSN lookup first checks the households generated most recently
(an LRU), so a login with ``gen-<large seed>-a`` is followed by portal calls that find the same household.
"""

from __future__ import annotations

import re
import threading
from collections import OrderedDict

from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.generator import generate_household
from databrug_sandbox.personas.identifiers import seed_for_bsn
from databrug_sandbox.personas.model import Citizen, Household

GENERATED_USERNAME = re.compile(r"^gen-(\d{1,12})-([ap])$")
RECENT_LIMIT = 256

_recent: OrderedDict[int, Household] = OrderedDict()
_recent_lock = threading.Lock()
_catalogue_by_username = {c.digid.username: (h, c) for h in CATALOGUE.values() for c in h.citizens()}
_catalogue_by_bsn = {c.bsn: (h, c) for h in CATALOGUE.values() for c in h.citizens()}


def generated(seed: int) -> Household:
    """The household of ``seed``, remembered among the most recent ones."""
    with _recent_lock:
        household = _recent.get(seed)
        if household is not None:
            _recent.move_to_end(seed)
            return household
    household = generate_household(seed)
    with _recent_lock:
        _recent[seed] = household
        _recent.move_to_end(seed)
        while len(_recent) > RECENT_LIMIT:
            _recent.popitem(last=False)
    return household


def find_by_username(username: str) -> tuple[Household, Citizen] | None:
    found = _catalogue_by_username.get(username)
    if found is not None:
        return found
    match = GENERATED_USERNAME.match(username)
    if match is None:
        return None
    household = generated(int(match.group(1)))
    chosen = household.applicant if match.group(2) == "a" else household.partner
    return (household, chosen) if chosen is not None else None


def find_by_bsn(bsn: str) -> tuple[Household, Citizen] | None:
    found = _catalogue_by_bsn.get(bsn)
    if found is not None:
        return found
    with _recent_lock:
        recent = list(reversed(_recent.values()))
    for household in recent:
        for citizen in household.citizens():
            if citizen.bsn == bsn:
                return household, citizen
    seed = seed_for_bsn(bsn)
    if seed is None:
        return None
    household = generated(seed)
    match = next((c for c in household.citizens() if c.bsn == bsn), None)
    return (household, match) if match is not None else None
