"""Stand-ins for the keyed DigiD subject hash the broker records per person (``broker/login.py``), for tests
that drive the session service without a broker: one per role, two different people."""

from __future__ import annotations

from databrug.records import Role
from databrug.sessions.tokens import TokenHash

SUBJECT: dict[Role, TokenHash] = {"applicant": TokenHash("a" * 64), "partner": TokenHash("b" * 64)}
