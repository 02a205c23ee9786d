"""The hardened XML reader every XML parser uses: one behaviour for every source (docs/design.md §3.8).

Refused with a located ``DocumentInvalid``, before libxml2 builds a tree where the raw bytes can tell:
more than MAX_DOCUMENT_BYTES, an empty file, any DOCTYPE or ENTITY declaration (so no entity expansion,
no XXE, no DTD fetched), more than MAX_XML_ELEMENTS elements or MAX_XML_ATTRIBUTES attributes, UTF-16
without a byte order mark (XML 1.0 §4.3.3 requires one). The parser then loads no DTD, resolves no entity
and never touches the network; a syntax error is located by line and column (lxml's message can quote the
document, so it is dropped), nesting deeper than MAX_XML_DEPTH by the element path. Encodings: UTF-8 (with
or without a byte order mark) or whatever the XML declaration names, UTF-16 with its byte order mark;
bytes that do not match the declared encoding are a syntax error. Comments and processing instructions are
dropped.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import NoReturn

from lxml import etree

from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_XML_ATTRIBUTES,
    MAX_XML_DEPTH,
    MAX_XML_ELEMENTS,
    xml_attributes_at_most,
    xml_elements_at_most,
)

Fail = Callable[[str, str], NoReturn]
"""(location, expected) → raises the parser's located ``DocumentInvalid``."""

NO_DOCTYPE = "no DOCTYPE or ENTITY declarations (DTDs are refused)"
_DTD_MARKERS = tuple(
    marker.encode(encoding)
    for marker in ("<!DOCTYPE", "<!ENTITY")
    for encoding in ("ascii", "utf-16-le", "utf-16-be")
)
_UTF16_WITHOUT_BOM = (b"<\x00", b"\x00<")
# The elements one level deeper than allowed, in document order (the root is level 1).
_TOO_DEEP = etree.XPath("/*" + "/*" * MAX_XML_DEPTH)


def local_name(element: etree._Element) -> str:
    """``{namespace}name`` or ``name`` → ``name`` (lxml has already resolved any prefix)."""
    return str(element.tag).rpartition("}")[2]


def _parser() -> etree.XMLParser:
    return etree.XMLParser(
        resolve_entities=False,
        no_network=True,
        load_dtd=False,
        dtd_validation=False,
        huge_tree=False,
        remove_comments=True,
        remove_pis=True,
    )


def read_xml(data: bytes, fail: Fail) -> etree._Element:
    """Parse ``data`` within the bounds above into its root element; every refusal goes through ``fail``."""
    if len(data) > MAX_DOCUMENT_BYTES:
        fail("document", f"at most {MAX_DOCUMENT_BYTES} bytes")
    if not data.strip():
        fail("document", "an XML document, got an empty file")
    if data.startswith(_UTF16_WITHOUT_BOM):
        # libxml2 would guess UTF-16 here, but XML 1.0 (§4.3.3) requires the byte order mark for UTF-16.
        fail("byte 0", "UTF-8, or UTF-16 that starts with a byte order mark")
    # Cheap first line of defence, before libxml2 sees a DTD; the docinfo check below is the backstop.
    if any(marker in data for marker in _DTD_MARKERS):
        fail("document", NO_DOCTYPE)
    if xml_elements_at_most(data) > 2 * MAX_XML_ELEMENTS:  # a start and an end tag each
        fail("document", f"at most {MAX_XML_ELEMENTS} elements")
    if xml_attributes_at_most(data) > MAX_XML_ATTRIBUTES:
        fail("document", f"at most {MAX_XML_ATTRIBUTES} attributes")
    try:
        root = etree.fromstring(data, parser=_parser())
    except etree.XMLSyntaxError as exc:
        line, column = exc.position if exc.position else (0, 0)
        fail(f"line {line}, column {column}", "well-formed XML")
    except (etree.LxmlError, ValueError, RecursionError, MemoryError):
        fail("document", "well-formed XML")
    docinfo = root.getroottree().docinfo
    if docinfo.doctype or docinfo.internalDTD is not None or docinfo.externalDTD is not None:
        fail("document", NO_DOCTYPE)
    _check_shape(root, fail)
    return root


def _check_shape(root: etree._Element, fail: Fail) -> None:
    """Refuse deep nesting and entity references anywhere, before any value is read; both walks run in C."""
    too_deep = _TOO_DEEP(root)
    if isinstance(too_deep, list) and too_deep:
        fail(_path_of(too_deep[0]), f"XML nested at most {MAX_XML_DEPTH} levels deep")
    if next(root.iter(etree.Entity), None) is not None:
        fail("document", "no entity references")


def _path_of(element: etree._Element) -> str:
    names: list[str] = []
    node: etree._Element | None = element
    while node is not None:
        names.append(local_name(node))
        node = node.getparent()
    return "/" + "/".join(reversed(names))
