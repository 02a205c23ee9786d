"""A purpose template: what a provider asking under one published purpose may receive (docs/purposes.md).

Record kinds are named per source as the package holds them (``Subject.incomes.tax_years`` is the
belastingdienst kind ``tax_years``); a kind the template does not list never goes, a field it drops is
emptied.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Literal

from pydantic import BaseModel, ConfigDict, Field, model_validator

from databrug.records import SOURCE_NAMES, SourceName

RecordKind = Literal[
    "person",
    "homes",
    "vehicles",
    "relations",
    "tax_years",
    "allowances",
    "mortgages",
    "bank_balances",
    "state_pension",
    "schemes",
    "survivor_pensions",
]

RECORD_KINDS: dict[SourceName, tuple[RecordKind, ...]] = {
    "mijnoverheid": ("person", "homes", "vehicles"),
    "uwv": ("relations",),
    "belastingdienst": ("tax_years", "allowances", "mortgages", "bank_balances"),
    "mijnpensioenoverzicht": ("state_pension", "schemes", "survivor_pensions"),
}
"""Which source delivers which record kind (the parsers in ``databrug.sources``)."""

DROPPABLE_FIELDS: dict[RecordKind, frozenset[str]] = {
    "person": frozenset({"birth_place", "birth_country", "nationalities", "gender"}),
    "homes": frozenset({"woz_object_id"}),
    "vehicles": frozenset({"model", "registered_since", "first_admission"}),
    "relations": frozenset({"insured_laws", "contract_type"}),
    "tax_years": frozenset({"box2_income", "box3_income", "business_profit", "wages", "fiscal_partner_bsn"}),
    "allowances": frozenset({"assessment_income", "monthly_rent"}),
    "mortgages": frozenset({"interest_paid"}),
    "bank_balances": frozenset({"bank"}),
    "state_pension": frozenset({"accrued_single", "accrued_together"}),
    "schemes": frozenset({"divorce_settlement", "accrued_yearly"}),
    "survivor_pensions": frozenset({"insured_amount", "accrued_amount"}),
}
"""The optional fields a template may drop per kind (a required field goes or the whole kind does not)."""

Text = dict[Literal["nl", "en"], str]


class _Model(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid")


class KindRule(_Model):
    drop_fields: list[str] = Field(default_factory=list)
    current_addresses_only: bool = Field(default=False, description="person: ended addresses are dropped")
    latest_woz_values: int | None = Field(default=None, ge=1, le=10, description="homes: the newest N values")


class LegalBasis(_Model):
    citation: str = Field(min_length=1, max_length=200)
    url: str | None = Field(default=None, max_length=500)
    note: Text


class ParameterBound(_Model):
    """The values a session may give one rule parameter."""

    type: Literal["number", "boolean", "choice"]
    minimum: Decimal | None = None
    maximum: Decimal | None = None
    nullable: bool = False
    choices: list[str] | None = None

    def allows(self, value: object) -> bool:
        if value is None:
            return self.nullable
        if self.type == "boolean":
            return isinstance(value, bool)
        if self.type == "choice":
            return isinstance(value, str) and value in (self.choices or [])
        if isinstance(value, bool) or not isinstance(value, int | float | str | Decimal):
            return False
        try:
            number = Decimal(str(value))
        except ArithmeticError:
            return False
        if not number.is_finite():
            return False
        return (self.minimum is None or number >= self.minimum) and (
            self.maximum is None or number <= self.maximum
        )


class TemplateRule(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    version: str = Field(pattern=r"^[0-9]+(\.[0-9]+){0,2}$")
    parameters: dict[str, ParameterBound]


class PurposeTemplate(_Model):
    id: str = Field(pattern=r"^[a-z][a-z0-9-]{1,62}$")
    version: str = Field(pattern=r"^[0-9]+(\.[0-9]+){0,2}$")
    title: Text
    summary: Text
    legal_basis: list[LegalBasis] = Field(min_length=1)
    sources: dict[SourceName, dict[RecordKind, KindRule]] = Field(
        description="Per source, the record kinds that may go and what is dropped from them"
    )
    max_wage_months: int = Field(ge=1, le=120, description="Wage periods ending within this many months")
    max_tax_years: int = Field(
        ge=1, le=10, description="Tax years (and mortgages, balances, allowances) before the current year"
    )
    originals_allowed: bool
    max_retention_days: int = Field(ge=1, le=36500)
    third_parties_allowed: bool
    rule: TemplateRule | None = None

    @model_validator(mode="after")
    def _kinds_belong_to_their_sources(self) -> PurposeTemplate:
        for text in (self.title, self.summary, *(basis.note for basis in self.legal_basis)):
            if set(text) != {"nl", "en"}:
                raise ValueError("every text of a template is given in Dutch (nl) and English (en)")
        for source, kinds in self.sources.items():
            for kind, rule in kinds.items():
                if kind not in RECORD_KINDS[source]:
                    raise ValueError(f"{source} delivers no record kind {kind}")
                unknown = set(rule.drop_fields) - DROPPABLE_FIELDS[kind]
                if unknown:
                    raise ValueError(f"{source}.{kind} cannot drop {sorted(unknown)}")
                if rule.current_addresses_only and kind != "person":
                    raise ValueError("current_addresses_only applies to the person only")
                if rule.latest_woz_values is not None and kind != "homes":
                    raise ValueError("latest_woz_values applies to homes only")
        return self

    @property
    def ref(self) -> str:
        return f"{self.id}@{self.version}"

    def source_names(self) -> list[SourceName]:
        return [s for s in SOURCE_NAMES if s in self.sources]

    def kind_rule(self, source: SourceName, kind: RecordKind) -> KindRule | None:
        return self.sources.get(source, {}).get(kind)
