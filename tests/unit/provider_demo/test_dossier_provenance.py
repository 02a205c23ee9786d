"""The dossier says of every record how it was obtained and which check bound it to its person (issue 14)."""

from __future__ import annotations

from datetime import UTC, datetime
from typing import Any, Literal

import pytest

from databrug.provider_demo.web.i18n import translate
from databrug.provider_demo.web.pages import _env
from databrug.records import BindingCheck, Role, SourceEntry


def line(
    origin: Literal["fetched", "uploaded"], subject: Role, binding: BindingCheck | None, lang: Any = "nl"
) -> str:
    entry = SourceEntry(
        id=f"src-{subject}-verzekeringsbericht",
        subject=subject,
        source="uwv",
        document_type="verzekeringsbericht",
        media_type="application/pdf",
        sha256="a" * 64,
        retrieved_at=datetime(2026, 11, 2, 10, 0, tzinfo=UTC),
        parser_version="1.0.0",
        origin=origin,
        binding=binding,
    )
    module = (
        _env()
        .get_template("backoffice/provenance.html")
        .make_module({"t": lambda key, **params: translate(lang, key, **params)})
    )
    return str(module.__dict__["provenance"](entry))  # the macro the template exports


@pytest.mark.parametrize(
    ("origin", "subject", "binding", "says"),
    [
        (
            "fetched",
            "applicant",
            "digid_fetch",
            'data-testid="how-src-applicant-verzekeringsbericht">opgehaald bij de bron met DigiD van de '
            "aanvrager</span>",
        ),
        (
            "fetched",
            "partner",
            "bsn",
            "opgehaald bij de bron met DigiD van de partner — gecontroleerd op BSN",
        ),
        ("uploaded", "partner", "bsn", "zelf geüpload door de partner — gecontroleerd op BSN"),
        (
            "uploaded",
            "applicant",
            "name_and_birth_date",
            "zelf geüpload door de aanvrager — gecontroleerd op naam en geboortedatum",
        ),
        ("uploaded", "applicant", None, "zelf geüpload door de aanvrager — niet gecontroleerd op wie het is"),
    ],
)
def test_the_dossier_says_how_a_record_was_obtained_and_checked(
    origin: Literal["fetched", "uploaded"], subject: Role, binding: BindingCheck | None, says: str
) -> None:
    assert says in line(origin, subject, binding)


def test_the_english_dossier_says_it_too() -> None:
    assert "uploaded by the partner — checked by name and date of birth" in line(
        "uploaded", "partner", "name_and_birth_date", "en"
    )
