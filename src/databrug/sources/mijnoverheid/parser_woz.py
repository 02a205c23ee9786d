"""MijnOverheid WOZ document (Haal Centraal WOZ-bevragen HAL+JSON) -> ``Home``s with their value history.

Whether the citizen owns or rents a home follows from the belanghebbenden (docs/formats/woz.md): eigenaar and
gebruiker -> owner_occupant; eigenaar only (or with someone else as gebruiker) -> owner; gebruiker only ->
tenant. The citizen is ``ParseContext.subject_bsn`` (the DigiD token's subject); without it, the one natural
person who is belanghebbende of every object is taken to be the citizen, and a document where that is
ambiguous is refused. An object the citizen has no part in is refused too, never silently dropped.
"""

from __future__ import annotations

from decimal import Decimal
from typing import Any, Literal

from databrug.records import Address, Assets, Home, Subject, WozValue
from databrug.sources.mijnoverheid.json_document import JsonDocument
from databrug.sources.parsing import NO_HOLDER, DocumentHolder, ParseContext, ParsedDocument, make_entry

_ROLES = ("belanghebbendeEigenaar", "belanghebbendeGebruiker")
_OBJECTS = "$._embedded.wozobjecten"
_MAX_VALUE = 10**12  # euros; anything larger is not a WOZ value


class _WozReader(JsonDocument):
    def natural_person_bsn(self, obj: dict[str, Any], role: str, path: str) -> str | None:
        party = self.member_obj(obj, role, path)
        if party is None or party.get("type") != "natuurlijk_persoon":
            return None
        return self.text(party, "burgerservicenummer", f"{path}.{role}", max_length=9)

    def value(self, node: dict[str, Any], path: str) -> WozValue:
        peildatum = self.iso_date(node, "waardepeildatum", path)
        if peildatum is None:
            raise self.invalid(f"{path}.waardepeildatum", "the waardepeildatum")
        raw = node.get("vastgesteldeWaarde")
        if isinstance(raw, bool) or not isinstance(raw, int | Decimal):
            raise self.invalid(f"{path}.vastgesteldeWaarde", "the vastgestelde waarde in euros")
        if abs(Decimal(raw)) >= _MAX_VALUE:
            raise self.invalid(f"{path}.vastgesteldeWaarde", f"a value below {_MAX_VALUE} euros")
        return self.build(WozValue, path, reference_date=peildatum, value=raw)

    def address(self, obj: dict[str, Any], path: str) -> Address:
        node = self.member_obj(obj, "aanduiding", path)
        if node is None:
            raise self.invalid(f"{path}.aanduiding", "the address (aanduiding) of the WOZ object")
        where = f"{path}.aanduiding"
        location = self.text(node, "locatieomschrijving", where, max_length=200)
        return self.build(
            Address,
            where,
            street=self.text(node, "straat", where, max_length=200),
            house_number=self.integer(node, "huisnummer", where),
            house_letter=self.text(node, "huisletter", where, max_length=1),
            house_number_addition=self.text(node, "huisnummertoevoeging", where, max_length=4),
            postcode=self.text(node, "postcode", where, max_length=7),
            city=self.text(node, "woonplaats", where, max_length=200),
            lines=[location] if location else [],
        )


class WozParser:
    source: Literal["mijnoverheid"] = "mijnoverheid"
    document_type: Literal["woz-objecten"] = "woz-objecten"
    media_type = "application/hal+json"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        head = data[:4096]
        return head.lstrip()[:1] == b"{" and b'"wozobjecten"' in head

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        doc = _WozReader(self.source, self.document_type, context.filename)
        root = doc.obj(doc.load(data), "$")
        embedded = doc.member_obj(root, "_embedded", "$")
        if embedded is None or "wozobjecten" not in embedded:
            raise doc.invalid("$._embedded.wozobjecten", "the list of WOZ objects")
        items = doc.member_array(embedded, "wozobjecten", "$._embedded")
        objects = [doc.obj(item, f"{_OBJECTS}[{i}]") for i, item in enumerate(items)]
        entry = make_entry(
            data=data,
            context=context,
            source=self.source,
            document_type=self.document_type,
            media_type=self.media_type,
            parser_version=self.version,
        )
        citizen = self._citizen_bsn(doc, objects, context.subject_bsn)
        homes = [self._home(doc, obj, f"{_OBJECTS}[{i}]", citizen, entry.id) for i, obj in enumerate(objects)]
        subject = Subject(role=context.subject, assets=Assets(homes=homes))
        holder = DocumentHolder(bsns=frozenset({citizen})) if homes and citizen else NO_HOLDER
        return ParsedDocument(entry=entry, subject=subject, holder=holder)

    @staticmethod
    def _citizen_bsn(doc: _WozReader, objects: list[dict[str, Any]], known: str | None) -> str | None:
        if not objects:
            return known
        parties = [
            {bsn for role in _ROLES if (bsn := doc.natural_person_bsn(obj, role, f"{_OBJECTS}[{i}]"))}
            for i, obj in enumerate(objects)
        ]
        common = set.intersection(*parties)
        if known is not None:
            if any(known in found for found in parties):
                return known
            # Someone else's document: read as theirs, so that the binding check refuses it as such.
            return next(iter(common)) if len(common) == 1 else known
        if len(common) != 1:
            raise doc.invalid(_OBJECTS, "one citizen who is belanghebbende of every object (or a known BSN)")
        return next(iter(common))

    @staticmethod
    def _home(doc: _WozReader, obj: dict[str, Any], path: str, citizen: str | None, source_ref: str) -> Home:
        owner = doc.natural_person_bsn(obj, "belanghebbendeEigenaar", path) == citizen
        user = doc.natural_person_bsn(obj, "belanghebbendeGebruiker", path) == citizen
        relation: Literal["owner", "tenant", "owner_occupant"]
        if owner and user:
            relation = "owner_occupant"
        elif owner:
            relation = "owner"
        elif user:
            relation = "tenant"
        else:
            raise doc.invalid(path, "the citizen as belanghebbende eigenaar or gebruiker")
        identificatie = doc.text(obj, "identificatie", path, max_length=12)
        values = [
            doc.value(doc.obj(item, f"{path}.waarden[{i}]"), f"{path}.waarden[{i}]")
            for i, item in enumerate(doc.member_array(obj, "waarden", path))
        ]
        return doc.build(
            Home,
            path,
            source_ref=source_ref,
            woz_object_id=identificatie,
            address=doc.address(obj, path),
            relation=relation,
            woz_values=values,
        )


PARSER = WozParser()
