"""The token endpoint's memory of verified secrets: successes only, forgotten on rotation and in time."""

from __future__ import annotations

from databrug.registrations.credentials import RecentlyVerified, new_credential


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_remembers_a_verified_secret_for_its_time_only() -> None:
    clock = Clock()
    memory = RecentlyVerified(ttl=60, clock=clock)
    credential, secret = new_credential()
    assert not memory.knows("p", [credential], secret)
    memory.remember("p", [credential], secret)
    assert memory.knows("p", [credential], secret)
    assert not memory.knows("p", [credential], secret + "x")  # another secret: never from memory
    assert not memory.knows("q", [credential], secret)  # another provider
    clock.now += 61
    assert not memory.knows("p", [credential], secret)


def test_a_rotation_forgets() -> None:
    memory = RecentlyVerified()
    old, secret = new_credential()
    memory.remember("p", [old], secret)
    new, _ = new_credential()
    assert not memory.knows("p", [new, old], secret)  # credentials changed: scrypt again
    assert not memory.knows("p", [old], secret)  # and the entry is gone


def test_keeps_no_secret_and_a_bounded_number_of_entries() -> None:
    memory = RecentlyVerified(limit=3)
    credential, secret = new_credential()
    for i in range(10):
        memory.remember(f"p{i}", [credential], secret)
    assert len(memory._entries) == 3
    assert all(secret.encode() not in key for key in memory._entries)
    assert memory.knows("p9", [credential], secret)
    assert not memory.knows("p0", [credential], secret)
