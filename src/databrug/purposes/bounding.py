"""Trimming a person's collected data to what a purpose template and a session's request allow: the ONE place
it happens (``broker/review.py`` calls it, so the review page, the consent's digest and the package agree).

- a record kind the template does not list is removed; a field it drops is emptied (its default);
- wage periods ending before ``day`` minus ``wage_months`` months go, and a relation left without any;
- tax years, allowances, mortgages and bank balances of years before ``day.year - tax_years`` go;
- the person's ended addresses go when the template says so; homes keep their newest WOZ values.
"""

from __future__ import annotations

import calendar
from collections.abc import Callable
from datetime import date
from functools import cache
from typing import Any, Protocol, TypeVar, cast

from pydantic import BaseModel

from databrug.purposes.model import KindRule, PurposeTemplate, RecordKind
from databrug.records import Assets, Incomes, Pensions, Person, SourceName, Subject

M = TypeVar("M", bound=BaseModel)


class HistoryRequest(Protocol):
    """What of a session's request the trimming reads (``databrug.sessions.DataRequest`` has it)."""

    @property
    def wage_months(self) -> int: ...

    @property
    def tax_years(self) -> int: ...


def months_before(day: date, months: int) -> date:
    """The same day ``months`` calendar months earlier (the month's last day when it is shorter)."""
    index = day.year * 12 + day.month - 1 - months
    year, month = divmod(index, 12)
    month += 1
    return date(year, month, min(day.day, calendar.monthrange(year, month)[1]))


def first_kept_year(day: date, tax_years: int) -> int:
    return day.year - tax_years


@cache
def _plain_factory(model: type[BaseModel], name: str) -> Callable[[], Any] | None:
    """The field's default factory when it takes no arguments. Pydantic's ``get_default`` inspects the
    factory's signature on every call: that was most of the trimming's CPU on the review page."""
    field = model.model_fields[name]
    if field.default_factory is None or field.default_factory_takes_validated_data:
        return None
    return cast(Callable[[], Any], field.default_factory)


def _emptied(model: type[BaseModel], name: str) -> Any:
    factory = _plain_factory(model, name)
    return (
        factory() if factory is not None else model.model_fields[name].get_default(call_default_factory=True)
    )


def _dropped(record: M, rule: KindRule) -> M:
    if not rule.drop_fields:
        return record
    model = type(record)
    return record.model_copy(update={name: _emptied(model, name) for name in rule.drop_fields})


def _kind(bounds: PurposeTemplate, source: SourceName, kind: RecordKind) -> KindRule | None:
    return bounds.kind_rule(source, kind)


def _person(person: Person | None, rule: KindRule | None, day: date) -> Person | None:
    if person is None or rule is None:
        return None
    kept = _dropped(person, rule)
    if rule.current_addresses_only:
        addresses = [a for a in kept.addresses if a.valid_until is None or a.valid_until >= day]
        kept = kept.model_copy(update={"addresses": addresses})
    return kept


def _each(records: list[M], rule: KindRule | None, keep: Any = None) -> list[M]:
    if rule is None:
        return []
    return [_dropped(r, rule) for r in records if keep is None or keep(r)]


def bounded_subject(bounds: PurposeTemplate, request: HistoryRequest, subject: Subject, day: date) -> Subject:
    """``subject`` with only what ``bounds`` and ``request`` allow, ``day`` being the reference day."""
    wage_from = months_before(day, request.wage_months)
    year_from = first_kept_year(day, request.tax_years)

    relations = []
    relation_rule = _kind(bounds, "uwv", "relations")
    if relation_rule is not None:
        for relation in subject.incomes.relations:
            periods = [p for p in relation.periods if p.end >= wage_from]
            if periods:
                relations.append(_dropped(relation.model_copy(update={"periods": periods}), relation_rule))
    incomes = Incomes(
        relations=relations,
        tax_years=_each(
            subject.incomes.tax_years,
            _kind(bounds, "belastingdienst", "tax_years"),
            lambda t: t.year >= year_from,
        ),
        allowances=_each(
            subject.incomes.allowances,
            _kind(bounds, "belastingdienst", "allowances"),
            lambda a: a.year >= year_from,
        ),
    )

    homes_rule = _kind(bounds, "mijnoverheid", "homes")
    homes = _each(subject.assets.homes, homes_rule)
    if homes_rule is not None and homes_rule.latest_woz_values is not None:
        newest = homes_rule.latest_woz_values
        homes = [
            h.model_copy(
                update={"woz_values": sorted(h.woz_values, key=lambda v: v.reference_date)[-newest:]}
            )
            for h in homes
        ]
    assets = Assets(
        homes=homes,
        mortgages=_each(
            subject.assets.mortgages,
            _kind(bounds, "belastingdienst", "mortgages"),
            lambda m: m.year >= year_from,
        ),
        vehicles=_each(subject.assets.vehicles, _kind(bounds, "mijnoverheid", "vehicles")),
        bank_balances=_each(
            subject.assets.bank_balances,
            _kind(bounds, "belastingdienst", "bank_balances"),
            lambda b: b.reference_date.year >= year_from,
        ),
    )

    state_rule = _kind(bounds, "mijnpensioenoverzicht", "state_pension")
    state = subject.pensions.state_pension
    pensions = Pensions(
        state_pension=_dropped(state, state_rule) if state is not None and state_rule is not None else None,
        schemes=_each(subject.pensions.schemes, _kind(bounds, "mijnpensioenoverzicht", "schemes")),
        survivor_pensions=_each(
            subject.pensions.survivor_pensions, _kind(bounds, "mijnpensioenoverzicht", "survivor_pensions")
        ),
    )
    person = _person(subject.person, _kind(bounds, "mijnoverheid", "person"), day)
    return Subject(role=subject.role, person=person, incomes=incomes, pensions=pensions, assets=assets)
