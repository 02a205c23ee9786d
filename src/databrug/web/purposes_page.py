"""``GET /doelen``: the published purpose templates for people, in Dutch or English — what each purpose may
ask for, how much history, whether originals go, how long a provider may keep it, its rule and legal basis.
The same document as ``/.well-known/databrug-purposes.json`` (``Broker.purposes_document``), in words."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from decimal import Decimal
from functools import partial
from typing import Any

from fastapi import APIRouter, Request
from fastapi.responses import Response

from databrug.web.context import language, render
from databrug.web.deps import BrokerDep
from databrug.web.i18n import Language, translate

router = APIRouter(include_in_schema=False)


@dataclass(frozen=True)
class ShownKind:
    name: str
    notes: tuple[str, ...]


@dataclass(frozen=True)
class ShownSource:
    name: str
    kinds: tuple[ShownKind, ...]


@dataclass(frozen=True)
class ShownBasis:
    citation: str
    url: str | None
    note: str


@dataclass(frozen=True)
class ShownPurpose:
    anchor: str
    id: str
    version: str
    title: str
    summary: str
    sources: tuple[ShownSource, ...]
    wage_months: int
    tax_years: int
    originals_allowed: bool
    retention_days: int
    third_parties_allowed: bool
    rule: str | None
    parameters: tuple[tuple[str, str], ...]
    legal_basis: tuple[ShownBasis, ...]


def _text(texts: object, lang: Language) -> str:
    if not isinstance(texts, Mapping):
        return ""
    return str(texts.get(lang) or texts.get("nl") or "")


def _in_a_sentence(word: str) -> str:
    """ "Geboorteplaats" as in "zonder: geboorteplaats"; an abbreviation ("AOW", "WOZ-waarden") stays."""
    return word[:1].lower() + word[1:] if word[1:2].islower() else word


def _kind(name: str, rule: Mapping[str, Any], lang: Language) -> ShownKind:
    t = partial(translate, lang)
    notes = []
    if rule.get("current_addresses_only"):
        notes.append(t("purposes.current_address_only"))
    if isinstance(rule.get("latest_woz_values"), int):
        notes.append(t("purposes.latest_woz", count=rule["latest_woz_values"]))
    dropped = [_in_a_sentence(t(f"field.{field}")) for field in rule.get("drop_fields") or []]
    if dropped:
        notes.append(t("purposes.without", fields=", ".join(dropped)))
    return ShownKind(t(f"field.{name}"), tuple(notes))


def _bound(name: str, bound: Mapping[str, Any], lang: Language) -> str:
    t = partial(translate, lang)

    def number(value: object) -> str:
        text = format(Decimal(str(value)).normalize(), "f")
        return text.replace(".", ",") if lang == "nl" else text

    kind, low, high = bound.get("type"), bound.get("minimum"), bound.get("maximum")
    if kind == "boolean":
        text = t("purposes.yes_no")
    elif kind == "choice":
        text = t("purposes.one_of", choices="; ".join(t(f"choice.{c}") for c in bound.get("choices") or []))
    elif low is not None and high is not None:
        text = t("purposes.range", minimum=number(low), maximum=number(high))
    elif low is not None:
        text = t("purposes.at_least", minimum=number(low))
    elif high is not None:
        text = t("purposes.at_most", maximum=number(high))
    else:
        text = t("purposes.any_number")
    return t("purposes.or_none", text=text) if bound.get("nullable") else text


def shown_purposes(document: Mapping[str, Any], lang: Language) -> list[ShownPurpose]:
    """The document's templates in words, newest version of each purpose first."""
    t = partial(translate, lang)
    shown = []
    for published in document.get("templates") or []:
        sources = tuple(
            ShownSource(
                t(f"review.source_{source}"),
                tuple(_kind(kind, rule or {}, lang) for kind, rule in (kinds or {}).items()),
            )
            for source, kinds in (published.get("sources") or {}).items()
        )
        rule = published.get("rule")
        shown.append(
            ShownPurpose(
                anchor=f"{published['id']}-{published['version']}",
                id=str(published["id"]),
                version=str(published["version"]),
                title=_text(published.get("title"), lang),
                summary=_text(published.get("summary"), lang),
                sources=sources,
                wage_months=int(published["max_wage_months"]),
                tax_years=int(published["max_tax_years"]),
                originals_allowed=bool(published.get("originals_allowed")),
                retention_days=int(published["max_retention_days"]),
                third_parties_allowed=bool(published.get("third_parties_allowed")),
                rule=t("purposes.rule_named", rule=rule["id"], version=rule["version"]) if rule else None,
                parameters=tuple(
                    (t(f"parameter.{name}"), _bound(name, bound, lang))
                    for name, bound in ((rule or {}).get("parameters") or {}).items()
                ),
                legal_basis=tuple(
                    ShownBasis(str(basis["citation"]), basis.get("url"), _text(basis.get("note"), lang))
                    for basis in published.get("legal_basis") or []
                ),
            )
        )
    versions = [tuple(int(p) for p in purpose.version.split(".")) for purpose in shown]
    order = sorted(range(len(shown)), key=lambda i: (shown[i].id, [-v for v in versions[i]]))
    return [shown[i] for i in order]


@router.get("/doelen")
async def purposes_page(request: Request, broker: BrokerDep) -> Response:
    lang = language(request)
    return render(
        request,
        "purposes.html",
        "purposes.title",
        purposes=shown_purposes(broker.purposes_document(), lang),
    )
