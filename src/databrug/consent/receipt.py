"""The consent receipt a citizen can download: what was sent, to whom, when — no personal values.

It lists the package id, the provider, the sources (with document types) and per subject the time of consent,
the language, and two digests: of the statement shown and of the data consented to. Digests let the citizen
later prove what they agreed to (with the package) without the receipt itself revealing anything.

With a purpose template (``erasure``) it also says what the provider committed to: how long it keeps the case,
its third parties, its privacy statement, the template (id and version), and the erasure code: the one secret
in the receipt. The package carries only the code's SHA-256, so whoever holds the receipt, and only they, can
have the provider erase the case (docs/sdk.md, "Erasure").
"""

from __future__ import annotations

import base64
import json
from datetime import datetime
from typing import Annotated, Literal

from pydantic import BaseModel, ConfigDict, Field

from databrug.consent.records import canonical_json, statement_digest
from databrug.consent.statements import Language, catalogue, sources_used
from databrug.records import ConsentRecord, DataPackage, DocumentType, Role, SourceName, Subject
from databrug.records.outcome import PurposeRef, RuleOutcome

Digest = Annotated[str, Field(pattern=r"^sha256:[0-9a-f]{64}$")]
ReceiptGroup = Literal["personen", "inkomens", "pensioenen", "bezittingen"]
RECEIPT_GROUPS: tuple[ReceiptGroup, ...] = ("personen", "inkomens", "pensioenen", "bezittingen")


class _Frozen(BaseModel):
    model_config = ConfigDict(frozen=True, extra="forbid", hide_input_in_errors=True)


class ReceiptSource(_Frozen):
    source: SourceName
    document_types: list[DocumentType]


class ReceiptConsent(_Frozen):
    subject: Role
    given_at: datetime
    language: Literal["nl", "en"]
    sources: list[SourceName]
    statement_digest: Digest
    data_digest: Digest
    counts: dict[ReceiptGroup, Annotated[int, Field(ge=0)]] = Field(default_factory=dict)
    """How many records of each of the review's four groups this person sent: numbers, never the records."""


class ReceiptErasure(_Frozen):
    """What the provider committed to for this package, and the code that has it erase the case."""

    token: str = Field(pattern=r"^era_[A-Za-z0-9_-]{16,64}$", description="The erasure code (a secret)")
    erasure_url: str | None = Field(default=None, max_length=2000, description="Where to use the code")
    retention_days: int = Field(ge=1, le=36500)
    privacy_statement_url: str = Field(min_length=1, max_length=2000)
    provider_name: str = Field(min_length=1, max_length=200)
    third_parties: list[Annotated[str, Field(min_length=1, max_length=200)]] = Field(
        default_factory=list, max_length=20
    )
    purpose: PurposeRef | None = None


class ReceiptOutcome(_Frozen):
    """Outcome-only delivery: which outcome went (the package's signed outcome), and whether the data did."""

    outcome: RuleOutcome
    rule_id: str = Field(max_length=64)
    rule_version: str = Field(max_length=16)
    with_data: bool


class ConsentReceipt(_Frozen):
    """Downloadable proof of a consent. Holds ids, names of sources, times and digests only."""

    kind: Literal["databrug.consent-receipt"] = "databrug.consent-receipt"
    version: Literal["1"] = "1"
    session_id: str = Field(min_length=1, max_length=100)
    package_id: str = Field(min_length=1, max_length=100)
    provider_id: str
    provider_name: str
    sent_at: datetime
    ciphertext_sha256: Annotated[str, Field(pattern=r"^[0-9a-f]{64}$")] | None = Field(
        default=None, description="SHA-256 of the sealed package (JWE) as handed to the provider"
    )
    sources: list[ReceiptSource]
    consents: list[ReceiptConsent]
    # Left out when unset, so a receipt without it reads exactly as before the field existed.
    erasure: ReceiptErasure | None = Field(default=None, exclude_if=lambda value: value is None)
    outcome: ReceiptOutcome | None = Field(default=None, exclude_if=lambda value: value is None)

    def to_json(self) -> bytes:
        """Canonical JSON (sorted keys, no whitespace): the downloadable ``.json`` form."""
        return canonical_json(self.model_dump(mode="json"))

    def to_text(self, language: Language = "nl") -> str:
        """A printable plain-text rendering (no HTML), in Dutch or English."""
        names = catalogue()
        labels = _TEXT[language]
        lines = [
            labels["title"],
            "",
            f"{labels['provider']}: {self.provider_name} ({self.provider_id})",
            f"{labels['sent_at']}: {_when(self.sent_at)}",
            f"{labels['package']}: {self.package_id}",
            f"{labels['session']}: {self.session_id}",
        ]
        if self.ciphertext_sha256:
            lines.append(f"{labels['ciphertext']}: sha256:{self.ciphertext_sha256}")
        lines += ["", f"{labels['sources']}:"]
        lines += [f"  - {names.describe_source(s.source, s.document_types, language)}" for s in self.sources]
        for consent in self.consents:
            lines += [
                "",
                f"{labels[consent.subject]}:",
                f"  {labels['given_at']}: {_when(consent.given_at)}",
                *(f"  {labels[group]}: {count}" for group, count in consent.counts.items()),
                f"  {labels['language']}: {consent.language}",
                f"  {labels['statement_digest']}: {consent.statement_digest}",
                f"  {labels['data_digest']}: {consent.data_digest}",
            ]
        if self.erasure is not None:
            lines += ["", *erasure_lines(self.erasure, language)]
        lines += ["", labels["footer"], ""]
        return "\n".join(lines)


def erasure_lines(erasure: ReceiptErasure, language: Language) -> list[str]:
    """The provider's commitments and the erasure code, as lines (the text and the PDF receipt share them)."""
    labels = _TEXT[language]
    third = ", ".join(erasure.third_parties) if erasure.third_parties else labels["no_third_parties"]
    lines = [
        f"{labels['commitments']}:",
        f"  {labels['retention']}: {labels['retention_days'].format(days=erasure.retention_days)}",
        f"  {labels['third_parties']}: {third}",
        f"  {labels['privacy_statement']}: {erasure.privacy_statement_url}",
    ]
    if erasure.purpose is not None:
        template = labels["template_value"].format(id=erasure.purpose.id, version=erasure.purpose.version)
        lines.append(f"  {labels['template']}: {template}")
    lines += ["", f"{labels['erasure_code']}: {erasure.token}"]
    if erasure.erasure_url:
        lines.append(labels["erasure_where"].format(provider=erasure.provider_name, url=erasure.erasure_url))
    else:
        lines.append(labels["erasure_ask"].format(provider=erasure.provider_name))
    lines.append(labels["erasure_secret"])
    return lines


def _when(moment: datetime) -> str:
    return moment.isoformat(timespec="seconds")


_TEXT: dict[Language, dict[str, str]] = {
    "nl": {
        "title": "Databrug — bewijs van toestemming",
        "provider": "Ontvanger",
        "sent_at": "Verstuurd op",
        "package": "Pakket",
        "session": "Sessie",
        "ciphertext": "Vingerafdruk van het versleutelde pakket",
        "sources": "Bronnen",
        "applicant": "Aanvrager",
        "partner": "Partner",
        "given_at": "Toestemming gegeven op",
        "personen": "Personen",
        "inkomens": "Inkomens",
        "pensioenen": "Pensioenen",
        "bezittingen": "Bezittingen",
        "language": "Taal van de tekst",
        "statement_digest": "Vingerafdruk van de tekst",
        "data_digest": "Vingerafdruk van de gegevens",
        "footer": "Dit bewijs bevat geen persoonsgegevens. Databrug bewaart uw gegevens niet.",
        "commitments": "Wat de ontvanger heeft toegezegd",
        "retention": "Bewaartermijn",
        "retention_days": "{days} dagen, daarna wist de ontvanger uw dossier",
        "third_parties": "Derden die uw gegevens krijgen",
        "no_third_parties": "geen",
        "privacy_statement": "Privacyverklaring",
        "template": "Binnen het gepubliceerde doel",
        "template_value": "{id} versie {version}",
        "erasure_code": "Wiscode",
        "erasure_where": "Vraag {provider} uw gegevens te wissen: ga naar {url} en vul deze wiscode in.",
        "erasure_ask": "Vraag {provider} uw gegevens te wissen en geef daarbij deze wiscode.",
        "erasure_secret": "Houd de wiscode voor uzelf: wie de code heeft, kan uw dossier laten wissen.",
    },
    "en": {
        "title": "Databrug — consent receipt",
        "provider": "Recipient",
        "sent_at": "Sent at",
        "package": "Package",
        "session": "Session",
        "ciphertext": "Fingerprint of the encrypted package",
        "sources": "Sources",
        "applicant": "Applicant",
        "partner": "Partner",
        "given_at": "Consent given at",
        "personen": "People",
        "inkomens": "Incomes",
        "pensioenen": "Pensions",
        "bezittingen": "Assets",
        "language": "Language of the text",
        "statement_digest": "Fingerprint of the text",
        "data_digest": "Fingerprint of the data",
        "footer": "This receipt holds no personal data. Databrug does not keep your data.",
        "commitments": "What the recipient committed to",
        "retention": "Retention",
        "retention_days": "{days} days, after which the recipient erases your case",
        "third_parties": "Third parties that receive your data",
        "no_third_parties": "none",
        "privacy_statement": "Privacy statement",
        "template": "Within the published purpose",
        "template_value": "{id} version {version}",
        "erasure_code": "Erasure code",
        "erasure_where": "Ask {provider} to erase your data: go to {url} and enter this erasure code.",
        "erasure_ask": "Ask {provider} to erase your data and give them this erasure code.",
        "erasure_secret": "Keep the erasure code to yourself: whoever has it can have your case erased.",
    },
}


def consent_receipt(
    session_id: str,
    package: DataPackage,
    sent_at: datetime,
    ciphertext_sha256: str | None = None,
    erasure: ReceiptErasure | None = None,
) -> ConsentReceipt:
    """The receipt for a package that was sealed and handed over at ``sent_at``.

    ``ciphertext_sha256`` (hex, from the sealed package) ties it to the provider's deletion receipt;
    ``erasure`` (the code whose SHA-256 the package carries, and the provider's commitments) lets the citizen
    have the case erased later.
    """
    return ConsentReceipt(
        session_id=session_id,
        package_id=package.package_id,
        provider_id=package.provider.id,
        provider_name=package.provider.name,
        sent_at=sent_at,
        ciphertext_sha256=ciphertext_sha256,
        sources=[
            ReceiptSource(source=source, document_types=docs)
            for source, docs in sources_used(package.sources).items()
        ],
        consents=[
            _receipt_consent(c, next((s for s in package.subjects if s.role == c.subject), None))
            for c in package.consents
        ],
        erasure=erasure,
        outcome=_sent_outcome(package),
    )


def _sent_outcome(package: DataPackage) -> ReceiptOutcome | None:
    """The outcome the package carries, read from the broker's own JWS made a moment before (not verified:
    the receipt only says which outcome went)."""
    if package.outcome is None:
        return None
    payload = package.outcome.split(".")[1]
    claims = json.loads(base64.urlsafe_b64decode(payload + "=" * (-len(payload) % 4)))
    with_data = any(
        count
        for subject in package.subjects
        for group, count in group_counts(subject).items()
        if group != "personen"
    )
    return ReceiptOutcome(
        outcome=claims["outcome"],
        rule_id=claims["rule_id"],
        rule_version=claims["rule_version"],
        with_data=with_data,
    )


def group_counts(subject: Subject) -> dict[ReceiptGroup, int]:
    """Records per group of the review (Personen, Inkomens, Pensioenen, Bezittingen) for one person."""
    incomes, pensions, assets = subject.incomes, subject.pensions, subject.assets
    return {
        "personen": 1 if subject.person else 0,
        "inkomens": len(incomes.relations) + len(incomes.tax_years) + len(incomes.allowances),
        "pensioenen": (1 if pensions.state_pension else 0)
        + len(pensions.schemes)
        + len(pensions.survivor_pensions),
        "bezittingen": len(assets.homes)
        + len(assets.mortgages)
        + len(assets.vehicles)
        + len(assets.bank_balances),
    }


def _receipt_consent(consent: ConsentRecord, subject: Subject | None) -> ReceiptConsent:
    return ReceiptConsent(
        subject=consent.subject,
        given_at=consent.given_at,
        language=consent.language,
        sources=consent.sources,
        statement_digest=statement_digest(consent.statement),
        data_digest=consent.data_digest,
        counts=group_counts(subject) if subject is not None else {},
    )
