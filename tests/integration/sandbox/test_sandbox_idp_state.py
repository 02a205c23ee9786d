"""The IdP's in-memory state with a fake clock: lock-outs run out, codes and flows expire, levels compare."""

from __future__ import annotations

import pytest

from databrug_sandbox.idp.clients import ClientRegistration, redirect_uri_allowed
from databrug_sandbox.idp.flows import ExpiringStore
from databrug_sandbox.idp.levels import requested_minimum
from databrug_sandbox.idp.lockout import Lockout
from databrug_sandbox.idp.sms import loggable_username


class Clock:
    def __init__(self) -> None:
        self.now = 1000.0

    def __call__(self) -> float:
        return self.now


def test_lockout_after_threshold_and_released_after_the_configured_minutes() -> None:
    clock = Clock()
    lockout = Lockout(threshold=3, minutes=2, clock=clock)
    assert [lockout.failure("Anna") for _ in range(3)] == [2, 1, 0]
    assert lockout.locked_for("anna") == pytest.approx(120)
    clock.now += 119
    assert lockout.locked_for("ANNA") > 0
    clock.now += 2
    assert lockout.locked_for("anna") == 0
    # After the lock runs out the count starts again.
    assert lockout.failure("anna") == 2


def test_success_resets_the_count() -> None:
    lockout = Lockout(threshold=3, minutes=1, clock=Clock())
    lockout.failure("bob")
    lockout.failure("bob")
    lockout.success("bob")
    assert lockout.failure("bob") == 2


def test_expiring_store_forgets_after_ttl_and_take_is_single_use() -> None:
    clock = Clock()
    store: ExpiringStore[str] = ExpiringStore(ttl_seconds=60, clock=clock)
    store.put("code", "grant")
    assert store.get("code") == "grant"
    assert store.take("code") == "grant"
    assert store.take("code") is None
    store.put("late", "grant")
    clock.now += 61
    assert store.take("late") is None


def test_expiring_store_is_bounded() -> None:
    store: ExpiringStore[int] = ExpiringStore(ttl_seconds=60, max_entries=3, clock=Clock())
    for i in range(5):
        store.put(str(i), i)
    assert [store.get(str(i)) for i in range(5)] == [None, None, 2, 3, 4]


@pytest.mark.parametrize(
    ("acr_values", "loa", "expected"),
    [
        (None, None, None),
        ("midden", None, "midden"),
        ("urn:oasis:names:tc:SAML:2.0:ac:classes:MobileTwoFactorContract", None, "midden"),
        ("substantieel midden", None, "midden"),
        ("basis", "midden", "midden"),
        ("hoog", "basis", "hoog"),
        ("bogus", None, "invalid"),
        (None, "bogus", "invalid"),
    ],
)
def test_requested_minimum(acr_values: str | None, loa: str | None, expected: str | None) -> None:
    assert requested_minimum(acr_values, loa) == expected


@pytest.mark.parametrize(
    ("candidate", "allowed"),
    [
        ("http://127.0.0.1:8700/cb", True),
        ("http://127.0.0.1:51234/cb", True),  # loopback: any port
        ("http://127.0.0.1:8700/other", False),
        ("https://127.0.0.1:8700/cb", False),
        ("http://evil.example:8700/cb", False),
        ("http://127.0.0.1:8700/cb#frag", False),
        ("http://127.0.0.1:notaport/cb", False),
    ],
)
def test_redirect_uri_rule(candidate: str, allowed: bool) -> None:
    client = ClientRegistration("databrug", ("http://127.0.0.1:8700/cb",))
    assert redirect_uri_allowed(client, candidate) is allowed


def test_exact_match_only_when_loopback_relaxation_is_off() -> None:
    client = ClientRegistration("databrug", ("http://127.0.0.1:8700/cb",), allow_loopback_any_port=False)
    assert not redirect_uri_allowed(client, "http://127.0.0.1:8701/cb")


def test_rvig_login_names_are_masked_in_logs() -> None:
    assert loggable_username("rvig-999993653") == "rvig-*********"
    assert loggable_username("jan-de-vries") == "jan-de-vries"
