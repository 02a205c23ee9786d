"""MijnOverheid vehicles document (RDW kentekenregister, docs/formats/vehicles.md) -> ``Vehicle``s."""

from __future__ import annotations

from typing import Literal

from databrug.records import Assets, Subject, Vehicle
from databrug.sources.mijnoverheid.json_document import JsonDocument
from databrug.sources.parsing import ParseContext, ParsedDocument, make_entry

SUPPORTED_VERSIONS = ("1.0",)


class VehiclesParser:
    source: Literal["mijnoverheid"] = "mijnoverheid"
    document_type: Literal["voertuigen"] = "voertuigen"
    media_type = "application/json"
    version = "1.0.0"

    @staticmethod
    def sniff(data: bytes) -> bool:
        head = data[:4096]
        return head.lstrip()[:1] == b"{" and b'"voertuigen"' in head and b'"RDW"' in head

    def parse(self, data: bytes, context: ParseContext) -> ParsedDocument:
        doc = JsonDocument(self.source, self.document_type, context.filename)
        root = doc.obj(doc.load(data), "$")
        if root.get("bron") != "RDW":
            raise doc.invalid("$.bron", "RDW")
        if root.get("formaatVersie") not in SUPPORTED_VERSIONS:
            raise doc.invalid("$.formaatVersie", f"one of {', '.join(SUPPORTED_VERSIONS)}")
        if not isinstance(root.get("voertuigen"), list):
            raise doc.invalid("$.voertuigen", "the list of vehicles")
        entry = make_entry(
            data=data,
            context=context,
            source=self.source,
            document_type=self.document_type,
            media_type=self.media_type,
            parser_version=self.version,
        )
        vehicles = []
        for i, item in enumerate(doc.member_array(root, "voertuigen", "$")):
            path = f"$.voertuigen[{i}]"
            node = doc.obj(item, path)
            registration = doc.required_text(node, "kenteken", path, max_length=8)
            vehicles.append(
                doc.build(
                    Vehicle,
                    path,
                    source_ref=entry.id,
                    registration=registration.upper(),
                    make=doc.required_text(node, "merk", path, max_length=60),
                    model=doc.text(node, "handelsbenaming", path, max_length=60),
                    registered_since=doc.iso_date(node, "datumTenaamstelling", path),
                    first_admission=doc.iso_date(node, "datumEersteToelating", path),
                )
            )
        subject = Subject(role=context.subject, assets=Assets(vehicles=vehicles))
        return ParsedDocument(entry=entry, subject=subject)


PARSER = VehiclesParser()
