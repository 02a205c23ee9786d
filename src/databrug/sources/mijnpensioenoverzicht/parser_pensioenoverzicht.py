"""Parser of the Mijnpensioenoverzicht download (``pensioenaanspraken.xml`` or its JSON twin) → ``Pensions``.

The download lists amounts per age window, and every scheme repeats in each window in which it is payable.
The records hold one entry per scheme: it starts at the first window it appears in, ends at the ``Tot``
of the last one (``None`` when that is "Overlijden"), and its amounts are those of its latest window, the
steady state. Schemes are told apart by provider and HerkenningsNummer, and by the list they sit in
(guaranteed, indicative, single-person supplement), so a scheme with a supplement gives two records.
Records keep download order: by the first window a scheme appears in, then by list, then as listed.
``Naam`` and ``Geboortedatum`` (the XML download has them) are the document's holder, for the binding check
only.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import NoReturn

from lxml import etree
from pydantic import ValidationError

from databrug.records import (
    Age,
    DocumentType,
    Pensions,
    PensionScheme,
    SourceName,
    StatePension,
    Subject,
    SurvivorPension,
)
from databrug.sources.errors import DocumentInvalid
from databrug.sources.mijnpensioenoverzicht import download
from databrug.sources.mijnpensioenoverzicht.overview import (
    Boundary,
    OldAgeWindow,
    Overview,
    SchemeLine,
    SurvivorLine,
    read_overview,
)
from databrug.sources.parsing import DocumentHolder, ParseContext, ParsedDocument, make_entry

MEDIA_TYPES: dict[download.Format, str] = {"xml": "application/xml", "json": "application/json"}


def _age_key(age: Age) -> tuple[int, int]:
    return (age.years, age.months)


def _boundary_key(edge: Boundary) -> tuple[int, int, int]:
    # Any event ("Overlijden") lies after every age.
    return (0, *_age_key(edge.age)) if edge.age is not None else (1, 0, 0)


@dataclass
class _SchemeSpan:
    start: Age
    end: Boundary
    latest_start: Age
    latest: SchemeLine

    def add(self, window: OldAgeWindow, line: SchemeLine) -> None:
        if _age_key(window.start) < _age_key(self.start):
            self.start = window.start
        if _boundary_key(window.end) > _boundary_key(self.end):
            self.end = window.end
        if _age_key(window.start) >= _age_key(self.latest_start):
            self.latest_start, self.latest = window.start, line


def _schemes(overview: Overview, ref: str) -> list[PensionScheme]:
    spans: dict[tuple[str, str, str], _SchemeSpan] = {}
    for window in overview.old_age:
        for line in window.lines:
            key = (line.kind, line.provider, line.scheme_id)
            if key in spans:
                spans[key].add(window, line)
            else:
                spans[key] = _SchemeSpan(window.start, window.end, window.start, line)
    schemes = []
    for span in spans.values():
        line = span.latest
        try:
            schemes.append(
                PensionScheme(
                    source_ref=ref,
                    provider=line.provider,
                    scheme_id=line.scheme_id,
                    kind=line.kind,
                    accrued_yearly=line.accrued,
                    projected_yearly=line.projected,
                    start_age=span.start,
                    end_age=span.end.age,
                    as_of=line.as_of,
                    divorce_settlement=line.divorce_settlement,
                )
            )
        except ValidationError:
            _refused(line.origin.location)
    return schemes


def _state_pension(overview: Overview, ref: str) -> StatePension | None:
    windows = [window for window in overview.old_age if window.state_pension is not None]
    if not windows:
        return None
    start = min((window.start for window in windows), key=_age_key)
    steady = max(windows, key=lambda window: _age_key(window.start)).state_pension
    assert steady is not None
    return StatePension(
        source_ref=ref,
        start_age=start,
        as_of=steady.as_of,
        accrued_single=steady.accrued_single,
        projected_single=steady.projected_single,
        accrued_together=steady.accrued_together,
        projected_together=steady.projected_together,
    )


def _survivor_pensions(overview: Overview, ref: str) -> list[SurvivorPension]:
    latest: dict[tuple[str, bool, str, str], SurvivorLine] = {}
    for window in (*overview.partner, *overview.orphan):
        for line in window.lines:
            latest[(line.beneficiary, line.indicative, line.provider, line.scheme_id)] = line
    survivors = []
    for line in latest.values():
        try:
            survivors.append(
                SurvivorPension(
                    source_ref=ref,
                    beneficiary=line.beneficiary,
                    provider=line.provider,
                    scheme_id=line.scheme_id,
                    indicative=line.indicative,
                    insured_amount=line.insured,
                    accrued_amount=line.accrued,
                    per_child=line.per_child,
                    as_of=line.as_of,
                )
            )
        except ValidationError:
            _refused(line.origin.location)
    return survivors


def _refused(location: str) -> NoReturn:
    download.fail(location, "values the data package accepts (amounts in euros, ages, dates)")


class MijnpensioenoverzichtParser:
    source: SourceName = "mijnpensioenoverzicht"
    document_type: DocumentType = "pensioenoverzicht"
    media_type = MEDIA_TYPES["xml"]  # the JSON download gets "application/json" in its sources[] entry
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        return download.sniff(data)

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        try:
            loaded = download.load(data)
            overview = read_overview(loaded)
            entry = make_entry(
                data=data,
                context=context,
                source=self.source,
                document_type=self.document_type,
                media_type=MEDIA_TYPES[loaded.fmt],
                parser_version=self.version,
            )
            if overview.missing_providers:
                entry = entry.model_copy(update={"status": "partial"})
            pensions = Pensions(
                state_pension=_state_pension(overview, entry.id),
                schemes=_schemes(overview, entry.id),
                survivor_pensions=_survivor_pensions(overview, entry.id),
            )
            subject = Subject(role=context.subject, pensions=pensions)
            holder = DocumentHolder(
                names=frozenset({overview.holder_name} if overview.holder_name else ()),
                birth_dates=frozenset({overview.holder_birth_date} if overview.holder_birth_date else ()),
            )
        except DocumentInvalid as exc:
            if context.filename is None:
                raise
            raise DocumentInvalid(
                exc.source, exc.document_type, exc.location, exc.expected, filename=context.filename
            ) from None
        except (ValidationError, ValueError, TypeError, ArithmeticError, RecursionError, etree.LxmlError):
            # The exception text may quote a value; only the place and the rule go out.
            raise DocumentInvalid(
                self.source, self.document_type, "document", "a readable pension overview", context.filename
            ) from None
        return ParsedDocument(entry=entry, subject=subject, holder=holder)


PARSER = MijnpensioenoverzichtParser()
