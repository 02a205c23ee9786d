"""Where a record came from: one entry per document fetched or uploaded."""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from databrug.records.base import Instant, Record, SourceRef

SourceName = Literal["mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"]
SOURCE_NAMES: tuple[SourceName, ...] = ("mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht")

DocumentType = Literal[
    "brp-persoon",  # MijnOverheid: Haal Centraal BRP Personen response
    "woz-objecten",  # MijnOverheid: WOZ objects with value history
    "voertuigen",  # MijnOverheid: vehicles registered to the person (RDW)
    "verzekeringsbericht",  # UWV: PDF
    "belastinggegevens",  # Belastingdienst: tax years
    "toeslagen",  # Belastingdienst: allowances
    "pensioenoverzicht",  # Mijnpensioenoverzicht: XML or JSON download
]

Role = Literal["applicant", "partner"]


class SourceEntry(Record):
    """Provenance of one document: every record points here through ``source_ref``."""

    id: SourceRef
    subject: Role
    source: SourceName
    document_type: DocumentType
    media_type: str = Field(min_length=3, max_length=100)
    sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")]
    retrieved_at: Instant
    parser_version: str = Field(min_length=1, max_length=40)
    origin: Literal["fetched", "uploaded"] = "fetched"
    status: Literal["complete", "partial"] = "complete"
