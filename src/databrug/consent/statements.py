"""The exact consent statement shown to a citizen, in Dutch and English (docs/design.md §3 rule 6).

The texts live in ``statements.yaml`` beside this module (packaged data), not in code: one place to review
what citizens agree to. A statement names the person who agrees (initials and surname from their BRP record,
as the Ockto journey did: "Ik, A. Jansen, geef …"; their role when there is no BRP record), the provider (its
registered display name) and the sources actually used, in human names with the documents taken from each,
e.g. "MijnOverheid (BRP, WOZ, voertuigen)".
"""

from __future__ import annotations

from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from functools import cache
from importlib import resources
from typing import Any, Literal, get_args

import yaml

from databrug.records import SOURCE_NAMES, DocumentType, PersonName, Role, SourceEntry, SourceName

Language = Literal["nl", "en"]
LANGUAGES: tuple[Language, ...] = get_args(Language)

_DATA_FILE = "statements.yaml"


class StatementCatalogueInvalid(Exception):
    """``statements.yaml`` is missing a text or a name; a packaging or editing error, never user input."""

    code = "consent_catalogue_invalid"


@dataclass(frozen=True)
class _SourceNames:
    name: Mapping[Language, str]
    documents: Mapping[DocumentType, Mapping[Language, str] | None]


@dataclass(frozen=True)
class StatementCatalogue:
    version: str
    statement: Mapping[Language, str]
    list_words: Mapping[Language, tuple[str, str]]
    sources: Mapping[SourceName, _SourceNames]
    roles: Mapping[Role, Mapping[Language, str]]
    outcome_statement: Mapping[Language, str]
    outcome_and_data_statement: Mapping[Language, str]
    rules: Mapping[str, Mapping[Language, str]]

    def rule_name(self, rule_id: str, version: str, language: Language) -> str:
        names = self.rules.get(rule_id)
        if names is None:
            raise ValueError(f"rule {rule_id!r} has no name in {_DATA_FILE}")
        return names[language].format(version=version)

    def describe_source(
        self, source: SourceName, documents: Iterable[DocumentType], language: Language
    ) -> str:
        """'MijnOverheid (BRP, WOZ, voertuigen)': source name and documents used, catalogue order."""
        names = self.sources[source]
        used = set(documents)
        unknown = used - set(names.documents)
        if unknown:
            raise ValueError(f"document types {sorted(unknown)} do not belong to source {source}")
        labels = [
            label[language] for doc, label in names.documents.items() if doc in used and label is not None
        ]
        return f"{names.name[language]} ({', '.join(labels)})" if labels else names.name[language]

    def join(self, items: list[str], language: Language) -> str:
        separator, last = self.list_words[language]
        if len(items) <= 1:
            return "".join(items)
        return separator.join(items[:-1]) + last + items[-1]


def _require(mapping: Any, key: str, where: str) -> Any:
    if not isinstance(mapping, dict) or key not in mapping:
        raise StatementCatalogueInvalid(f"{_DATA_FILE}: missing '{key}' in {where}")
    return mapping[key]


def _texts(mapping: Any, where: str) -> dict[Language, str]:
    texts: dict[Language, str] = {}
    for language in LANGUAGES:
        text = _require(mapping, language, where)
        if not isinstance(text, str) or not text.strip():
            raise StatementCatalogueInvalid(f"{_DATA_FILE}: empty text for '{language}' in {where}")
        texts[language] = " ".join(text.split())
    return texts


def _statement(data: Any, key: str, placeholders: tuple[str, ...]) -> dict[Language, str]:
    texts = _texts(_require(data, key, "the top level"), key)
    for language, text in texts.items():
        for placeholder in placeholders:
            if placeholder not in text:
                raise StatementCatalogueInvalid(f"{_DATA_FILE}: {key}.{language} lacks {placeholder}")
    return texts


def parse_catalogue(data: Any) -> StatementCatalogue:
    """Check and convert the YAML document; every source and both languages must be present."""
    statement = _statement(data, "statement", ("{person}", "{provider}", "{sources}"))
    outcome_placeholders = ("{person}", "{provider}", "{sources}", "{rule}")
    outcome_statement = _statement(data, "outcome_statement", outcome_placeholders)
    outcome_and_data_statement = _statement(data, "outcome_and_data_statement", outcome_placeholders)
    raw_rules = _require(data, "rules", "the top level")
    if not isinstance(raw_rules, dict) or not raw_rules:
        raise StatementCatalogueInvalid(f"{_DATA_FILE}: rules must name at least one rule")
    rules = {str(rule): _texts(names, f"rules.{rule}") for rule, names in raw_rules.items()}
    list_words: dict[Language, tuple[str, str]] = {}
    for language in LANGUAGES:
        words = _require(_require(data, "list_words", "the top level"), language, "list_words")
        list_words[language] = (
            str(_require(words, "separator", f"list_words.{language}")),
            str(_require(words, "last", f"list_words.{language}")),
        )
    sources: dict[SourceName, _SourceNames] = {}
    raw_sources = _require(data, "sources", "the top level")
    for source in SOURCE_NAMES:
        raw = _require(raw_sources, source, "sources")
        documents: dict[DocumentType, Mapping[Language, str] | None] = {}
        for doc, label in dict(_require(raw, "documents", f"sources.{source}")).items():
            documents[doc] = None if label is None else _texts(label, f"sources.{source}.documents.{doc}")
        sources[source] = _SourceNames(
            name=_texts(_require(raw, "name", f"sources.{source}"), f"sources.{source}.name"),
            documents=documents,
        )
    raw_roles = _require(data, "roles", "the top level")
    roles: dict[Role, Mapping[Language, str]] = {
        role: _texts(_require(raw_roles, role, "roles"), f"roles.{role}") for role in ("applicant", "partner")
    }
    return StatementCatalogue(
        version=str(_require(data, "version", "the top level")),
        statement=statement,
        list_words=list_words,
        sources=sources,
        roles=roles,
        outcome_statement=outcome_statement,
        outcome_and_data_statement=outcome_and_data_statement,
        rules=rules,
    )


@cache
def catalogue() -> StatementCatalogue:
    """The packaged catalogue, read once."""
    text = resources.files("databrug.consent").joinpath(_DATA_FILE).read_text(encoding="utf-8")
    return parse_catalogue(yaml.safe_load(text))


def sources_used(entries: Iterable[SourceEntry]) -> dict[SourceName, list[DocumentType]]:
    """The sources (catalogue order) and the document types taken from each, from the provenance entries."""
    used: dict[SourceName, list[DocumentType]] = {}
    for entry in entries:
        documents = used.setdefault(entry.source, [])
        if entry.document_type not in documents:
            documents.append(entry.document_type)
    return {source: used[source] for source in SOURCE_NAMES if source in used}


def signing_name(name: PersonName) -> str:
    """Initials and surname as a person signs, e.g. "A.M. van der Berg": the BRP's initials, else the first
    letters of the given names; the surname alone when the record has neither."""
    initials = (name.initials or "").strip()
    if not initials and name.given_names:
        initials = "".join(f"{given[0]}." for given in name.given_names.split())
    return " ".join(part for part in (initials, name.prefix or "", name.surname) if part)


@dataclass(frozen=True)
class OutcomeConsent:
    """An outcome-only delivery: the published rule whose signed outcome goes, and whether the data go too
    (after the outcome "investigate")."""

    rule_id: str
    rule_version: str
    with_data: bool = False


def consent_statement(
    provider_name: str,
    entries: Iterable[SourceEntry],
    language: Language,
    name: PersonName | None = None,
    outcome: OutcomeConsent | None = None,
) -> str:
    """The exact text a subject agrees to, naming the person (``name``, from their BRP record; else their
    role), the provider and the sources behind ``entries`` (all of one subject). With ``outcome``: the
    outcome-only statement (the rule's outcome goes, computed on those sources; the data only
    ``with_data``)."""
    names = catalogue()
    listed = list(entries)
    roles = {entry.subject for entry in listed}
    if len(roles) > 1:
        raise ValueError("a consent statement is one person's: entries of two subjects were given")
    used = sources_used(listed)
    if not used:
        raise ValueError("a consent statement needs at least one source")
    person = signing_name(name) if name is not None else names.roles[roles.pop()][language]
    described = [names.describe_source(source, docs, language) for source, docs in used.items()]
    if outcome is None:
        return names.statement[language].format(
            person=person, provider=provider_name, sources=names.join(described, language)
        )
    text = names.outcome_and_data_statement if outcome.with_data else names.outcome_statement
    return text[language].format(
        person=person,
        provider=provider_name,
        sources=names.join(described, language),
        rule=names.rule_name(outcome.rule_id, outcome.rule_version, language),
    )
