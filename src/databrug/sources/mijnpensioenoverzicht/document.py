"""Read the download's bytes, XML or JSON, into one neutral tree that the reader walks.

Both serialisations carry the same object model (Stichting Pensioenregister, "Specificatie xml-json
download"). The XML is turned into the shape the JSON has: an element with children becomes a dict keyed
by local name (namespace prefixes dropped), a repeated element becomes a list, a leaf becomes its text and
an empty or ``xsi:nil`` element becomes ``None``. A repeatable member that occurs once stays a single
value here; the reader accepts a single value wherever it expects a list.
"""

from __future__ import annotations

import json
from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NoReturn, TypeAlias

from lxml import etree

from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_JSON_NUMBER_CHARS,
    MAX_JSON_VALUES,
    MAX_XML_ATTRIBUTES,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    JsonNumberTooLong,
    json_decimal,
    json_integer,
    json_values_at_most,
    xml_attributes_at_most,
    xml_elements_at_most,
)

Tree: TypeAlias = "dict[str, Tree] | list[Tree] | str | int | Decimal | bool | None"
Format = Literal["xml", "json"]
PathStep = str | int

ROOT_ELEMENT = "Pensioenaanspraken"
XSI_NAMESPACE = "http://www.w3.org/2001/XMLSchema-instance"
_NIL = f"{{{XSI_NAMESPACE}}}nil"
_UTF8_BOM = b"\xef\xbb\xbf"
_TRUE = frozenset({"true", "1"})
_UTF16_BOMS = (b"\xff\xfe", b"\xfe\xff")
_SNIFF_WINDOW = 4096
_JSON_MARKERS = (b'"StatusCode"', b'"TijdstipAanmakenBericht"', b'"OuderdomsPensioenDetails"', b'"Totalen"')


@dataclass(frozen=True)
class Loaded:
    fmt: Format
    root_name: str  # the XML root's local name; "$" for JSON
    tree: Tree


def fail(location: str, expected: str) -> NoReturn:
    raise DocumentInvalid("mijnpensioenoverzicht", "pensioenoverzicht", location, expected)


def format_location(fmt: Format, root_name: str, path: tuple[PathStep, ...]) -> str:
    """An XML element path (1-based positions, as XPath) or a JSON path (0-based indexes)."""
    if fmt == "json":
        text = "$"
        for step in path:
            text += f"[{step}]" if isinstance(step, int) else f".{step}"
        return text
    text = f"/{root_name}"
    for step in path:
        text += f"[{step + 1}]" if isinstance(step, int) else f"/{step}"
    return text


def _head(data: bytes) -> bytes:
    """The start of the document as UTF-8-ish bytes: XML may legally come as UTF-16 with a byte order mark."""
    head = data[:_SNIFF_WINDOW]
    if head.startswith(_UTF16_BOMS):
        return head.decode("utf-16", errors="ignore").encode("utf-8")
    return head.removeprefix(_UTF8_BOM)


def detect_format(data: bytes) -> Format | None:
    head = _head(data).lstrip()
    if head.startswith(b"<"):
        return "xml"
    if head.startswith(b"{"):
        return "json"
    return None


def sniff(data: bytes) -> bool:
    head = _head(data)
    fmt = detect_format(head)
    if fmt == "xml":
        return ROOT_ELEMENT.encode() in head
    if fmt == "json" and not data.startswith(_UTF16_BOMS):
        return any(marker in head for marker in _JSON_MARKERS)
    return False


def load(data: bytes) -> Loaded:
    if len(data) > MAX_DOCUMENT_BYTES:
        fail("document", f"at most {MAX_DOCUMENT_BYTES} bytes")
    fmt = detect_format(data)
    if fmt == "xml":
        return _load_xml(data)
    if fmt == "json" and not data.startswith(_UTF16_BOMS):
        return Loaded("json", "$", _load_json(data))
    fail("byte 0", "an XML or JSON Mijnpensioenoverzicht download (UTF-8)")


# --- JSON ---------------------------------------------------------------------------------------------


def _reject_constant(_: str) -> NoReturn:
    raise ValueError("NaN and Infinity are not JSON numbers")


def _object_without_duplicates(pairs: list[tuple[str, Tree]]) -> dict[str, Tree]:
    result: dict[str, Tree] = {}
    for key, value in pairs:
        if key in result:
            raise ValueError("duplicate member")
        result[key] = value
    return result


def _load_json(data: bytes) -> Tree:
    if json_values_at_most(data) > MAX_JSON_VALUES:
        fail("document", f"at most {MAX_JSON_VALUES} JSON values (members and items)")
    try:
        text = data.removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"byte {exc.start}", "JSON encoded as UTF-8")
    try:
        tree: Tree = json.loads(
            text,
            parse_float=json_decimal,
            parse_int=json_integer,
            parse_constant=_reject_constant,
            object_pairs_hook=_object_without_duplicates,
        )
    except json.JSONDecodeError as exc:
        fail(f"line {exc.lineno} column {exc.colno}", "well-formed JSON")
    except JsonNumberTooLong:
        fail("document", f"JSON numbers of at most {MAX_JSON_NUMBER_CHARS} characters")
    except RecursionError:
        fail("document", f"JSON nested at most {MAX_XML_DEPTH} levels deep")
    except (ValueError, ArithmeticError):  # ArithmeticError: decimal.InvalidOperation, exponent out of range
        fail("document", "JSON without duplicate members, NaN or Infinity, with numbers in range")
    _check_json_depth(tree)
    if not isinstance(tree, dict):
        fail("$", "a JSON object at the top level")
    return tree


def _check_json_depth(tree: Tree) -> None:
    stack: list[tuple[Tree, int]] = [(tree, 1)]
    while stack:
        node, depth = stack.pop()
        if depth > MAX_XML_DEPTH:
            fail("document", f"JSON nested at most {MAX_XML_DEPTH} levels deep")
        if isinstance(node, dict):
            stack.extend((child, depth + 1) for child in node.values())
        elif isinstance(node, list):
            stack.extend((child, depth + 1) for child in node)


# --- XML ----------------------------------------------------------------------------------------------


def _xml_parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        huge_tree=False,
        dtd_validation=False,
        remove_comments=True,
        remove_pis=True,
    )


def _load_xml(data: bytes) -> Loaded:
    if data.startswith(b"<\x00"):
        # libxml2 would guess UTF-16 here, but XML 1.0 (§4.3.3) requires the byte order mark for UTF-16.
        fail("byte 0", "UTF-8, or UTF-16 that starts with a byte order mark")
    # A DTD is never part of the download; refusing it outright shuts out entity expansion and XXE.
    if b"<!DOCTYPE" in data or b"<!ENTITY" in data:
        fail("document type declaration", "no DOCTYPE or ENTITY declarations")
    if xml_elements_at_most(data) > 2 * MAX_XML_ELEMENTS:  # a start and an end tag each
        fail("document", f"at most {MAX_XML_ELEMENTS} elements")
    if xml_attributes_at_most(data) > MAX_XML_ATTRIBUTES:
        fail("document", f"at most {MAX_XML_ATTRIBUTES} attributes")
    try:
        root = etree.fromstring(data, _xml_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        fail(f"line {line} column {column}", "well-formed XML in a declared encoding (UTF-8 by default)")
    except (etree.LxmlError, ValueError):
        fail("document", "well-formed XML")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None:
        fail("document type declaration", "no DOCTYPE or ENTITY declarations")
    root_name = etree.QName(root).localname
    if root_name != ROOT_ELEMENT:
        fail(f"/{root_name}", f"root element {ROOT_ELEMENT}")
    return Loaded("xml", root_name, _element_tree(root, root_name, (), 1))


def _element_tree(element: etree._Element, root_name: str, path: tuple[PathStep, ...], depth: int) -> Tree:
    if depth > MAX_XML_DEPTH:
        fail(format_location("xml", root_name, path), f"XML nested at most {MAX_XML_DEPTH} levels deep")
    if element.get(_NIL) in _TRUE:
        return None
    members: dict[str, Tree] = {}
    repeated: dict[str, list[Tree]] = {}
    loose_text = False
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        if child.tail and not child.tail.isspace():
            loose_text = True
        name = tag.rpartition("}")[2]  # the local name: namespace prefixes do not matter
        if name not in members:
            members[name] = _element_tree(child, root_name, (*path, name), depth + 1)
            continue
        siblings = repeated.get(name)
        if siblings is None:
            siblings = repeated[name] = [members[name]]
            members[name] = siblings
        siblings.append(_element_tree(child, root_name, (*path, name, len(siblings)), depth + 1))
    text = element.text
    if not members:
        return text.strip() or None if text else None
    if loose_text or (text and not text.isspace()):
        fail(format_location("xml", root_name, path), "child elements without loose text between them")
    return members
