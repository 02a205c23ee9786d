"""The review's lines in words for every sandbox persona, in Dutch and English: counts match the records,
no raw code, boolean or placeholder, amounts and dates as people write them, each term explained once."""

from __future__ import annotations

import re
from datetime import UTC, date, datetime
from decimal import Decimal

import pytest

from databrug.broker.review_summary import review_groups
from databrug.consent.receipt import group_counts
from databrug.records import SourceEntry, Subject
from databrug.web.i18n import LANGUAGES, Language, translate
from databrug.web.review_format import ReviewWords, ShownGroup, ShownLine

CATALOGUE = pytest.importorskip("databrug_sandbox.personas.catalogue").CATALOGUE
RAW_CODE = re.compile(r"\b[a-z]+_[a-z_]+\b")
NOT_WORDS = ("True", "False", "None", "(nen)", "{", "}")
AMOUNT = {"nl": re.compile(r"€ -?\d{1,3}(\.\d{3})*,\d{2}"), "en": re.compile(r"€-?\d{1,3}(,\d{3})*\.\d{2}")}
ANY_AMOUNT = re.compile(r"€ ?-?[\d.,]+")


def _entry(role: str) -> SourceEntry:
    return SourceEntry(
        id="src-sandbox",  # the placeholder every persona's facts carry
        subject=role,  # type: ignore[arg-type]
        source="uwv",
        document_type="verzekeringsbericht",
        media_type="application/pdf",
        sha256="0" * 64,
        retrieved_at=datetime(2026, 11, 1, tzinfo=UTC),
        parser_version="1",
    )


def _shown(subjects: list[Subject], lang: Language) -> list[ShownGroup]:
    return ReviewWords(lang).groups(review_groups([(s, [_entry(s.role)]) for s in subjects]))


def _texts(groups: list[ShownGroup]) -> list[str]:
    texts = []
    for group in groups:
        for section in group.sections:
            texts.append(section.role)
            for line in section.lines:
                texts += [line.title, *line.facts, *line.more, line.source or ""]
                texts += [part for term in line.terms for part in (term.word, term.explanation)]
                texts += [part for row in line.recent for part in (row.period, row.wage, row.hours)]
    return texts


@pytest.mark.parametrize("lang", LANGUAGES)
@pytest.mark.parametrize("persona", sorted(CATALOGUE))
def test_every_personas_review_reads_as_words(persona: str, lang: Language) -> None:
    subjects = [citizen.facts for citizen in CATALOGUE[persona].citizens()]
    groups = _shown(subjects, lang)
    counted: list[dict[str, int]] = [{str(k): n for k, n in group_counts(s).items()} for s in subjects]
    assert [g.key for g in groups] == ["personen", "inkomens", "pensioenen", "bezittingen"]
    for group in groups:
        # the review counts what the receipt counts: the two must agree
        assert group.count == sum(counts[group.key] for counts in counted)
        # one line per record, except a lender's mortgage years, which share a line
        lines = sum(len(section.lines) for section in group.sections)
        lenders = sum(len({m.lender for m in s.assets.mortgages}) for s in subjects)
        mortgages = sum(len(s.assets.mortgages) for s in subjects)
        assert lines == group.count - (mortgages - lenders if group.key == "bezittingen" else 0)
        keys = [term.key for section in group.sections for line in section.lines for term in line.terms]
        assert len(keys) == len(set(keys)), "each term explained once per group"
    texts = _texts(groups)
    for text in texts:
        assert text.strip(), "no empty line"
        assert RAW_CODE.findall(text) == [], text
        assert not any(word in text for word in NOT_WORDS), text
        assert not re.search(r"\b\d{4}-\d{2}-\d{2}\b", text), f"an ISO date: {text}"
        for amount in ANY_AMOUNT.findall(text):
            assert AMOUNT[lang].fullmatch(amount.rstrip(".,")), f"{amount} in {text}"
    assert all(line.source == translate(lang, "review.from", source="UWV") for line in _lines(groups))


def _lines(groups: list[ShownGroup]) -> list[ShownLine]:
    return [line for group in groups for section in group.sections for line in section.lines]


def test_the_couple_in_dutch_reads_as_the_seed_does() -> None:
    subjects = [citizen.facts for citizen in CATALOGUE["couple-both-employed"].citizens()]
    groups = {group.key: group for group in _shown(subjects, "nl")}
    employer = groups["inkomens"].sections[0].lines[0]
    assert employer.kind == "income"
    assert re.fullmatch(r"Dienstbetrekking, \d{2}-\d{2}-\d{4} t/m \d{2}-\d{2}-\d{4}", employer.facts[0])
    assert re.fullmatch(
        r"Gemiddeld € [\d.]+,\d{2} SV-loon en \d+ uur per maand, over het laatste jaar", employer.facts[1]
    )
    assert len(employer.recent) == 6
    assert re.fullmatch(r"[a-z]+ \d{4}", employer.recent[0].period)  # a whole month: "oktober 2026"
    assert [term.word for term in employer.terms] == ["SV-loon", "het loonheffingennummer"]
    partners_employer = groups["inkomens"].sections[1].lines[0]
    assert partners_employer.terms == (), "explained once in the group, for the first employer"
    person = groups["personen"].sections[0].lines[0]
    assert any(fact.startswith("Partner: ") and fact.endswith("(huwelijk)") for fact in person.facts)
    assert any(fact.startswith("Kinderen: ") for fact in person.facts)
    mortgage = next(line for line in groups["bezittingen"].sections[0].lines if line.kind == "mortgage")
    assert mortgage.facts[0].startswith("Schuld op 1 januari 2025: € ")
    assert mortgage.more_label == "Eerdere jaren"
    assert [fact[:25] for fact in mortgage.more[::2]] == [
        "Schuld op 1 januari 2024:",
        "Schuld op 1 januari 2023:",
    ]
    home = groups["bezittingen"].sections[0].lines[0]
    assert re.fullmatch(r"WOZ-waarde € [\d.]+,00 \(peildatum 01-01-\d{4}\)", home.facts[1])


def test_plural_forms_and_dutch_numbers() -> None:
    words = ReviewWords("nl")
    assert translate("nl", "sources.records", count=1) == "1 onderdeel"
    assert translate("nl", "sources.records", count=3) == "3 onderdelen"
    assert translate("nl", "sources.records", count=0) == "niets gevonden"
    assert translate("en", "sources.records", count=1) == "1 item"
    assert translate("nl", "sources.failed_heading", count=1).endswith("bij 1 bron")
    assert translate("nl", "sources.failed_heading", count=2).endswith("bij 2 bronnen")
    assert translate("nl", "review.count", count=1) == "1"
    assert words.money(Decimal("3687.77")) == "€ 3.687,77"
    assert ReviewWords("en").money(Decimal("3687.77")) == "€3,687.77"
    assert words.number(Decimal("38.50")) == "38,5"
    assert words.number(Decimal("165.00")) == "165"
    assert words.month(date(2023, 11, 30)) == "november 2023"
    assert words.day(date(2023, 11, 1)) == "01-11-2023"
