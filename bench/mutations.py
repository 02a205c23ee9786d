"""Mutations for the parser fuzzer: byte-level, format-aware (JSON, XML, PDF) and hostile constructs.

Every mutation is ``(rng, data, donors) -> bytes`` and deterministic given ``rng``; ``donors`` are other seed
documents (for splicing). Results are capped at ``MAX_MUTANT_BYTES`` so one input stays cheap, except the one
mutation whose point is being too large.
"""

from __future__ import annotations

import copy
import json
import random
import re
from collections.abc import Callable, Sequence
from typing import Any

from lxml import etree

from databrug.sources.parsing import MAX_DOCUMENT_BYTES

Mutation = Callable[[random.Random, bytes, Sequence[bytes]], bytes]

MAX_MUTANT_BYTES = 2 * 1024 * 1024

INTERESTING_NUMBERS = (
    b"0",
    b"-0",
    b"-1",
    b"1.5",
    b"00000000",
    b"999999999",
    b"2147483648",
    b"18446744073709551616",
    b"9" * 400,
    b"1e308",
    b"1e999999",
    b"1e+3030830830830830830",  # beyond Decimal's exponent range: decimal.InvalidOperation
    b"-1e-999",
    b"NaN",
    b"Infinity",
    b"0x1F",
    b"1_000",
    b"1,5",
    b"\xd9\xa3",  # ARABIC-INDIC DIGIT THREE: a digit to str.isdigit, not to a date parser
    b"\xef\xbc\x91",  # FULLWIDTH DIGIT ONE
    b"",
)
INTERESTING_BYTES = (
    b"\x00",
    b"\xff\xfe",
    b"\xef\xbb\xbf",
    b"\xc3",
    b"\xed\xa0\x80",  # a UTF-8-encoded surrogate
    b"<",
    b">",
    b"&",
    b"]]>",
    b'"',
    b"{",
    b"}",
    b"[",
    b"\\u0000",
    b"\\ud800",
    b"%%EOF",
    b"endobj",
    b"stream\n",
    b"\r",
)
_NUMBER = re.compile(rb"-?\d+(?:[.,]\d+)?")


def _cap(data: bytes) -> bytes:
    return data[:MAX_MUTANT_BYTES]


def bit_flip(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    if not data:
        return bytes([rng.randrange(256)])
    mutant = bytearray(data)
    for _ in range(rng.randint(1, 8)):
        mutant[rng.randrange(len(mutant))] ^= 1 << rng.randrange(8)
    return bytes(mutant)


def insert_bytes(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    position = rng.randint(0, len(data))
    if rng.random() < 0.5:
        chunk = rng.choice(INTERESTING_BYTES) * rng.randint(1, 4)
    else:
        chunk = rng.randbytes(rng.randint(1, 16))
    return data[:position] + chunk + data[position:]


def delete_range(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    return data[:start] + data[start + rng.randint(1, 64) :]


def duplicate_chunk(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    if not data:
        return data
    start = rng.randrange(len(data))
    chunk = data[start : start + rng.randint(1, 512)]
    position = rng.randint(0, len(data))
    times = rng.choice((1, 2, 10, 1000))
    return _cap(data[:position] + chunk * times + data[position:])


def truncate(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    return data[: rng.randint(0, len(data))]


def splice(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    other = rng.choice(donors) if donors else data
    return _cap(data[: rng.randint(0, len(data))] + other[rng.randint(0, len(other)) :])


def replace_number(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    spans = [m.span() for m in _NUMBER.finditer(data[:200_000])]
    if not spans:
        return insert_bytes(rng, data, donors)
    start, end = rng.choice(spans)
    return data[:start] + rng.choice(INTERESTING_NUMBERS) + data[end:]


def random_garbage(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    prefix = rng.choice((b"", b"%PDF-1.7\n", b"<?xml version='1.0'?>", b"{", b"[", b"\xef\xbb\xbf{"))
    return prefix + rng.randbytes(rng.choice((0, 1, 16, 1024, 65536)))


def oversize(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Larger than any parser accepts: must be refused before it is read."""
    return data + b" " * (MAX_DOCUMENT_BYTES + 1 - len(data))


def encoding_swap(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    text = data.decode("utf-8", errors="replace")
    choice = rng.randrange(4)
    if choice == 0:
        codec = rng.choice(("utf-16", "utf-16-be", "utf-32", "utf-8-sig", "cp1252", "latin-1", "cp037"))
        return _cap(text.encode(codec, errors="replace"))
    if choice == 1:  # a declaration that lies about the bytes
        declared = rng.choice(("ISO-8859-1", "UTF-16", "UTF-32", "EBCDIC-US", "bogus", "Shift_JIS"))
        if text.startswith("<?xml"):
            return re.sub(rb"encoding=[\"'][^\"']*[\"']", f'encoding="{declared}"'.encode(), data, count=1)
        return f'<?xml version="1.0" encoding="{declared}"?>'.encode() + data
    if choice == 2:  # double encoding: UTF-8 read as Latin-1, written as UTF-8
        return _cap(data.decode("latin-1").encode("utf-8"))
    return data.decode("utf-8", errors="replace").encode("latin-1", errors="replace")


# --- XML ------------------------------------------------------------------------------------------------


def _billion_laughs() -> str:
    entities = ['<!ENTITY lol0 "lol">']
    entities += [f'<!ENTITY lol{i} "{f"&lol{i - 1};" * 10}">' for i in range(1, 10)]
    return "<!DOCTYPE {root} [" + "".join(entities) + "]>"


_BILLION_LAUGHS = _billion_laughs()
_DOCTYPES = (
    _BILLION_LAUGHS,
    '<!DOCTYPE {root} [<!ENTITY xxe SYSTEM "file:///etc/passwd">]>',
    '<!DOCTYPE {root} [<!ENTITY % remote SYSTEM "http://127.0.0.1:9/evil.dtd"> %remote;]>',
    '<!DOCTYPE {root} SYSTEM "http://127.0.0.1:9/evil.dtd">',
    '<!DOCTYPE {root} [<!ENTITY big "' + "A" * 50_000 + '">]>',  # quadratic blow-up when referenced
    "<!DOCTYPE {root}>",
)
_ENTITY_REFERENCES = ("&lol9;", "&xxe;", "&big;" * 200, "&undefined;", "&#0;", "&#x110000;", "&amp;")
_ROOT = re.compile(rb"<([A-Za-z_][\w.:-]*)")
_DECLARATION = re.compile(rb"^\s*(?:\xef\xbb\xbf)?<\?xml[^>]*\?>")


def xml_entities(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Inject a DOCTYPE (entity expansion, external entities, external DTD) and a reference to it."""
    declaration = _DECLARATION.match(data)
    head_end = declaration.end() if declaration else 0
    root = _ROOT.search(data, head_end)
    root_name = root.group(1).decode("ascii", errors="replace") if root else "root"
    doctype = rng.choice(_DOCTYPES).replace("{root}", root_name).encode()
    body = data[head_end:]
    closes = [m.end() for m in re.finditer(rb">", body[:100_000])]
    if closes and rng.random() < 0.8:
        position = rng.choice(closes[: max(1, len(closes) - 1)])
        body = body[:position] + rng.choice(_ENTITY_REFERENCES).encode() + body[position:]
    return _cap(data[:head_end] + doctype + body)


def deep_nesting(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    depth = rng.choice((65, 300, 5_000, 100_000))
    stripped = data.lstrip()
    if stripped[:1] in (b"{", b"["):  # JSON: a deep value in place of a random value, or around the whole
        if rng.random() < 0.5:
            return b"[" * depth + data + b"]" * depth
        colons = [m.end() for m in re.finditer(rb":", data[:100_000])]
        if colons:
            position = rng.choice(colons)
            return data[:position] + b"[" * depth + b"1" + b"]" * depth + b"," + data[position:]
        return b"[" * depth + b"]" * depth
    closes = [m.end() for m in re.finditer(rb">", data[:100_000])]
    position = rng.choice(closes) if closes else 0
    return _cap(data[:position] + b"<n>" * depth + b"</n>" * depth + data[position:])


def _xml_tree(data: bytes) -> Any:
    parser = etree.XMLParser(resolve_entities=False, no_network=True, load_dtd=False, huge_tree=False)
    return etree.fromstring(data, parser)


def xml_tree(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Change one element: drop, duplicate, rename, new text, stray attribute or child."""
    try:
        root = _xml_tree(data)
    except etree.XMLSyntaxError:
        return bit_flip(rng, data, donors)
    elements = [e for e in root.iter() if isinstance(e.tag, str)]
    element = rng.choice(elements)
    parent = element.getparent()
    action = rng.randrange(6)
    if action == 0 and parent is not None:
        parent.remove(element)
    elif action == 1 and parent is not None:
        for _ in range(rng.choice((1, 5, 500))):
            parent.append(copy.deepcopy(element))
    elif action == 2:
        element.tag = rng.choice(("x", "{urn:other}" + etree.QName(element).localname, element.tag.upper()))
    elif action == 3:
        element.text = rng.choice(
            ("", " ", "0", "-1", "abc", "2026-02-30", "9" * 40, "1e400", "\u202e", "x" * 100_000)
        )
    elif action == 4:
        element.set(rng.choice(("nil", "{http://www.w3.org/2001/XMLSchema-instance}nil", "id")), "true")
    else:
        etree.SubElement(element, rng.choice(("x", etree.QName(element).localname)))
    return _cap(etree.tostring(root, xml_declaration=rng.random() < 0.5, encoding="UTF-8"))


# --- JSON -----------------------------------------------------------------------------------------------

_JSON_REPLACEMENTS: tuple[Any, ...] = (
    None,
    "",
    0,
    -1,
    10**400,
    1e308,
    True,
    [],
    {},
    "x" * 100_000,
    "2026-02-30",
    "9999-99-99",
    "\u0000",
    "\ud800",
    [None] * 100,
    {"": None},
)


def _json_nodes(value: Any, path: tuple[Any, ...] = ()) -> list[tuple[tuple[Any, ...], Any]]:
    nodes = [(path, value)]
    if isinstance(value, dict):
        for key, child in value.items():
            nodes.extend(_json_nodes(child, (*path, key)))
    elif isinstance(value, list):
        for index, child in enumerate(value):
            nodes.extend(_json_nodes(child, (*path, index)))
    return nodes


def json_tree(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Change one value: replace it (other type, extreme, empty), drop or rename its key, repeat it."""
    try:
        document = json.loads(data)
    except (ValueError, RecursionError):
        return bit_flip(rng, data, donors)
    nodes = _json_nodes(document)
    path, value = rng.choice(nodes)
    if not path:
        return json.dumps(rng.choice(_JSON_REPLACEMENTS)).encode()
    parent = document
    for step in path[:-1]:
        parent = parent[step]
    key = path[-1]
    action = rng.randrange(4)
    if action == 0:
        parent[key] = rng.choice(_JSON_REPLACEMENTS)
    elif action == 1:
        if isinstance(parent, dict):
            del parent[key]
        else:
            parent.pop(key)
    elif action == 2 and isinstance(parent, dict):
        parent[rng.choice(("", "x", str(key).upper(), f"{key} "))] = parent.pop(key)
    elif isinstance(parent, list):
        parent.extend([value] * rng.choice((1, 10, 1000)))
    else:
        parent[key] = [value] * rng.choice((2, 100))
    text = json.dumps(document, ensure_ascii=rng.random() < 0.5)
    return _cap(text.encode("utf-8", errors="surrogatepass"))


# --- PDF ------------------------------------------------------------------------------------------------

_STARTXREF = re.compile(rb"startxref\s+(\d+)")
_COUNT = re.compile(rb"/Count\s+(\d+)")
_LENGTH = re.compile(rb"/Length\s+(\d+)")


def pdf_xref(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Damage the cross-reference table: cut it off (with or without a forged end), or point elsewhere."""
    position = data.rfind(b"xref")
    if position < 0:
        return truncate(rng, data, donors)
    action = rng.randrange(4)
    if action == 0:
        return data[: position + rng.randint(0, 40)] + b"\n%%EOF\n"
    if action == 1:
        return data[:position]
    match = _STARTXREF.search(data, position)
    if action == 2 and match:
        offset = str(rng.choice((0, 1, len(data), 10**12, rng.randrange(len(data))))).encode()
        return data[: match.start(1)] + offset + data[match.end(1) :]
    table_end = data.find(b"trailer", position)
    return data[:position] + data[table_end:] if table_end > 0 else data[:position]


def pdf_numbers(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Lie about the page count or a stream length."""
    pattern = _COUNT if rng.random() < 0.5 else _LENGTH
    spans = [m.span(1) for m in pattern.finditer(data)]
    if not spans:
        return replace_number(rng, data, donors)
    start, end = rng.choice(spans)
    value = rng.choice((b"0", b"-1", b"1", b"201", b"100000", b"2147483647", b"99999999999999999999"))
    return data[:start] + value + data[end:]


_OBJECT = re.compile(rb"\d+ \d+ obj\b")


def pdf_object_flood(rng: random.Random, data: bytes, donors: Sequence[bytes]) -> bytes:
    """Repeat one object many times, whole or cut short (a stream without its end): repair work for PDFium."""
    spans = [m.start() for m in _OBJECT.finditer(data)]
    if not spans:
        return duplicate_chunk(rng, data, donors)
    start = rng.choice(spans)
    end = data.find(b"endobj", start)
    whole = data[start : end + len(b"endobj\n")] if end > 0 else data[start : start + 200]
    piece = whole[: rng.randint(1, len(whole))] if rng.random() < 0.5 else whole
    times = rng.choice((10, 100, 1000, 5000))
    return _cap(data[:start] + piece * times + data[start:])


GENERIC: tuple[Mutation, ...] = (
    bit_flip,
    insert_bytes,
    delete_range,
    duplicate_chunk,
    truncate,
    splice,
    replace_number,
    encoding_swap,
)
BY_MEDIA: dict[str, tuple[Mutation, ...]] = {
    "json": (json_tree, json_tree, json_tree, deep_nesting),
    "xml": (xml_tree, xml_tree, xml_tree, xml_entities, xml_entities, deep_nesting),
    "pdf": (pdf_xref, pdf_xref, pdf_numbers, pdf_object_flood),
}
RARE: tuple[Mutation, ...] = (random_garbage,)
VERY_RARE: tuple[Mutation, ...] = (oversize,)


def pick(rng: random.Random, media: str) -> Mutation:
    draw = rng.random()
    if draw < 0.0005:
        return rng.choice(VERY_RARE)
    if draw < 0.02:
        return rng.choice(RARE)
    if draw < 0.5 and media in BY_MEDIA:
        return rng.choice(BY_MEDIA[media])
    return rng.choice(GENERIC)
