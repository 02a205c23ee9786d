"""The 342 municipalities (CBS list, see data/gemeenten.SOURCE.md) and their Gemeentepolis settings."""

from __future__ import annotations

import csv
import io
import re
import unicodedata
from dataclasses import dataclass
from datetime import UTC, datetime
from decimal import Decimal
from functools import cache
from importlib import resources

from sqlalchemy.orm import Session

from databrug.provider_demo.municipality_settings import MunicipalitySettings
from databrug.provider_demo.storage.tables import MunicipalitySettingsRow

DEFAULT_CODE = "default"


@dataclass(frozen=True)
class Municipality:
    code: str
    name: str
    province: str


@cache
def municipalities() -> tuple[Municipality, ...]:
    text = resources.files("databrug.provider_demo").joinpath("data/gemeenten.csv").read_text("utf-8")
    return tuple(Municipality(r["code"], r["name"], r["province"]) for r in csv.DictReader(io.StringIO(text)))


@cache
def by_code() -> dict[str, Municipality]:
    return {m.code: m for m in municipalities()}


# The names people use where the official one differs (CBS lists the official names only).
ALIASES: dict[str, str] = {
    "den haag": "GM0518",
    "the hague": "GM0518",
    "den bosch": "GM0796",
    "nuenen": "GM0820",
}
MAX_SUGGESTIONS = 10
_NOT_LETTERS = re.compile(r"[^a-z0-9]")


def search_key(text: str) -> str:
    """A name as compared: case, diacritics, apostrophes, hyphens and spaces ignored ('s-Gravenhage,
    s Gravenhage and sgravenhage are one key; Súdwest-Fryslân matches sudwest fryslan)."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", text.casefold()) if not unicodedata.combining(c))
    return _NOT_LETTERS.sub("", bare)


@cache
def _keys() -> tuple[tuple[str, Municipality], ...]:
    found = by_code()
    names = [(search_key(m.name), m) for m in municipalities()]
    return (*names, *((search_key(alias), found[code]) for alias, code in ALIASES.items()))


def find_municipalities(text: str) -> list[Municipality]:
    """The municipalities ``text`` names: the one whose name, alias or code it is, else those whose name or
    alias begins with it, else those containing it (official order, each once)."""
    key = search_key(text)
    if not key:
        return []
    code = by_code().get(text.strip().upper())
    if code is not None:
        return [code]
    for matches in (
        [m for k, m in _keys() if k == key],
        [m for k, m in _keys() if k.startswith(key)],
        [m for k, m in _keys() if key in k],
    ):
        if matches:
            return list(dict.fromkeys(matches))
    return []


# Seeded examples from public municipality pages (see docs/provider.md); every other municipality uses the
# default row until an administrator changes it.
SEEDED: dict[str, MunicipalitySettings] = {
    DEFAULT_CODE: MunicipalitySettings(),  # 120% excl. VT, asset test with the bijstand limits
    "GM0047": MunicipalitySettings(percentage=Decimal(130), includes_holiday_allowance=False),  # Veendam
    "GM0637": MunicipalitySettings(percentage=Decimal(120), asset_test=False),  # Zoetermeer
    "GM0796": MunicipalitySettings(  # 's-Hertogenbosch: main residence not counted
        percentage=Decimal(130), includes_holiday_allowance=True, home_equity_rule="exempt"
    ),
    "GM0301": MunicipalitySettings(  # Zutphen: no asset test
        percentage=Decimal(130), includes_holiday_allowance=True, asset_test=False
    ),
}


def seed_settings(db: Session) -> None:
    now = datetime.now(UTC)
    for code, settings in SEEDED.items():
        if db.get(MunicipalitySettingsRow, code) is None:
            db.add(
                MunicipalitySettingsRow(
                    code=code, settings=settings.model_dump(mode="json"), updated_at=now, updated_by=None
                )
            )


def settings_for(db: Session, code: str) -> tuple[MunicipalitySettings, bool]:
    """The municipality's settings and whether they are its own (False: the default applies)."""
    row = db.get(MunicipalitySettingsRow, code)
    if row is not None:
        return MunicipalitySettings.model_validate(row.settings), True
    default = db.get(MunicipalitySettingsRow, DEFAULT_CODE)
    if default is None:
        return MunicipalitySettings(), False
    return MunicipalitySettings.model_validate(default.settings), False


def save_settings(db: Session, code: str, settings: MunicipalitySettings, username: str) -> None:
    row = db.get(MunicipalitySettingsRow, code)
    payload = settings.model_dump(mode="json")
    now = datetime.now(UTC)
    if row is None:
        db.add(MunicipalitySettingsRow(code=code, settings=payload, updated_at=now, updated_by=username))
    else:
        row.settings = payload
        row.updated_at = now
        row.updated_by = username
