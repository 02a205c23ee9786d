"""The citizen's receipt as a one-page PDF: what was sent to whom and when, per person the number of records
per group, the fingerprints, and (once the provider collected the package) the broker's deletion receipt.

Like the receipt it renders, it holds no personal value: counts, names of sources, times and digests. Built
with fpdf2's core font (Helvetica, Latin-1), so no font file ships with the broker; the few characters outside
Latin-1 in the texts (dashes, arrows) are replaced.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from zoneinfo import ZoneInfo

from fpdf import FPDF

from databrug.consent.receipt import _TEXT as RECEIPT_TEXT
from databrug.consent.receipt import RECEIPT_GROUPS, ConsentReceipt, ReceiptErasure
from databrug.consent.statements import Language, catalogue

DUTCH_TIME = ZoneInfo("Europe/Amsterdam")
_MONTHS = {
    "nl": (
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ),
    "en": (
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ),
}
_LATIN1 = str.maketrans({"—": "-", "–": "-", "→": "->", "’": "'", "“": '"', "”": '"'})


@dataclass(frozen=True)
class Deletion:
    """The broker's signed deletion receipt, as the receipt shows it."""

    deleted_at: datetime
    ciphertext_sha256: str
    signed: str


def dutch_time(moment: datetime, language: Language) -> str:
    """A moment as people in the Netherlands read it: 4 december 2026, 23:05 (Dutch time, also in English)."""
    local = moment.astimezone(DUTCH_TIME)
    month = _MONTHS[language][local.month - 1]
    if language == "nl":
        return f"{local.day} {month} {local.year}, {local:%H:%M}"
    return f"{local.day} {month} {local.year}, {local:%H:%M} (Dutch time)"


def receipt_pdf(receipt: ConsentReceipt, language: Language, deletion: Deletion | None = None) -> bytes:
    labels = _LABELS[language]
    pdf = FPDF(format="A4")
    pdf.set_title(labels["title"])
    pdf.set_creation_date(receipt.sent_at)
    pdf.set_auto_page_break(auto=True, margin=15)
    pdf.add_page()
    pdf.set_font("Helvetica", "B", 16)
    _line(pdf, labels["title"], 9)
    pdf.set_font("Helvetica", "", 10)
    _line(pdf, labels["intro"].format(provider=receipt.provider_name), 6)
    pdf.ln(2)
    _pair(pdf, labels["provider"], receipt.provider_name)
    _pair(pdf, labels["sent_at"], dutch_time(receipt.sent_at, language))
    _pair(pdf, labels["package"], receipt.package_id)
    names = catalogue()
    _heading(pdf, labels["sources"])
    for source in receipt.sources:
        _line(pdf, "- " + names.describe_source(source.source, source.document_types, language), 5)
    for consent in receipt.consents:
        _heading(pdf, labels[consent.subject])
        _pair(pdf, labels["given_at"], dutch_time(consent.given_at, language))
        for group in RECEIPT_GROUPS:
            if group in consent.counts:
                _pair(pdf, labels[group], str(consent.counts[group]))
        _pair(pdf, labels["statement_digest"], consent.statement_digest)
        _pair(pdf, labels["data_digest"], consent.data_digest)
    if receipt.erasure is not None:
        _erasure(pdf, receipt.erasure, labels)
    _heading(pdf, labels["deletion"])
    if deletion is None:
        _line(pdf, labels["not_collected"], 5)
    else:
        _line(pdf, labels["deleted"].format(when=dutch_time(deletion.deleted_at, language)), 5)
        _pair(pdf, labels["ciphertext"], "sha256:" + deletion.ciphertext_sha256)
        pdf.set_font("Courier", "", 6)
        _line(pdf, deletion.signed, 3)
        pdf.set_font("Helvetica", "", 10)
    pdf.ln(4)
    _line(pdf, labels["footer"], 5)
    return bytes(pdf.output())


def _erasure(pdf: FPDF, erasure: ReceiptErasure, labels: dict[str, str]) -> None:
    _heading(pdf, labels["commitments"])
    _pair(pdf, labels["retention"], labels["retention_days"].format(days=erasure.retention_days))
    _pair(pdf, labels["third_parties"], ", ".join(erasure.third_parties) or labels["no_third_parties"])
    _pair(pdf, labels["privacy_statement"], erasure.privacy_statement_url)
    if erasure.purpose is not None:
        template = labels["template_value"].format(id=erasure.purpose.id, version=erasure.purpose.version)
        _pair(pdf, labels["template"], template)
    _heading(pdf, labels["erasure_heading"])
    if erasure.erasure_url:
        _line(pdf, labels["erasure_where"].format(provider=erasure.provider_name, url=erasure.erasure_url), 5)
    else:
        _line(pdf, labels["erasure_ask"].format(provider=erasure.provider_name), 5)
    pdf.set_font("Courier", "B", 11)
    _line(pdf, erasure.token, 7)
    pdf.set_font("Helvetica", "", 10)
    _line(pdf, labels["erasure_secret"], 5)


def _line(pdf: FPDF, text: str, height: float) -> None:
    pdf.multi_cell(0, height, text.translate(_LATIN1), new_x="LMARGIN", new_y="NEXT")


def _pair(pdf: FPDF, label: str, value: str) -> None:
    pdf.set_font("Helvetica", "B", 10)
    pdf.cell(62, 5, label.translate(_LATIN1))
    pdf.set_font("Helvetica", "", 10)
    pdf.multi_cell(0, 5, value.translate(_LATIN1), new_x="LMARGIN", new_y="NEXT")


def _heading(pdf: FPDF, text: str) -> None:
    pdf.ln(3)
    pdf.set_font("Helvetica", "B", 12)
    _line(pdf, text, 7)
    pdf.set_font("Helvetica", "", 10)


# What the PDF says beyond the text receipt's labels (which it shares: consent/receipt.py)
_PDF_ONLY: dict[Language, dict[str, str]] = {
    "nl": {
        "title": "Databrug - bewijs van verzending",
        "intro": "U heeft uw gegevens met Databrug versleuteld verstuurd naar {provider}. "
        "Dit bewijs noemt wat er is verstuurd, niet de gegevens zelf.",
        "deletion": "Bewijs van verwijdering",
        "not_collected": "De ontvanger heeft het pakket nog niet opgehaald. Daarna wist Databrug het.",
        "deleted": "De ontvanger heeft het pakket opgehaald. Databrug heeft het gewist op {when}. "
        "Hieronder het ondertekende bewijs daarvan.",
        "ciphertext": "Vingerafdruk van het pakket",
        "erasure_heading": "Uw gegevens laten wissen",
    },
    "en": {
        "title": "Databrug - proof of sending",
        "intro": "You sent your data encrypted to {provider} with Databrug. "
        "This receipt says what was sent, not the data itself.",
        "sent_at": "Sent on",
        "given_at": "Consent given on",
        "deletion": "Proof of deletion",
        "not_collected": "The recipient has not collected the package yet. Databrug deletes it then.",
        "deleted": "The recipient collected the package. Databrug deleted it on {when}. "
        "Below is the signed proof.",
        "ciphertext": "Fingerprint of the package",
        "erasure_heading": "Having your data erased",
    },
}
_LABELS: dict[Language, dict[str, str]] = {
    lang: {**RECEIPT_TEXT[lang], **_PDF_ONLY[lang]} for lang in _PDF_ONLY
}
