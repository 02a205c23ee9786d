"""Read the download's bytes, XML or JSON, into one neutral tree that the reader walks.

Both serialisations carry the same object model (Stichting Pensioenregister, "Specificatie xml-json
download"). The XML is turned into the shape the JSON has: an element with children becomes a dict keyed
by local name (namespace prefixes dropped), a repeated element becomes a list, a leaf becomes its text and
an empty or ``xsi:nil`` element becomes ``None``. A repeatable member that occurs once stays a single
value here; the reader accepts a single value wherever it expects a list.
"""

from __future__ import annotations

from dataclasses import dataclass
from decimal import Decimal
from typing import Literal, NoReturn, TypeAlias

from lxml import etree

from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_DOCUMENT_BYTES
from databrug.sources.reading.json import read_json
from databrug.sources.reading.xml import local_name, read_xml

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


def _load_json(data: bytes) -> Tree:
    tree: Tree = read_json(data, fail)
    if not isinstance(tree, dict):
        fail("$", "a JSON object at the top level")
    return tree


# --- XML ----------------------------------------------------------------------------------------------


def _load_xml(data: bytes) -> Loaded:
    root = read_xml(data, fail)
    root_name = local_name(root)
    if root_name != ROOT_ELEMENT:
        fail(f"/{root_name}", f"root element {ROOT_ELEMENT}")
    return Loaded("xml", root_name, _element_tree(root, root_name))


def _element_tree(element: etree._Element, root_name: str) -> Tree:
    # The reader has bounded the depth, so this recursion is bounded too. The path is built only to fail.
    if element.get(_NIL) in _TRUE:
        return None
    members: dict[str, Tree] = {}
    loose_text = False
    for child in element:
        tag = child.tag
        if not isinstance(tag, str):
            continue
        tail = child.tail
        if tail and not tail.isspace():
            loose_text = True
        name = tag.rpartition("}")[2]  # the local name: namespace prefixes do not matter
        value = _element_tree(child, root_name)
        if name not in members:
            members[name] = value
            continue
        siblings = members[name]  # an element's value is never a list: a list means it repeated before
        if isinstance(siblings, list):
            siblings.append(value)
        else:
            members[name] = [siblings, value]
    text = element.text
    if not members:
        return text.strip() or None if text else None
    if loose_text or (text and not text.isspace()):
        fail(
            format_location("xml", root_name, _path_of(element)),
            "child elements without loose text between them",
        )
    return members


def _path_of(element: etree._Element) -> tuple[PathStep, ...]:
    """The element's steps below the root: its local name, and its index among same-named siblings when it
    is not the first of them."""
    steps: list[PathStep] = []
    node = element
    while (parent := node.getparent()) is not None:
        name = local_name(node)
        earlier = sum(
            1
            for sibling in node.itersiblings(preceding=True)
            if isinstance(sibling.tag, str) and local_name(sibling) == name
        )
        if earlier:
            steps.append(earlier)
        steps.append(name)
        node = parent
    return tuple(reversed(steps))
