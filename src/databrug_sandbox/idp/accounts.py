"""DigiD accounts of the sandbox: the catalogue personas and the RvIG test persons.

The IdP needs only the login side of a person (username, password, SMS check, BSN); the portals look the
person up by BSN themselves.
"""

from __future__ import annotations

import hmac
import logging
from collections.abc import Callable, Iterable
from dataclasses import dataclass

from databrug_sandbox.idp.levels import Level

# One documented password for every RvIG test person's login "rvig-<bsn>" (docs/sandbox.md).
RVIG_PASSWORD = "rvig-sandbox-2026"  # noqa: S105 - a published sandbox password, not a secret
RVIG_USERNAME_PREFIX = "rvig-"

logger = logging.getLogger("databrug_sandbox.digid")


@dataclass(frozen=True)
class Account:
    username: str
    password: str
    bsn: str
    sms_enabled: bool = True
    phone: str = "06-00000000"
    # Where the person appears in /admin/personas, e.g. "catalogue:single-renter" or "rvig".
    origin: str = "catalogue"

    @property
    def highest_level(self) -> Level:
        return "midden" if self.sms_enabled else "basis"

    def password_matches(self, candidate: str) -> bool:
        return hmac.compare_digest(self.password.encode(), candidate.encode())


AccountLookup = Callable[[str], "Account | None"]


class AccountDirectory:
    """Listed accounts (catalogue, RvIG, test logins) plus an optional lookup for accounts made on demand
    (generated personas: ``gen-<seed>-a`` exists for every seed, so they cannot all be listed)."""

    def __init__(self, accounts: Iterable[Account] = (), lookup: AccountLookup | None = None) -> None:
        self._by_username: dict[str, Account] = {}
        self.lookup = lookup
        for account in accounts:
            self.add(account)

    def add(self, account: Account) -> None:
        key = account.username.casefold()
        if key in self._by_username:
            # A data error in a catalogue must not stop the sandbox; the first account keeps the name.
            logger.warning("two sandbox accounts share one username; the second is ignored")
            return
        self._by_username[key] = account

    def find(self, username: str) -> Account | None:
        # DigiD usernames are not case-sensitive for the person typing them.
        listed = self._by_username.get(username.strip().casefold())
        if listed is not None or self.lookup is None:
            return listed
        return self.lookup(username.strip())

    def all(self) -> list[Account]:
        return list(self._by_username.values())

    def __len__(self) -> int:
        return len(self._by_username)


def rvig_account(bsn: str) -> Account:
    return Account(
        username=f"{RVIG_USERNAME_PREFIX}{bsn}",
        password=RVIG_PASSWORD,
        bsn=bsn,
        sms_enabled=True,
        origin="rvig",
    )
