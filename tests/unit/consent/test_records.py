from __future__ import annotations

import hashlib
import json
from datetime import UTC, datetime
from decimal import Decimal
from typing import Any

import pytest
from tests.support.consent_logins import login_before

from databrug.consent import ConsentError, consent_matches, data_digest, make_consent, statement_digest
from databrug.consent.statements import signing_name
from databrug.records import DataPackage, Subject

NOW = datetime(2026, 11, 28, 12, 0, tzinfo=UTC)


def _reordered(value: Any) -> Any:
    """The same data with every dict's keys in reverse order."""
    if isinstance(value, dict):
        return {k: _reordered(value[k]) for k in reversed(list(value))}
    if isinstance(value, list):
        return [_reordered(v) for v in value]
    return value


def test_digest_is_sha256_of_sorted_compact_json(couple: DataPackage) -> None:
    subject = couple.subjects[0]
    mine = sorted((e for e in couple.sources if e.subject == subject.role), key=lambda e: e.id)
    # Independent reconstruction of the documented recipe.
    text = json.dumps(
        {
            "subject": subject.model_dump(mode="json", exclude_defaults=True),
            "sources": [e.model_dump(mode="json", exclude_defaults=True) for e in mine],
        },
        sort_keys=True,
        separators=(",", ":"),
        ensure_ascii=False,
    )
    assert data_digest(subject, couple.sources) == "sha256:" + hashlib.sha256(text.encode()).hexdigest()


def test_digest_ignores_dict_order_and_source_order(couple: DataPackage) -> None:
    subject = couple.subjects[0]
    again = Subject.model_validate_json(json.dumps(_reordered(subject.model_dump(mode="json"))))
    assert list(again.model_dump(mode="json")) != list(_reordered(subject.model_dump(mode="json")))
    assert data_digest(again, list(reversed(couple.sources))) == data_digest(subject, couple.sources)


def test_digest_ignores_the_other_subjects_sources(couple: DataPackage) -> None:
    applicant = couple.subjects[0]
    own = [e for e in couple.sources if e.subject == applicant.role]
    assert data_digest(applicant, own) == data_digest(applicant, couple.sources)


def _leaf_paths(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[Any, ...]]:
    if isinstance(value, dict):
        return [p for k, v in value.items() for p in _leaf_paths(v, (*path, k))]
    if isinstance(value, list):
        return [p for i, v in enumerate(value) for p in _leaf_paths(v, (*path, i))]
    return [path]


def _changed(value: Any) -> Any:
    if isinstance(value, bool):
        return not value
    if isinstance(value, int):
        return value + 1
    if isinstance(value, str):
        try:
            return str(Decimal(value) + Decimal("0.01"))
        except ArithmeticError:
            return value + "x"
    return value


def test_digest_changes_when_any_value_changes(couple: DataPackage) -> None:
    """Every leaf value of both subjects, changed one at a time, changes the digest."""
    checked = 0
    for subject in couple.subjects:
        original = data_digest(subject, couple.sources)
        dumped = subject.model_dump(mode="json")
        for path in _leaf_paths(dumped):
            if not path or path[-1] == "source_ref":
                continue
            copy = json.loads(json.dumps(dumped))
            target = copy
            for key in path[:-1]:
                target = target[key]
            if target[path[-1]] is None:
                continue
            target[path[-1]] = _changed(target[path[-1]])
            try:
                changed = Subject.model_validate_json(json.dumps(copy))
            except ValueError:
                continue  # not valid data any more (e.g. a BSN failing the 11-proef): nothing to hash
            assert data_digest(changed, couple.sources) != original, path
            checked += 1
    assert checked > 50


def test_digest_changes_when_a_source_entry_changes(couple: DataPackage) -> None:
    subject = couple.subjects[0]
    entries = list(couple.sources)
    index = next(i for i, e in enumerate(entries) if e.subject == subject.role)
    entries[index] = entries[index].model_copy(update={"sha256": "f" * 64})
    assert data_digest(subject, entries) != data_digest(subject, couple.sources)


@pytest.mark.parametrize("language", ["nl", "en"])
def test_make_consent_records_statement_time_sources_and_digest(couple: DataPackage, language: str) -> None:
    partner = couple.subjects[1]
    login = login_before(NOW)
    consent = make_consent(partner, couple.sources, couple.provider, language, NOW, login)  # type: ignore[arg-type]
    assert consent.subject == "partner"
    assert consent.authentication == login
    assert consent.given_at == NOW
    assert consent.provider_id == couple.provider.id
    assert couple.provider.name in consent.statement
    assert partner.person is not None  # the statement names the person from their own BRP record
    assert f", {signing_name(partner.person.name)}, " in consent.statement
    assert set(consent.sources) == {e.source for e in couple.sources if e.subject == "partner"}
    assert consent.data_digest == data_digest(partner, couple.sources)
    assert consent_matches(consent, partner, couple.sources)
    assert not consent_matches(consent, couple.subjects[0], couple.sources)
    assert statement_digest(consent.statement).startswith("sha256:")


def test_make_consent_refuses_naive_time_and_missing_sources(couple: DataPackage) -> None:
    subject = couple.subjects[0]
    with pytest.raises(ConsentError):
        make_consent(subject, couple.sources, couple.provider, "nl", datetime(2026, 1, 1), login_before(NOW))
    with pytest.raises(ConsentError, match="no source entries"):
        make_consent(subject, [], couple.provider, "nl", NOW, login_before(NOW))
    some = [e for e in couple.sources if e.subject == "applicant"][1:]
    with pytest.raises(ConsentError, match="not listed"):
        make_consent(subject, some, couple.provider, "nl", NOW, login_before(NOW))


@pytest.mark.parametrize("minutes", [-1, 16])
def test_make_consent_refuses_a_login_after_it_or_too_long_before(couple: DataPackage, minutes: int) -> None:
    subject = couple.subjects[0]
    with pytest.raises(ConsentError, match="within the window"):
        make_consent(subject, couple.sources, couple.provider, "nl", NOW, login_before(NOW, minutes))
    make_consent(subject, couple.sources, couple.provider, "nl", NOW, login_before(NOW, 15))
