"""Build a data package straight from a sandbox household's facts (no broker), for provider tests."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from typing import Any

from databrug.records import DataPackage, SourceEntry, Subject
from databrug_sandbox.personas.model import Household

DOCUMENTS: list[tuple[str, str, str]] = [
    ("mijnoverheid", "brp-persoon", "application/json"),
    ("uwv", "verzekeringsbericht", "application/pdf"),
    ("belastingdienst", "belastinggegevens", "application/xml"),
    ("belastingdienst", "toeslagen", "application/xml"),
    ("mijnoverheid", "woz-objecten", "application/hal+json"),
    ("mijnpensioenoverzicht", "pensioenoverzicht", "application/xml"),
]


def _retag(value: Any, ref: str) -> Any:
    if isinstance(value, dict):
        return {k: (ref if k == "source_ref" else _retag(v, ref)) for k, v in value.items()}
    if isinstance(value, list):
        return [_retag(v, ref) for v in value]
    return value


def package_for(
    household: Household,
    *,
    with_partner: bool = True,
    created_at: datetime = datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
    reference: str = "case-test",
) -> DataPackage:
    subjects: list[Subject] = []
    sources: list[SourceEntry] = []
    citizens = [household.applicant] + ([household.partner] if household.partner and with_partner else [])
    for citizen in citizens:
        role = citizen.facts.role
        ref = f"src-{role}-data"
        subjects.append(Subject.model_validate(_retag(citizen.facts.model_dump(), ref)))
        for index, (source, doctype, media) in enumerate(DOCUMENTS):
            sources.append(
                SourceEntry(
                    id=ref if index == 0 else f"src-{role}-{doctype}",
                    subject=role,
                    source=source,  # type: ignore[arg-type]
                    document_type=doctype,  # type: ignore[arg-type]
                    media_type=media,
                    sha256=hashlib.sha256(f"{role}{doctype}".encode()).hexdigest(),
                    retrieved_at=created_at,
                    parser_version="1.0.0",
                )
            )
    return DataPackage(
        package_id="pkg_" + hashlib.sha256(household.key.encode()).hexdigest()[:24],
        created_at=created_at,
        provider={"id": "gezondverzekerd", "name": "Gezondverzekerd (demo)"},  # type: ignore[arg-type]
        provider_reference=reference,
        subjects=subjects,
        sources=sources,
    )
