"""The cross-persona matrix (issue 14): every catalogue person's documents, as the sandbox portals serve them,
read by the real parsers and checked by the real binding check under every catalogue person's identity.
Under anyone else's they are refused; under their own they are accepted (the ones that name their holder).

Each document is parsed once, as an upload; the check runs per pair.
"""

from __future__ import annotations

from collections.abc import Callable

import pytest

from databrug.records import DocumentType, Person
from databrug.sources.binding import check_binding
from databrug.sources.connectors import by_document_type
from databrug.sources.errors import DocumentIdentityUnchecked, DocumentNotBound, DocumentOfAnotherPerson
from databrug.sources.parsing import ParseContext, ParsedDocument
from databrug_sandbox.documents import belastingdienst, brp, mpo, uwv, vehicles, woz
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.model import Citizen

RENDERERS: dict[DocumentType, Callable[[Citizen], bytes]] = {
    "brp-persoon": brp.render_brp,
    "woz-objecten": woz.render_woz,
    "voertuigen": vehicles.render_vehicles,
    "verzekeringsbericht": uwv.render_verzekeringsbericht,
    "belastinggegevens": belastingdienst.render_belastinggegevens,
    "toeslagen": belastingdienst.render_toeslagen,
    "pensioenoverzicht": lambda citizen: mpo.render_pensioenoverzicht(citizen, "xml"),
}
# What each kind of document names its holder by, in the sandbox's renderings (binding of the accepted one).
NAMED_BY = {
    "brp-persoon": "bsn",
    "woz-objecten": "bsn",
    "verzekeringsbericht": "name_and_birth_date",
    "belastinggegevens": "bsn",
    "toeslagen": "bsn",
    "pensioenoverzicht": "name_and_birth_date",
}

PEOPLE: list[Citizen] = [c for household in CATALOGUE.values() for c in household.citizens()]


def _person(citizen: Citizen) -> Person:
    assert citizen.facts.person is not None
    return citizen.facts.person


def _parse_all() -> list[tuple[Citizen, ParsedDocument]]:
    documents = []
    for citizen in PEOPLE:
        for document_type, render in RENDERERS.items():
            context = ParseContext(subject=citizen.facts.role, origin="uploaded", filename="upload")
            documents.append((citizen, by_document_type(document_type).parse(render(citizen), context)))
    return documents


DOCUMENTS = _parse_all()


def test_the_matrix_covers_every_person_and_every_kind_of_document() -> None:
    assert len(PEOPLE) >= 15
    assert len({c.bsn for c in PEOPLE}) == len(PEOPLE)
    kinds = {parsed.entry.document_type for _, parsed in DOCUMENTS if parsed.holder.says_anything}
    assert kinds == set(NAMED_BY)


@pytest.mark.parametrize("owner", PEOPLE, ids=lambda c: c.digid.username)
def test_a_persons_documents_are_refused_under_everyone_elses_login(owner: Citizen) -> None:
    mine = [parsed for citizen, parsed in DOCUMENTS if citizen is owner]
    for other in PEOPLE:
        if other is owner:
            continue
        for parsed in mine:
            with pytest.raises(DocumentNotBound) as caught:
                check_binding(parsed, other.bsn, _person(other), filename="upload")
            expected = DocumentOfAnotherPerson if parsed.holder.says_anything else DocumentIdentityUnchecked
            assert type(caught.value) is expected, (parsed.entry.document_type, other.digid.username)
            assert owner.bsn not in str(caught.value)
            assert other.bsn not in str(caught.value)


@pytest.mark.parametrize("owner", PEOPLE, ids=lambda c: c.digid.username)
def test_a_persons_own_documents_are_accepted_under_their_own_login(owner: Citizen) -> None:
    for citizen, parsed in DOCUMENTS:
        if citizen is not owner:
            continue
        document_type = parsed.entry.document_type
        if not parsed.holder.says_anything:  # vehicles, no homes: an upload that names nobody
            with pytest.raises(DocumentIdentityUnchecked):
                check_binding(parsed, owner.bsn, _person(owner))
            continue
        assert check_binding(parsed, owner.bsn, _person(owner)) == NAMED_BY[document_type], document_type


@pytest.mark.parametrize("document_type", ["brp-persoon", "woz-objecten"])
def test_documents_that_list_people_are_read_as_their_holders_under_another_login(
    document_type: DocumentType,
) -> None:
    """BRP and WOZ pick the citizen by the login's BSN: someone else's is read as theirs, refused as such."""
    parser = by_document_type(document_type)
    for owner in PEOPLE:
        data = RENDERERS[document_type](owner)
        for other in PEOPLE:
            context = ParseContext(subject_bsn=other.bsn, origin="uploaded")
            parsed = parser.parse(data, context)
            if not parsed.holder.says_anything:
                continue
            if other is owner:
                assert check_binding(parsed, other.bsn, _person(other)) == "bsn"
            else:
                with pytest.raises(DocumentOfAnotherPerson):
                    check_binding(parsed, other.bsn, _person(other))
