"""MijnOverheid BRP document -> ``Person``.

Reads a Haal Centraal BRP Personen v2.7 ``RaadpleegMetBurgerservicenummer`` response. When MijnOverheid's own
``mijnOverheid`` member is present (docs/formats/brp.md) it adds the marital status, the earlier addresses and
every marriage/partnership; without it (a plain BRP API response) the person has only the current address,
the one partner the API returns, and a marital status derived from that partner.
"""

from __future__ import annotations

from typing import Any, Literal

from databrug.records import Address, FuzzyDate, PartnerLink, Person, PersonName, Relative, Subject
from databrug.records.identifiers import is_valid_bsn
from databrug.records.person import MaritalStatus
from databrug.sources.mijnoverheid.json_document import JsonDocument
from databrug.sources.parsing import DocumentHolder, ParseContext, ParsedDocument, make_entry

_GENDER: dict[str, Literal["man", "vrouw", "onbekend"]] = {"M": "man", "V": "vrouw", "O": "onbekend"}
_PARTNER_KIND: dict[str, Literal["huwelijk", "geregistreerd_partnerschap"]] = {
    "H": "huwelijk",
    "P": "geregistreerd_partnerschap",
}
_MARITAL_STATUS: dict[str, MaritalStatus] = {
    "ongehuwd": "ongehuwd",
    "gehuwd": "gehuwd",
    "geregistreerd partnerschap": "geregistreerd_partnerschap",
    "gescheiden": "gescheiden",
    "verweduwd": "verweduwd",
    "onbekend": "onbekend",
}
_SPECIAL_NATIONALITY = {
    "Staatloos": "staatloos",
    "NationaliteitOnbekend": "onbekend",
    "BehandeldAlsNederlander": "behandeld als Nederlander",
    "VastgesteldNietNederlander": "vastgesteld niet-Nederlander",
}


class _BrpReader(JsonDocument):
    def fuzzy_date(self, parent: dict[str, Any], key: str, path: str) -> FuzzyDate | None:
        node = self.member_obj(parent, key, path)
        if node is None:
            return None
        where = f"{path}.{key}"
        kind = node.get("type")
        if kind == "Datum":
            day = self.iso_date(node, "datum", where)
            if day is None:
                raise self.invalid(f"{where}.datum", "a date yyyy-mm-dd")
            return FuzzyDate(date=day)
        if kind in ("JaarMaandDatum", "JaarDatum"):
            year = self.integer(node, "jaar", where)
            month = self.integer(node, "maand", where) if kind == "JaarMaandDatum" else None
            if year is None or (kind == "JaarMaandDatum" and month is None):
                raise self.invalid(where, f"{kind} with jaar" + (" and maand" if month is None else ""))
            return self.build(FuzzyDate, where, year=year, month=month)
        if kind == "DatumOnbekend":
            return FuzzyDate()
        raise self.invalid(f"{where}.type", "Datum, JaarMaandDatum, JaarDatum or DatumOnbekend")

    def omschrijving(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        node = self.member_obj(parent, key, path)
        if node is None:
            return None
        return self.text(node, "omschrijving", f"{path}.{key}")

    def code(self, parent: dict[str, Any], key: str, path: str) -> str | None:
        node = self.member_obj(parent, key, path)
        if node is None:
            return None
        return self.text(node, "code", f"{path}.{key}", max_length=10)

    def bsn(self, parent: dict[str, Any], path: str, *, required: bool) -> str | None:
        value = self.text(parent, "burgerservicenummer", path, max_length=9)
        if value is None:
            if required:
                raise self.invalid(f"{path}.burgerservicenummer", "a burgerservicenummer")
            return None
        if not (len(value) == 9 and value.isdigit() and is_valid_bsn(value)):
            raise self.invalid(f"{path}.burgerservicenummer", "9 digits passing the 11-proef")
        return value

    def name(self, parent: dict[str, Any], path: str, *, required: bool) -> PersonName | None:
        node = self.member_obj(parent, "naam", path)
        where = f"{path}.naam"
        if node is None:
            if required:
                raise self.invalid(where, "the person's naam")
            return None
        surname = self.text(node, "geslachtsnaam", where)
        if surname is None or not surname.strip():
            if not required and not node:
                return None
            raise self.invalid(f"{where}.geslachtsnaam", "a geslachtsnaam")
        return self.build(
            PersonName,
            where,
            given_names=self.text(node, "voornamen", where),
            prefix=self.text(node, "voorvoegsel", where, max_length=20),
            surname=surname,
            initials=self.text(node, "voorletters", where, max_length=40),
            title=self.title(node, where),
        )

    def title(self, naam: dict[str, Any], path: str) -> str | None:
        node = self.member_obj(naam, "adellijkeTitelPredicaat", path)
        if node is None:
            return None
        where = f"{path}.adellijkeTitelPredicaat"
        value = self.text(node, "omschrijving", where, max_length=40) or self.text(node, "code", where)
        if value is None:
            raise self.invalid(where, "an omschrijving or code")
        return value

    def address(self, node: dict[str, Any], path: str, *, historic: bool) -> Address | None:
        kind = node.get("type")
        valid_from = self.fuzzy_date(node, "datumVan", path)
        valid_until = None
        if historic:
            until = self.fuzzy_date(node, "datumTot", path)
            if until is not None:
                if until.date is None:
                    raise self.invalid(f"{path}.datumTot", "a full date (type Datum)")
                valid_until = until.date
        adres = self.member_obj(node, "verblijfadres", path) or {}
        where = f"{path}.verblijfadres"
        if kind == "Adres":
            return self.build(
                Address,
                path,
                street=self.text(adres, "officieleStraatnaam", where, max_length=80)
                or self.text(adres, "korteStraatnaam", where, max_length=24),
                house_number=self.integer(adres, "huisnummer", where),
                house_letter=self.text(adres, "huisletter", where, max_length=1),
                house_number_addition=self.text(adres, "huisnummertoevoeging", where, max_length=4),
                postcode=self.text(adres, "postcode", where, max_length=7),
                city=self.text(adres, "woonplaats", where, max_length=80),
                valid_from=valid_from,
                valid_until=valid_until,
            )
        if kind == "VerblijfplaatsBuitenland":
            lines = [self.text(adres, f"regel{i}", where, max_length=50) for i in (1, 2, 3)]
            country = self.omschrijving(adres, "land", where)
            if country is None:
                raise self.invalid(f"{where}.land", "the country of a foreign address")
            return self.build(
                Address,
                path,
                country=country,
                lines=[line for line in lines if line],
                valid_from=valid_from,
                valid_until=valid_until,
            )
        if kind == "Locatie":
            description = self.required_text(adres, "locatiebeschrijving", where, max_length=35)
            return self.build(
                Address, path, lines=[description], valid_from=valid_from, valid_until=valid_until
            )
        if kind == "VerblijfplaatsOnbekend":
            return None
        raise self.invalid(
            f"{path}.type", "Adres, VerblijfplaatsBuitenland, Locatie or VerblijfplaatsOnbekend"
        )

    def relative_fields(self, node: dict[str, Any], path: str) -> dict[str, Any]:
        geboorte = self.member_obj(node, "geboorte", path) or {}
        return {
            "bsn": self.bsn(node, path, required=False),
            "name": self.name(node, path, required=False),
            "birth": self.fuzzy_date(geboorte, "datum", f"{path}.geboorte"),
        }

    def partner(self, node: dict[str, Any], path: str) -> PartnerLink:
        code = self.code(node, "soortVerbintenis", path)
        kind = _PARTNER_KIND.get(code or "")
        if kind is None:
            raise self.invalid(
                f"{path}.soortVerbintenis.code", "H (huwelijk) or P (geregistreerd partnerschap)"
            )
        aangaan = self.member_obj(node, "aangaanHuwelijkPartnerschap", path) or {}
        ontbinding = self.member_obj(node, "ontbindingHuwelijkPartnerschap", path)
        dissolved = None
        if ontbinding:
            # An ontbinding group without a date still means the marriage ended (date unknown).
            where = f"{path}.ontbindingHuwelijkPartnerschap"
            dissolved = self.fuzzy_date(ontbinding, "datum", where) or FuzzyDate()
        return self.build(
            PartnerLink,
            path,
            **self.relative_fields(node, path),
            kind=kind,
            since=self.fuzzy_date(aangaan, "datum", f"{path}.aangaanHuwelijkPartnerschap"),
            dissolved_on=dissolved,
        )

    def nationality(self, node: dict[str, Any], path: str) -> str:
        kind = node.get("type")
        if kind == "Nationaliteit":
            value = self.omschrijving(node, "nationaliteit", path)
            if value is None:
                raise self.invalid(f"{path}.nationaliteit.omschrijving", "the nationality")
            return value
        special = _SPECIAL_NATIONALITY.get(kind) if isinstance(kind, str) else None
        if special is None:
            raise self.invalid(f"{path}.type", "a BRP nationality type")
        return special


def _has_research_marker(value: Any) -> bool:
    stack = [value]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if node.get("inOnderzoek"):
                return True
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return False


def _derived_marital_status(partners: list[PartnerLink]) -> MaritalStatus:
    if not partners:
        return "ongehuwd"  # BRP always returns the last dissolved partner, so none means never married
    current = next((p for p in partners if p.dissolved_on is None), None)
    if current is None:
        return "onbekend"  # v2.7 does not say whether a marriage ended by divorce or by death
    return "gehuwd" if current.kind == "huwelijk" else "geregistreerd_partnerschap"


class BrpParser:
    source: Literal["mijnoverheid"] = "mijnoverheid"
    document_type: Literal["brp-persoon"] = "brp-persoon"
    media_type = "application/json"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        head = data[:4096]
        return (
            head.lstrip()[:1] == b"{" and b'"personen"' in head and b"RaadpleegMetBurgerservicenummer" in head
        )

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        doc = _BrpReader(self.source, self.document_type, context.filename)
        root = doc.obj(doc.load(data), "$")
        if root.get("type") != "RaadpleegMetBurgerservicenummer":
            raise doc.invalid("$.type", "RaadpleegMetBurgerservicenummer")
        personen = doc.member_array(root, "personen", "$")
        index = self._pick(doc, personen, context.subject_bsn)
        path = f"$.personen[{index}]"
        node = doc.obj(personen[index], path)
        entry = make_entry(
            data=data,
            context=context,
            source=self.source,
            document_type=self.document_type,
            media_type=self.media_type,
            parser_version=self.version,
        )
        person = self._person(doc, node, path, doc.member_obj(root, "mijnOverheid", "$"), entry.id)
        return ParsedDocument(
            entry=entry,
            subject=Subject(role=context.subject, person=person),
            holder=DocumentHolder(bsns=frozenset({person.bsn})),
        )

    @staticmethod
    def _pick(doc: _BrpReader, personen: list[Any], subject_bsn: str | None) -> int:
        if subject_bsn is not None:
            for i, item in enumerate(personen):
                if isinstance(item, dict) and item.get("burgerservicenummer") == subject_bsn:
                    return i
            if len(personen) != 1:
                raise doc.invalid("$.personen", "the citizen's own person")
            # One other person: read, so that the binding check refuses it as another person's document.
        if len(personen) != 1:
            raise doc.invalid("$.personen", "exactly one person")
        return 0

    def _person(
        self,
        doc: _BrpReader,
        node: dict[str, Any],
        path: str,
        extra: dict[str, Any] | None,
        source_ref: str,
    ) -> Person:
        bsn = doc.bsn(node, path, required=True)
        name = doc.name(node, path, required=True)
        geboorte = doc.member_obj(node, "geboorte", path) or {}
        addresses: list[Address] = []
        verblijfplaats = doc.member_obj(node, "verblijfplaats", path)
        if verblijfplaats is not None:
            current = doc.address(verblijfplaats, f"{path}.verblijfplaats", historic=False)
            if current is not None:
                addresses.append(current)
        partners = [
            doc.partner(doc.obj(item, f"{path}.partners[{i}]"), f"{path}.partners[{i}]")
            for i, item in enumerate(doc.member_array(node, "partners", path))
        ]
        marital_status = _derived_marital_status(partners)
        if extra is not None:
            addresses.extend(self._history(doc, extra))
            history = doc.member_array(extra, "partnerhistorie", "$.mijnOverheid")
            if history or not partners:
                where = "$.mijnOverheid.partnerhistorie"
                partners = [
                    doc.partner(doc.obj(item, f"{where}[{i}]"), f"{where}[{i}]")
                    for i, item in enumerate(history)
                ]
            status = doc.omschrijving(extra, "burgerlijkeStaat", "$.mijnOverheid")
            if status is not None:
                if status not in _MARITAL_STATUS:
                    raise doc.invalid(
                        "$.mijnOverheid.burgerlijkeStaat.omschrijving", "a known burgerlijke staat"
                    )
                marital_status = _MARITAL_STATUS[status]
        children = [
            doc.build(
                Relative,
                f"{path}.kinderen[{i}]",
                **doc.relative_fields(doc.obj(item, f"{path}.kinderen[{i}]"), f"{path}.kinderen[{i}]"),
            )
            for i, item in enumerate(doc.member_array(node, "kinderen", path))
        ]
        overlijden = doc.member_obj(node, "overlijden", path)
        deceased_on = None
        if overlijden is not None:
            deceased_on = doc.fuzzy_date(overlijden, "datum", f"{path}.overlijden") or FuzzyDate()
        geslacht = doc.code(node, "geslacht", path)
        gender = _GENDER.get(geslacht or "O")
        if gender is None:
            raise doc.invalid(f"{path}.geslacht.code", "M, V or O")
        nationalities = [
            doc.nationality(doc.obj(item, f"{path}.nationaliteiten[{i}]"), f"{path}.nationaliteiten[{i}]")
            for i, item in enumerate(doc.member_array(node, "nationaliteiten", path))
        ]
        secret = doc.boolean(node, "geheimhoudingPersoonsgegevens", path)
        return doc.build(
            Person,
            path,
            source_ref=source_ref,
            bsn=bsn,
            name=name,
            gender=gender,
            birth=doc.fuzzy_date(geboorte, "datum", f"{path}.geboorte"),
            birth_place=doc.omschrijving(geboorte, "plaats", f"{path}.geboorte"),
            birth_country=doc.omschrijving(geboorte, "land", f"{path}.geboorte"),
            nationalities=nationalities,
            addresses=addresses,
            marital_status=marital_status,
            partners=partners,
            children=children,
            deceased_on=deceased_on,
            secret=bool(secret),
            in_research=_has_research_marker(node),
        )

    @staticmethod
    def _history(doc: _BrpReader, extra: dict[str, Any]) -> list[Address]:
        where = "$.mijnOverheid.woongeschiedenis"
        result = []
        for i, item in enumerate(doc.member_array(extra, "woongeschiedenis", "$.mijnOverheid")):
            address = doc.address(doc.obj(item, f"{where}[{i}]"), f"{where}[{i}]", historic=True)
            if address is not None:
                result.append(address)
        return result


PARSER = BrpParser()
