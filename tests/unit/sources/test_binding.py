"""The binding rule (sources/binding.py): a document is the logged-in person's by BSN, or by name and full
birth date when it has no BSN; anything else it names refuses it, and an upload that names too little is
refused."""

from __future__ import annotations

from datetime import date
from typing import Literal

import pytest

from databrug.records import FuzzyDate, PartnerLink, Person, PersonName, Subject
from databrug.sources.binding import check_binding, name_fits, needs_person
from databrug.sources.errors import DocumentIdentityUnchecked, DocumentOfAnotherPerson
from databrug.sources.parsing import DocumentHolder, ParseContext, ParsedDocument, make_entry

BSN = "999900249"
OTHER_BSN = "999900237"
BIRTH = date(1955, 8, 25)
PERSON = Person(
    source_ref="src-applicant-brp-persoon",
    bsn=BSN,
    name=PersonName(given_names="Sanne Maria", prefix="van der", surname="Meer", initials="S.M."),
    birth=FuzzyDate(date=BIRTH),
    partners=[
        PartnerLink(kind="huwelijk", bsn=OTHER_BSN, name=PersonName(given_names="Thijs", surname="Kuipers"))
    ],
)


def document(holder: DocumentHolder, origin: Literal["fetched", "uploaded"] = "uploaded") -> ParsedDocument:
    context = ParseContext(origin=origin)
    entry = make_entry(
        data=b"x",
        context=context,
        source="uwv",
        document_type="verzekeringsbericht",
        media_type="application/pdf",
        parser_version="1.0.0",
    )
    return ParsedDocument(entry, Subject(role="applicant"), holder)


def named(name: str, birth: date | None = BIRTH) -> DocumentHolder:
    return DocumentHolder(names=frozenset({name}), birth_dates=frozenset({birth} if birth else ()))


def test_a_bsn_that_is_the_persons_binds_the_document() -> None:
    holder = DocumentHolder(bsns=frozenset({BSN}), names=frozenset({"Someone Else"}))
    assert not needs_person(holder)
    assert check_binding(document(holder), BSN, None) == "bsn"  # the BSN decides; no BRP record needed


@pytest.mark.parametrize("bsns", [{OTHER_BSN}, {BSN, OTHER_BSN}])
def test_another_bsn_refuses_the_document_without_naming_it(bsns: set[str]) -> None:
    with pytest.raises(DocumentOfAnotherPerson) as caught:
        check_binding(document(DocumentHolder(bsns=frozenset(bsns))), BSN, PERSON, filename="upload")
    assert caught.value.code == "document_of_another_person"
    assert "BSN" in caught.value.message
    assert "verzekeringsbericht (upload)" in caught.value.message
    assert OTHER_BSN not in str(caught.value)
    assert BSN not in str(caught.value)


@pytest.mark.parametrize(
    "printed",
    [
        "S.M. van der Meer",
        "S. van der Meer",
        "Sanne van der Meer",
        "Sanne Maria van der Meer",
        "SANNE M. VAN DER MEER",
        "S.M.  Van Der  Meer",
        "S. van der Méér",
        "S. Kuipers",  # the partner's surname (naamgebruik P)
        "S.M. Kuipers-van der Meer",  # naamgebruik V
        "S. van der Meer - Kuipers",  # naamgebruik N
    ],
)
def test_name_variants_of_the_person_fit(printed: str) -> None:
    assert name_fits(printed, PERSON)
    assert check_binding(document(named(printed)), BSN, PERSON) == "name_and_birth_date"


@pytest.mark.parametrize(
    "printed",
    [
        "J. van der Meer",
        "S. Meer",
        "S. de Meer",
        "S.M.A. van der Meer",
        "Sanne van Dijk",
        "van der Meer",
        "S.",
    ],
)
def test_a_name_that_is_not_the_persons_refuses_the_document(printed: str) -> None:
    assert not name_fits(printed, PERSON)
    with pytest.raises(DocumentOfAnotherPerson) as caught:
        check_binding(document(named(printed)), BSN, PERSON)
    assert "name" in caught.value.message
    assert "Meer" not in str(caught.value)


def test_another_birth_date_refuses_the_document() -> None:
    with pytest.raises(DocumentOfAnotherPerson) as caught:
        check_binding(document(named("S. van der Meer", date(1955, 8, 26))), BSN, PERSON)
    assert "birth date" in caught.value.message


def test_a_name_without_a_full_birth_date_cannot_be_checked_when_uploaded() -> None:
    """ "Geboortedatum maart 1955" or "onbekend" is no full date: two people could share name and month."""
    holder = named("S. van der Meer", None)
    assert needs_person(holder)
    with pytest.raises(DocumentIdentityUnchecked) as caught:
        check_binding(document(holder), BSN, PERSON)
    assert caught.value.code == "document_identity_unchecked"
    # fetched with the person's own DigiD, the same document is bound by the fetch
    assert check_binding(document(holder, "fetched"), BSN, PERSON) == "digid_fetch"


def test_a_partial_birth_date_in_brp_leaves_a_name_upload_uncheckable() -> None:
    partial = PERSON.model_copy(update={"birth": FuzzyDate(year=1955)})
    with pytest.raises(DocumentIdentityUnchecked):
        check_binding(document(named("S. van der Meer")), BSN, partial)


def test_a_document_that_names_nobody_is_refused_as_an_upload_and_bound_by_a_fetch() -> None:
    with pytest.raises(DocumentIdentityUnchecked):
        check_binding(document(DocumentHolder()), BSN, PERSON)
    assert check_binding(document(DocumentHolder(), "fetched"), BSN, PERSON) == "digid_fetch"


def test_without_the_persons_brp_record_a_name_cannot_be_checked() -> None:
    with pytest.raises(DocumentIdentityUnchecked):
        check_binding(document(named("S. van der Meer")), BSN, None)
    someone_else = PERSON.model_copy(
        update={"bsn": OTHER_BSN}
    )  # a record of another BSN is no record of theirs
    with pytest.raises(DocumentIdentityUnchecked):
        check_binding(document(named("S. van der Meer")), BSN, someone_else)


def test_a_fetched_document_that_names_someone_else_is_refused_too() -> None:
    with pytest.raises(DocumentOfAnotherPerson):
        check_binding(document(named("T. Kuipers", date(1952, 10, 31)), "fetched"), BSN, PERSON)
    with pytest.raises(DocumentOfAnotherPerson):
        check_binding(document(DocumentHolder(bsns=frozenset({OTHER_BSN})), "fetched"), BSN, PERSON)
