"""The hardened JSON reader every JSON parser uses: one behaviour for every source (docs/design.md §3.8).

Refused with a located ``DocumentInvalid`` (a JSON path, ``$`` for the whole document, or the byte or the
line and column of a syntax error): more than MAX_DOCUMENT_BYTES, more than MAX_JSON_VALUES values (counted
on the raw bytes before parsing), anything but UTF-8 (a UTF-8 byte order mark is accepted: editors and
Windows downloads write one), a key twice in one object, NaN/Infinity, numbers of more than
MAX_JSON_NUMBER_CHARS characters, nesting deeper than MAX_JSON_DEPTH. A fraction becomes a Decimal, never
a float. Messages name the place and the rule, never a value.
"""

from __future__ import annotations

import json
from collections.abc import Callable
from typing import Any, NoReturn

from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_JSON_DEPTH,
    MAX_JSON_NUMBER_CHARS,
    MAX_JSON_VALUES,
    JsonNumberTooLong,
    json_decimal,
    json_integer,
    json_values_at_most,
)

Fail = Callable[[str, str], NoReturn]
"""(location, expected) → raises the parser's located ``DocumentInvalid``."""

_UTF8_BOM = b"\xef\xbb\xbf"


class _DuplicateKey(ValueError):
    pass


def _refuse_constant(name: str) -> NoReturn:
    raise ValueError("NaN and Infinity are not JSON numbers")


def _unique_keys(pairs: list[tuple[str, Any]]) -> dict[str, Any]:
    result = dict(pairs)
    if len(result) != len(pairs):
        raise _DuplicateKey
    return result


def read_json(data: bytes, fail: Fail) -> Any:
    """Parse ``data`` within the bounds above; every refusal goes through ``fail``."""
    if not isinstance(data, bytes | bytearray):
        fail("$", "the document as bytes")
    if len(data) > MAX_DOCUMENT_BYTES:
        fail("$", f"at most {MAX_DOCUMENT_BYTES} bytes")
    if json_values_at_most(data) > MAX_JSON_VALUES:
        fail("$", f"at most {MAX_JSON_VALUES} JSON values (members and items)")
    try:
        text = bytes(data).removeprefix(_UTF8_BOM).decode("utf-8")
    except UnicodeDecodeError as exc:
        fail(f"byte {exc.start + (len(_UTF8_BOM) if data.startswith(_UTF8_BOM) else 0)}", "UTF-8 text")
    try:
        value = json.loads(
            text,
            parse_float=json_decimal,
            parse_int=json_integer,
            parse_constant=_refuse_constant,
            object_pairs_hook=_unique_keys,
        )
    except json.JSONDecodeError as exc:
        fail(f"line {exc.lineno}, column {exc.colno}", f"valid JSON ({exc.msg})")
    except JsonNumberTooLong:
        fail("$", f"JSON numbers of at most {MAX_JSON_NUMBER_CHARS} characters")
    except _DuplicateKey:
        fail("$", "each key at most once per object")
    except RecursionError:
        fail("$", f"JSON nested at most {MAX_JSON_DEPTH} levels deep")
    except (ValueError, ArithmeticError):
        # Integers beyond the interpreter's digit limit, NaN/Infinity; decimal.InvalidOperation (an
        # ArithmeticError) for an exponent beyond Decimal's range, e.g. 1e+3030830830830830830.
        fail("$", "JSON without NaN or Infinity, with numbers in range")
    if not _shallow(data):
        _check_depth(value, fail)
    return value


_AS_PARENTHESES = bytes.maketrans(b"[]{}", b"()()")
_NEITHER_BRACKET_NOR_QUOTE = bytes(byte for byte in range(256) if byte not in b'[]{}"')


def _shallow(data: bytes) -> bool:
    """A quick yes for most documents, on bytes ``json.loads`` has accepted: no container sits deep enough
    to hold a value past MAX_JSON_DEPTH. Without a backslash, every quote of valid JSON opens or closes a
    string, so the brackets between strings are the containers; each round of dropping the empty ones
    takes one level off the deepest. False means: no quick answer, walk the tree."""
    if b"\\" in data:
        return False
    outline = bytes(data).translate(_AS_PARENTHESES, _NEITHER_BRACKET_NOR_QUOTE)
    nesting = b"".join(outline.split(b'"')[::2])  # the brackets outside strings
    for _ in range(MAX_JSON_DEPTH - 1):
        if not nesting:
            return True
        nesting = nesting.replace(b"()", b"")
    return not nesting


def _check_depth(value: Any, fail: Fail) -> None:
    """Level by level over the containers only: a value sits too deep when a container at MAX_JSON_DEPTH
    has any member or item."""
    level = [value] if isinstance(value, dict | list) else []
    depth = 1
    while level:
        if depth >= MAX_JSON_DEPTH and any(level):
            fail(_too_deep(value), f"JSON nested at most {MAX_JSON_DEPTH} levels deep")
        children: list[Any] = []
        for node in level:
            members = node.values() if isinstance(node, dict) else node
            children += [child for child in members if isinstance(child, dict | list)]
        level = children
        depth += 1


def _too_deep(value: Any) -> str:
    """The path of the first value nested too deep; paths are only built once the document is refused."""
    stack: list[tuple[Any, int, str]] = [(value, 1, "$")]
    while stack:
        node, depth, path = stack.pop()
        if depth > MAX_JSON_DEPTH:
            return path
        if isinstance(node, dict):
            stack.extend((child, depth + 1, f"{path}.{key}") for key, child in node.items())
        elif isinstance(node, list):
            stack.extend((child, depth + 1, f"{path}[{i}]") for i, child in enumerate(node))
    return "$"
