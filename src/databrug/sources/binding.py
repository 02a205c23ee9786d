"""Is this document the logged-in person's? The one check every document passes before anything of it is kept.

The person is who logged in: the BSN from DigiD, and for a document without a BSN the name and birth date of
that person's own BRP record. The rule (issue 14):

- a BSN in the document must be the person's (``"bsn"``);
- a document without a BSN must carry a name that fits the person and their full birth date
  (``"name_and_birth_date"``): the surname with its prefix (or a partner's, or both joined, as Dutch
  naamgebruik allows), initials or given names that fit the given names, compared without regard to case,
  accents, dots or spacing;
- anything it names that does not fit refuses it (``DocumentOfAnotherPerson``); an upload that names too
  little to tell is refused as well (``DocumentIdentityUnchecked``). A fetched document that names too little
  is bound by the fetch itself: the portal answered for the DigiD token's own subject (``"digid_fetch"``).

Values are compared and forgotten: no message names one.
"""

from __future__ import annotations

import re
import unicodedata

from databrug.records import BindingCheck, Person, PersonName
from databrug.sources.errors import DocumentIdentityUnchecked, DocumentOfAnotherPerson
from databrug.sources.parsing import DocumentHolder, ParsedDocument

_NOT_A_LETTER = re.compile(r"[\W_]+")
_INITIAL_CHARS = 2  # "J" and Dutch two-letter initials such as "Th" (Theodorus) or "Ch" (Christiaan)


def needs_person(holder: DocumentHolder) -> bool:
    """Whether checking this document needs the person's BRP record (it names someone, but not by BSN)."""
    return not holder.bsns and bool(holder.names or holder.birth_dates)


def check_binding(
    parsed: ParsedDocument, bsn: str, person: Person | None, *, filename: str | None = None
) -> BindingCheck:
    """Which check binds ``parsed`` to the person with this BSN (``person``: their BRP record, needed when
    ``needs_person``); raises ``DocumentOfAnotherPerson`` or ``DocumentIdentityUnchecked`` otherwise."""
    holder, entry = parsed.holder, parsed.entry
    source, document_type = entry.source, entry.document_type

    def another_person(what: str) -> DocumentOfAnotherPerson:
        reason = f"the {what} in it is not that of the person logged in with DigiD"
        return DocumentOfAnotherPerson(source, document_type, reason, filename)

    if holder.bsns:
        if holder.bsns != {bsn}:
            raise another_person("BSN")
        return "bsn"
    full_birth = person.birth.date if person is not None and person.birth is not None else None
    if person is not None and person.bsn == bsn:
        if any(not name_fits(name, person) for name in holder.names):
            raise another_person("name")
        if full_birth is not None and holder.birth_dates - {full_birth}:
            raise another_person("birth date")
        if holder.names and holder.birth_dates and full_birth is not None:
            return "name_and_birth_date"
    if entry.origin == "fetched":
        return "digid_fetch"
    raise DocumentIdentityUnchecked(
        source,
        document_type,
        "it names no BSN, nor a name with a full birth date, to show it is the logged-in person's",
        filename,
    )


def name_fits(printed: str, person: Person) -> bool:
    """Whether a name as a document prints it ("J. de Vries", "Jan de Vries-Bakker") can be this person's."""
    words = _words(printed)
    given = _words(person.name.given_names or "") or _words(person.name.initials or "")
    return any(
        len(words) > len(surname)
        and words[-len(surname) :] == surname
        and _given_fits(words[: -len(surname)], given)
        for surname in _surnames(person)
    )


def _given_fits(printed: list[str], given: list[str]) -> bool:
    """Each printed given name or initial fits the given name in its place; fewer may be printed."""
    if len(printed) > len(given):
        return False
    return all(
        word == name or (len(word) <= _INITIAL_CHARS and name.startswith(word))
        for word, name in zip(printed, given, strict=False)
    )


def _surnames(person: Person) -> list[list[str]]:
    """The surnames the person may go by: their own, a (former) partner's, and both joined either way."""
    own = _surname(person.name)
    partners = [_surname(p.name) for p in person.partners if p.name is not None]
    return [own, *partners, *(own + p for p in partners), *(p + own for p in partners)]


def _surname(name: PersonName) -> list[str]:
    return _words(f"{name.prefix or ''} {name.surname}")


def _words(text: str) -> list[str]:
    """Lower-case words without accents or punctuation: "F.A. el-Amrani" → ["f", "a", "el", "amrani"]."""
    decomposed = unicodedata.normalize("NFKD", text)
    plain = "".join(c for c in decomposed if not unicodedata.combining(c)).casefold().replace("ı", "i")
    return _NOT_A_LETTER.sub(" ", plain).split()
