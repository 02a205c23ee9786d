"""Merging the partial subjects that single documents yield into one subject per role."""

from __future__ import annotations

from collections.abc import Iterable

from databrug.records import Assets, Incomes, Pensions, Role, SourceEntry, Subject
from databrug.sources.parsing import ParsedDocument


def merge_documents(role: Role, documents: Iterable[ParsedDocument]) -> tuple[Subject, list[SourceEntry]]:
    """One subject from many documents; a later document of the same type replaces the earlier one."""
    latest: dict[str, ParsedDocument] = {}
    for document in documents:
        if document.entry.subject != role:
            raise ValueError("a document of another subject was merged")
        latest[document.entry.id] = document
    person = None
    incomes = Incomes()
    pensions = Pensions()
    assets = Assets()
    for document in latest.values():
        part = document.subject
        person = part.person or person
        incomes = Incomes(
            relations=[*incomes.relations, *part.incomes.relations],
            tax_years=[*incomes.tax_years, *part.incomes.tax_years],
            allowances=[*incomes.allowances, *part.incomes.allowances],
        )
        pensions = Pensions(
            state_pension=part.pensions.state_pension or pensions.state_pension,
            schemes=[*pensions.schemes, *part.pensions.schemes],
            survivor_pensions=[*pensions.survivor_pensions, *part.pensions.survivor_pensions],
        )
        assets = Assets(
            homes=[*assets.homes, *part.assets.homes],
            mortgages=[*assets.mortgages, *part.assets.mortgages],
            vehicles=[*assets.vehicles, *part.assets.vehicles],
            bank_balances=[*assets.bank_balances, *part.assets.bank_balances],
        )
    subject = Subject(role=role, person=person, incomes=incomes, pensions=pensions, assets=assets)
    return subject, [d.entry for d in latest.values()]
