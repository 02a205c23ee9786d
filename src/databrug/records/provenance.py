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

BindingCheck = Literal["bsn", "name_and_birth_date", "digid_fetch"]
"""How a document was shown to be its subject's own: the BSN in it is theirs; no BSN, but their name and full
birth date (from their BRP record); or it names nobody and came from the source with their own DigiD."""


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
    origin: Literal["fetched", "uploaded"] = Field(
        default="fetched",
        description="fetched: from the source with the subject's own DigiD; uploaded: a file the subject "
        "downloaded there and uploaded themselves",
    )
    binding: BindingCheck | None = Field(
        default=None,
        description="Which check bound the document to its subject before it was kept: bsn (the BSN in it "
        "is the subject's), name_and_birth_date (no BSN; the subject's name and full birth date from BRP), "
        "digid_fetch (it names nobody; fetched with the subject's DigiD). Set on every entry of a package; "
        "absent only where a document was read outside a session (databrug parse).",
    )
    status: Literal["complete", "partial"] = "complete"
