"""DigiD accounts of the sandbox: the catalogue personas and the RvIG test persons.

The IdP needs only the login side of a person (username, password, SMS check, BSN); the portals look the
person up by BSN themselves.
"""

from __future__ import annotations

import hmac
from collections.abc import Iterable
from dataclasses import dataclass

from databrug_sandbox.idp.levels import Level

# One documented password for every RvIG test person's login "rvig-<bsn>" (docs/sandbox.md).
RVIG_PASSWORD = "rvig-sandbox-2026"  # noqa: S105 - a published sandbox password, not a secret
RVIG_USERNAME_PREFIX = "rvig-"


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


class AccountDirectory:
    def __init__(self, accounts: Iterable[Account] = ()) -> None:
        self._by_username: dict[str, Account] = {}
        for account in accounts:
            self.add(account)

    def add(self, account: Account) -> None:
        key = account.username.casefold()
        if key in self._by_username:
            raise ValueError("two sandbox accounts share one username")
        self._by_username[key] = account

    def find(self, username: str) -> Account | None:
        # DigiD usernames are not case-sensitive for the person typing them.
        return self._by_username.get(username.strip().casefold())

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
