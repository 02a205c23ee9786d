"""The review's lines in words, in the page's language: Dutch (or English) dates and amounts, coded values as
words, plural forms, and a short explanation of each official term where it first appears in a group. Also
the consent's terms (purpose, retention, third parties) and, in outcome mode, the outcome and its inputs."""

from __future__ import annotations

import calendar
from dataclasses import dataclass, replace
from datetime import date, datetime, timedelta
from decimal import Decimal
from functools import partial
from typing import TYPE_CHECKING

from databrug.broker.review_summary import ReviewGroup, ReviewLine, WageSummary
from databrug.records import (
    Address,
    Age,
    Allowance,
    BankBalance,
    FuzzyDate,
    Home,
    IncomeRelation,
    Mortgage,
    PensionScheme,
    Person,
    StatePension,
    SurvivorPension,
    TaxYear,
    Vehicle,
    WagePeriod,
)
from databrug.web.context import shown_value
from databrug.web.i18n import Language, translate

if TYPE_CHECKING:
    from databrug.broker import ConsentTerms
    from databrug.broker.outcome import OutcomePreview


@dataclass(frozen=True)
class Term:
    key: str
    word: str
    explanation: str


@dataclass(frozen=True)
class PeriodRow:
    period: str
    wage: str
    hours: str


@dataclass(frozen=True)
class ShownLine:
    kind: str
    title: str
    facts: tuple[str, ...]
    source: str | None
    terms: tuple[Term, ...] = ()
    recent: tuple[PeriodRow, ...] = ()
    more: tuple[str, ...] = ()  # shown with the recent periods, behind the same tap
    more_label: str = ""


@dataclass(frozen=True)
class ShownSection:
    role: str
    lines: tuple[ShownLine, ...]


@dataclass(frozen=True)
class ShownGroup:
    key: str
    count: int
    sections: tuple[ShownSection, ...]


@dataclass(frozen=True)
class ShownTerms:
    """The consent's terms in words: for what, how long, to whom else, under which published template."""

    purpose: str
    summary: str
    version: str
    retention: str
    third_parties: str
    privacy_statement_url: str
    purpose_id: str


@dataclass(frozen=True)
class ShownOutcome:
    """An outcome and the few inputs it rests on, in words; ``*_within`` say it in words on the page too."""

    outcome: str
    word: str
    text: str
    household: str
    income: str
    income_limit: str
    income_limit_how: str
    income_within: bool
    asset_test: bool
    assets: str
    asset_limit: str
    assets_within: bool
    home_equity: str
    reasons: tuple[str, ...]
    reference_date: str
    rule: str


class ReviewWords:
    """Puts one page's review lines into words; one instance per language."""

    def __init__(self, lang: Language) -> None:
        self.lang = lang
        self.t = partial(translate, lang)

    # -- values

    def money(self, amount: Decimal) -> str:
        return shown_value(f"{amount:.2f}", "", self.lang)

    def number(self, value: Decimal) -> str:
        """Hours: whole where whole (165), else with a decimal comma in Dutch (38,5)."""
        text = f"{value.normalize():f}" if value != value.to_integral_value() else f"{value:.0f}"
        return text.replace(".", ",") if self.lang == "nl" else text

    def day(self, value: date) -> str:
        return shown_value(value.isoformat(), "", self.lang)

    def month(self, value: date) -> str:
        return f"{self.t(f'month.{value.month}')} {value.year}"

    def fuzzy(self, value: FuzzyDate | None) -> str | None:
        if value is None:
            return None
        if value.date is not None:
            return self.day(value.date)
        if value.year is not None and value.month is not None:
            return self.month(date(value.year, value.month, 1))
        return str(value.year) if value.year is not None else None

    def age(self, age: Age) -> str:
        if age.months:
            return self.t("review.age_months", years=age.years, count=age.months)
        return self.t("review.age", years=age.years)

    def word(self, code: str) -> str:
        return self.t(f"value.{code}")

    def period(self, period: WagePeriod) -> str:
        last = calendar.monthrange(period.start.year, period.start.month)[1]
        whole_month = period.start.day == 1 and period.end == period.start.replace(day=last)
        if whole_month:
            return self.month(period.start)
        return self.t("review.from_until", start=self.day(period.start), end=self.day(period.end))

    def address(self, address: Address) -> str:
        if address.lines:
            lines = [*address.lines]
        else:
            number = "".join(
                part
                for part in (
                    str(address.house_number or ""),
                    address.house_letter or "",
                    f"-{address.house_number_addition}" if address.house_number_addition else "",
                )
            )
            street = " ".join(part for part in (address.street or "", number) if part)
            place = " ".join(part for part in (address.postcode or "", address.city or "") if part)
            lines = [part for part in (street, place) if part]
        if address.country and address.country != "Nederland":
            lines.append(address.country)
        return ", ".join(lines)

    def term(self, key: str) -> Term:
        return Term(key, self.t(f"term.{key}.word"), self.t(f"term.{key}.text"))

    # -- the consent's terms and the outcome

    def terms(self, terms: ConsentTerms, now: datetime) -> ShownTerms:
        provider = terms.provider_name
        return ShownTerms(
            purpose=terms.title_in(self.lang),
            summary=terms.summary_in(self.lang),
            version=terms.purpose_version,
            retention=self.retention(provider, terms.retention_days, now),
            third_parties=self.third_parties(provider, terms.third_parties),
            privacy_statement_url=terms.privacy_statement_url,
            purpose_id=terms.purpose_id,
        )

    def retention(self, provider: str, days: int, since: datetime) -> str:
        until = self.day((since + timedelta(days=days)).date())
        return self.t("review.retention", provider=provider, count=days, date=until)

    def third_parties(self, provider: str, names: tuple[str, ...] | list[str]) -> str:
        if not names:
            return self.t("review.third_parties_none", provider=provider)
        text = self.t("review.third_parties", provider=provider, names=", ".join(names))
        return text[:-1] if text.endswith("..") else text  # a name ending in "B.V." ends the sentence

    def outcome(self, preview: OutcomePreview, provider: str) -> ShownOutcome:
        advice, parameters = preview.advice, preview.parameters
        income, assets = advice.income_test, advice.asset_test
        household = self.t(f"outcome.household_{advice.household.kind}")
        if advice.household.aow:
            household = f"{household}, {self.t('outcome.aow_norm')}"
        how = "with_holiday" if income.includes_holiday_allowance else "without_holiday"
        return ShownOutcome(
            outcome=advice.outcome,
            word=self.t(f"outcome.{advice.outcome}"),
            text=self.t(f"outcome.{advice.outcome}_text", provider=provider),
            household=household,
            income=self.money(income.household_net_monthly),
            income_limit=self.money(income.limit),
            income_limit_how=self.t(f"outcome.limit_{how}", percentage=self.number(income.percentage)),
            income_within=income.household_net_monthly <= income.limit,
            asset_test=assets.applied,
            assets=self.money(assets.total_counted),
            asset_limit=self.money(assets.limit),
            assets_within=assets.total_counted <= assets.limit,
            home_equity=self.t(f"outcome.home_equity_{parameters.home_equity_rule}"),
            reasons=tuple(self.reason(r.code, r.role, r.detail) for r in advice.reasons),
            reference_date=self.day(preview.reference_date),
            rule=self.t("outcome.rule_version", rule=preview.rule_id, version=preview.rule_version),
        )

    def reason(self, code: str, role: str | None, detail: str | None) -> str:
        key = f"outcome_reason.{code}"
        if translate(self.lang, key) == key:
            text = self.t("outcome_reason.other", code=code)
        else:
            document = self.t(f"document.{detail}") if detail else ""
            text = self.t(key, document=document)
        return f"{self.t(f'role.{role}')}: {text}" if role else text

    # -- lines

    def groups(self, groups: list[ReviewGroup]) -> list[ShownGroup]:
        shown = []
        for group in groups:
            explained: set[str] = set()
            sections = []
            for section in group.people:
                lines = []
                for line in section.lines:
                    words = self.line(line)
                    fresh = tuple(term for term in words.terms if term.key not in explained)
                    explained.update(term.key for term in fresh)
                    lines.append(replace(words, terms=fresh))
                sections.append(ShownSection(self.t(f"role.{section.role}"), tuple(lines)))
            shown.append(ShownGroup(group.key, group.count, tuple(sections)))
        return shown

    def line(self, line: ReviewLine) -> ShownLine:
        record = line.record
        source = self.t("review.from", source=self.t(f"review.source_{line.source}")) if line.source else None
        title: str
        facts: list[str]
        terms: list[str] = []
        recent: tuple[PeriodRow, ...] = ()
        more: tuple[str, ...] = ()
        if isinstance(record, Person):
            title, facts = record.name.display, self._person(record)
        elif isinstance(record, IncomeRelation):
            title, facts, recent, more = record.payer_name, *self._income(record, line.wages)
            terms = ["sv_loon", "loonheffingennummer"]
        elif isinstance(record, TaxYear):
            title, facts = self.t("review.tax_year", year=record.year), self._tax_year(record)
            terms = ["verzamelinkomen"]
        elif isinstance(record, Allowance):
            title = _capital(self.t("review.allowance", kind=self.word(record.kind), year=record.year))
            facts = self._allowance(record)
            terms = ["toetsingsinkomen"] if record.assessment_income is not None else []
        elif isinstance(record, StatePension):
            title, facts = self.t("review.aow_title"), self._state_pension(record)
            terms = ["aow"]
        elif isinstance(record, PensionScheme):
            title, facts = record.provider, self._scheme(record)
            terms = ["pension_amounts"]
        elif isinstance(record, SurvivorPension):
            title, facts = record.provider, [self._survivor(record)]
        elif isinstance(record, Home):
            title, facts = self.address(record.address), self._home(record, line)
            terms = ["woz"] if line.woz is not None else []
        elif isinstance(record, Mortgage):
            title, facts = record.lender, self._mortgage(record)
            more = tuple(fact for year in line.earlier for fact in self._mortgage(year))
        elif isinstance(record, Vehicle):
            title, facts = (
                " ".join(part for part in (record.make, record.model or "") if part),
                self._vehicle(record),
            )
        elif isinstance(record, BankBalance):
            title = record.bank or self.t("review.bank_account")
            facts = [
                self.t(
                    "review.balance", amount=self.money(record.balance), date=self.day(record.reference_date)
                ),
                self.t("review.iban", iban=record.iban),
            ]
        else:  # pragma: no cover - every record the review groups is handled above
            raise TypeError(f"no words for a {type(record).__name__}")
        label = self.t("review.earlier_years" if line.earlier else "review.recent")
        terms_shown = tuple(map(self.term, terms))
        return ShownLine(line.kind, title, tuple(facts), source, terms_shown, recent, more, label)

    def _person(self, person: Person) -> list[str]:
        facts = []
        born = self.fuzzy(person.birth)
        if born:
            facts.append(self.t("review.born", date=born))
        if person.addresses:
            facts.append(self.t("review.lives_at", address=self.address(person.addresses[0])))
        partner = person.current_partner
        if partner is not None:
            name = partner.name.display if partner.name else self.t("review.unnamed")
            facts.append(self.t("review.partner", name=name, kind=self.word(partner.kind)))
        else:
            facts.append(self.t("review.marital", status=self.word(person.marital_status)))
        if person.children:
            names = ", ".join(self._relative(child.name, child.birth) for child in person.children)
            facts.append(self.t("review.children", count=len(person.children), names=names))
        if person.in_research:
            facts.append(self.t("review.in_research"))
        return facts

    def _relative(self, name: object, birth: FuzzyDate | None) -> str:
        shown = getattr(name, "display", None) or self.t("review.unnamed")
        year = birth.date.year if birth and birth.date else (birth.year if birth else None)
        return f"{shown} ({year})" if year else str(shown)

    def _income(
        self, relation: IncomeRelation, wages: WageSummary | None
    ) -> tuple[list[str], tuple[PeriodRow, ...], tuple[str, ...]]:
        kind = _capital(self.word(relation.kind))
        more = (self.t("review.payroll_number", number=relation.payroll_tax_number),)
        if wages is None:
            return [kind, self.t("review.no_periods")], (), more
        span = self.t("review.from_until", start=self.day(wages.first_day), end=self.day(wages.last_day))
        facts = [
            f"{kind}, {span}",
            self.t(
                "review.average", wage=self.money(wages.monthly_wage), hours=self.number(wages.monthly_hours)
            ),
        ]
        rows = tuple(
            PeriodRow(
                self.period(period),
                self.money(period.sv_wage),
                self.t("review.hours", hours=self.number(period.hours)),
            )
            for period in wages.recent
        )
        return facts, rows, more

    def _tax_year(self, year: TaxYear) -> list[str]:
        facts = [self.t("review.verzamelinkomen", amount=self.money(year.verzamelinkomen))]
        if year.business_profit is not None:
            facts.append(self.t("review.business_profit", amount=self.money(year.business_profit)))
        return facts

    def _allowance(self, allowance: Allowance) -> list[str]:
        facts = [
            self.t(
                "review.allowance_amount",
                amount=self.money(allowance.monthly_amount),
                status=self.word(allowance.status),
            )
        ]
        if allowance.assessment_income is not None:
            facts.append(self.t("review.assessment_income", amount=self.money(allowance.assessment_income)))
        if allowance.monthly_rent is not None:
            facts.append(self.t("review.rent", amount=self.money(allowance.monthly_rent)))
        return facts

    def _state_pension(self, aow: StatePension) -> list[str]:
        facts = [self.t("review.from_age", age=self.age(aow.start_age))]
        single = aow.projected_single if aow.projected_single is not None else aow.accrued_single
        together = aow.projected_together if aow.projected_together is not None else aow.accrued_together
        if single is not None and together is not None:
            facts.append(
                self.t("review.aow_amounts", single=self.money(single), together=self.money(together))
            )
        elif single is not None or together is not None:
            facts.append(self.t("review.per_year", amount=self.money(single or together or Decimal(0))))
        return facts

    def _scheme(self, scheme: PensionScheme) -> list[str]:
        facts = []
        if scheme.projected_yearly is not None:
            expected = self.t("review.expected", amount=self.money(scheme.projected_yearly))
            if scheme.start_age is not None:
                expected = self.t("review.with_age", text=expected, age=self.age(scheme.start_age))
            facts.append(expected)
        accrued = (
            self.t("review.accrued", amount=self.money(scheme.accrued_yearly))
            if scheme.accrued_yearly is not None
            else None
        )
        facts.append(", ".join(part for part in (accrued, self.word(scheme.kind)) if part))
        return [_capital(fact) for fact in facts]

    def _survivor(self, survivor: SurvivorPension) -> str:
        text = self.t(f"review.survivor_{survivor.beneficiary}")
        amount = survivor.insured_amount if survivor.insured_amount is not None else survivor.accrued_amount
        if amount is not None:
            text = self.t("review.insured", text=text, amount=self.money(amount))
        if survivor.per_child:
            text = self.t("review.per_child", text=text)
        if survivor.indicative:
            text = f"{text} ({self.word('indicative')})"
        return text

    def _home(self, home: Home, line: ReviewLine) -> list[str]:
        facts = [_capital(self.word(home.relation))]
        if line.woz is not None:
            facts.append(
                self.t(
                    "review.woz", amount=self.money(line.woz.value), date=self.day(line.woz.reference_date)
                )
            )
        return facts

    def _mortgage(self, mortgage: Mortgage) -> list[str]:
        facts = [self.t("review.debt", year=mortgage.year, amount=self.money(mortgage.debt_at_start_of_year))]
        if mortgage.interest_paid is not None:
            facts.append(
                self.t("review.interest", year=mortgage.year, amount=self.money(mortgage.interest_paid))
            )
        return facts

    def _vehicle(self, vehicle: Vehicle) -> list[str]:
        facts = [self.t("review.registration", plate=vehicle.registration)]
        since = vehicle.registered_since or vehicle.first_admission
        if vehicle.registered_since is not None:
            facts.append(self.t("review.registered_since", date=self.day(vehicle.registered_since)))
        elif since is not None:
            facts.append(self.t("review.first_admission", date=self.day(since)))
        return facts


def _capital(text: str) -> str:
    return text[:1].upper() + text[1:]
