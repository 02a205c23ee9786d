"""Signed outcomes: the broker's statement of what a published rule gave on the citizen's data.

Like a deletion receipt (``delivery/receipts.py``), a compact JWS (ES256) under the broker's own receipt key,
which it publishes at ``/.well-known/databrug-receipt-keys.json``: only the broker can make one, and anyone
with the published key can check it. The ``typ`` header (``databrug-outcome+jwt``) differs from a receipt's,
so neither passes for the other. The payload is the canonical JSON of an ``OutcomeStatement``: codes, the
rule's parameters and the digest of its inputs, never an income or asset value. It travels inside the package
(``DataPackage.outcome``), so only the provider the package is sealed to can read it.
"""

from __future__ import annotations

from joserfc import jws
from joserfc.jwk import ECKey

from databrug.consent import canonical_json
from databrug.delivery.receipts import RECEIPT_ALG
from databrug.records.outcome import OUTCOME_JWS_TYPE, OutcomeStatement


def sign_outcome(statement: OutcomeStatement, key: ECKey) -> str:
    header = {"alg": RECEIPT_ALG, "kid": str(key.kid), "typ": OUTCOME_JWS_TYPE}
    payload = canonical_json(statement.model_dump(mode="json"))
    return jws.serialize_compact(header, payload, key, algorithms=[RECEIPT_ALG])
