"""The review model: what the citizen checks before consent, grouped as the app shows it, with counts."""

from __future__ import annotations

from dataclasses import dataclass
from typing import Literal

from databrug.records import Subject

GroupKey = Literal["personen", "inkomens", "pensioenen", "bezittingen"]
GROUP_ORDER: tuple[GroupKey, ...] = ("personen", "inkomens", "pensioenen", "bezittingen")


@dataclass(frozen=True)
class ReviewGroup:
    key: GroupKey
    count: int
    # The records of this group, per subject role, as JSON-ready dicts (shown only to the citizen's own app).
    items: dict[str, list[dict[str, object]]]


def _dump(records: list[object]) -> list[dict[str, object]]:
    return [r.model_dump(mode="json", exclude_defaults=True) for r in records]  # type: ignore[attr-defined]


def review_groups(subjects: list[Subject]) -> list[ReviewGroup]:
    groups: dict[GroupKey, dict[str, list[dict[str, object]]]] = {key: {} for key in GROUP_ORDER}
    for subject in subjects:
        role = subject.role
        groups["personen"][role] = _dump([subject.person] if subject.person else [])
        groups["inkomens"][role] = _dump(
            [*subject.incomes.relations, *subject.incomes.tax_years, *subject.incomes.allowances]
        )
        pensions: list[object] = [subject.pensions.state_pension] if subject.pensions.state_pension else []
        groups["pensioenen"][role] = _dump(
            [*pensions, *subject.pensions.schemes, *subject.pensions.survivor_pensions]
        )
        groups["bezittingen"][role] = _dump(
            [
                *subject.assets.homes,
                *subject.assets.mortgages,
                *subject.assets.vehicles,
                *subject.assets.bank_balances,
            ]
        )
    return [
        ReviewGroup(key=key, count=sum(len(items) for items in groups[key].values()), items=groups[key])
        for key in GROUP_ORDER
    ]


def review_counts(subjects: list[Subject]) -> dict[str, int]:
    """Counts only — safe for status events and the computer page (no personal data)."""
    return {group.key: group.count for group in review_groups(subjects)}
