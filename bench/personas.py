"""Sandbox personas rendered into the documents their portals serve, for the parse benchmark and the fuzzer.

Rendering is slow next to parsing and is never what is measured: render once, measure many times.
"""

from __future__ import annotations

from collections.abc import Iterable, Iterator
from dataclasses import dataclass

from databrug.records import DocumentType, Role
from databrug_sandbox.documents import belastingdienst, brp, mpo, uwv, vehicles, woz
from databrug_sandbox.personas.model import Citizen, Household


@dataclass(frozen=True)
class Document:
    document_type: DocumentType
    media: str  # "pdf" | "xml" | "json": which bare baseline reads it
    data: bytes


@dataclass(frozen=True)
class DocumentSet:
    """Everything one citizen's DigiD login fetches from the four sources."""

    name: str  # the persona key, with "/partner" for the partner
    role: Role
    bsn: str
    documents: tuple[Document, ...]

    @property
    def size(self) -> int:
        return sum(len(d.data) for d in self.documents)


def render_citizen(name: str, citizen: Citizen, *, mpo_format: str = "xml") -> DocumentSet:
    pensions = mpo.render_pensioenoverzicht(citizen, "json" if mpo_format == "json" else "xml")
    documents = (
        Document("brp-persoon", "json", brp.render_brp(citizen)),
        Document("woz-objecten", "json", woz.render_woz(citizen)),
        Document("voertuigen", "json", vehicles.render_vehicles(citizen)),
        Document("verzekeringsbericht", "pdf", uwv.render_verzekeringsbericht(citizen)),
        Document("belastinggegevens", "xml", belastingdienst.render_belastinggegevens(citizen)),
        Document("toeslagen", "json", belastingdienst.render_toeslagen(citizen)),
        Document("pensioenoverzicht", mpo_format, pensions),
    )
    return DocumentSet(name, citizen.facts.role, citizen.bsn, documents)


def render_households(households: Iterable[Household], *, mpo_format: str = "xml") -> Iterator[DocumentSet]:
    for household in households:
        for citizen in household.citizens():
            name = household.key if citizen.facts.role == "applicant" else f"{household.key}/partner"
            yield render_citizen(name, citizen, mpo_format=mpo_format)


def catalogue_sets() -> list[DocumentSet]:
    from databrug_sandbox.personas.catalogue import CATALOGUE

    return list(render_households(CATALOGUE.values()))


def generated_sets(seeds: Iterable[int], *, mpo_format: str = "xml") -> list[DocumentSet]:
    from databrug_sandbox.personas.generator import generate_household

    return list(render_households((generate_household(s) for s in seeds), mpo_format=mpo_format))
