"""Erasure on the citizen's request: the code from their consent receipt erases the case it belongs to.

At intake the package's ``erasure.token_sha256`` is stored with the package. Shown a code, the provider looks
up the SHA-256 of it (an indexed lookup of a hash: the time does not depend on how much of a code is right),
erases the case and every package of it the way a caseworker's "delete" does, and answers with an
``ErasureConfirmation`` signed with its own ES256 key (published at ``/.well-known/erasure-keys.json``).
An unknown code and a code already used get the same answer: nothing (the caller shows one "not found").
"""

from __future__ import annotations

import logging
from collections.abc import Mapping
from datetime import UTC, datetime
from typing import Any

from sqlalchemy import select

from databrug.provider_demo.cases import CaseService
from databrug.provider_demo.storage.tables import Case, StoredPackage
from databrug.sdk import ErasureConfirmation, sign_erasure_confirmation
from databrug.sdk.erasure import (
    MAX_ERASURE_TOKEN_CHARS,
    ErasedPart,
    erasure_token_sha256,
    public_signing_jwks,
)

log = logging.getLogger("databrug.provider_demo.erasure")

ERASURE_KEYS_PATH = "/.well-known/erasure-keys.json"


class ErasureService:
    def __init__(self, cases: CaseService, provider_id: str, signing_jwks: Mapping[str, Any]) -> None:
        self.cases = cases
        self.provider_id = provider_id
        self.signing_jwks = signing_jwks

    def public_jwks(self) -> dict[str, Any]:
        return public_signing_jwks(self.signing_jwks)

    def erase(self, token: str) -> str | None:
        """The signed confirmation when ``token`` is the erasure code of a stored package (its case is then
        erased); None for any other text, including a code already used."""
        token = token.strip()
        if not token or len(token) > MAX_ERASURE_TOKEN_CHARS:
            return None
        digest = erasure_token_sha256(token)
        with self.cases.db.session() as db:
            stored = db.scalars(
                select(StoredPackage).where(StoredPackage.erasure_token_sha256 == digest)
            ).first()
            if stored is None:
                return None
            case = db.get(Case, stored.case_id)
            if case is None:  # pragma: no cover - the foreign key cascades
                return None
            package_ids = list(
                db.scalars(select(StoredPackage.package_id).where(StoredPackage.case_id == case.id))
            )
            deleted: list[ErasedPart] = ["case", "contact_details"]
            deleted += ["packages"] if package_ids else []
            deleted += ["advice"] if case.advice is not None else []
            deleted += ["outcome"] if case.outcome is not None else []
            deleted += ["decision"] if case.decision is not None else []
            case_id = case.id
        if not self.cases.delete(case_id):  # pragma: no cover - a caseworker deleted it just now
            return None
        confirmation = ErasureConfirmation(
            provider_id=self.provider_id,
            provider_reference=case_id,
            package_ids=package_ids,
            token_sha256=digest,
            deleted_at=datetime.now(UTC),
            deleted=deleted,
        )
        log.info("case erased on the citizen's request case=%s", case_id)
        return sign_erasure_confirmation(confirmation, self.signing_jwks)
