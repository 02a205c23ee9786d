"""Reading a hostile JSON document with located errors: every failure is a DocumentInvalid with a JSON path.

Bounded: size (MAX_DOCUMENT_BYTES), values (MAX_JSON_VALUES, counted before parsing), nesting depth
(MAX_JSON_DEPTH), strict UTF-8, no NaN/Infinity, numbers of at most MAX_JSON_NUMBER_CHARS characters, those
with a fraction as Decimal (never float).
Messages name the path and the rule, never a value.
"""

from __future__ import annotations

import json
from datetime import date
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from databrug.records import DocumentType, SourceName
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import (
    MAX_DOCUMENT_BYTES,
    MAX_JSON_NUMBER_CHARS,
    MAX_JSON_VALUES,
    JsonNumberTooLong,
    json_decimal,
    json_integer,
    json_values_at_most,
)

MAX_JSON_DEPTH = 32
MAX_ARRAY_ITEMS = 1000

ModelT = TypeVar("ModelT", bound=BaseModel)


def _no_constant(name: str) -> NoReturn:
    raise ValueError("NaN and Infinity are not JSON")


class JsonDocument:
    """Typed accessors over a parsed JSON document that fail with the path of the offending member."""

    def __init__(self, source: SourceName, document_type: DocumentType, filename: str | None) -> None:
        self.source: SourceName = source
        self.document_type: DocumentType = document_type
        self.filename = filename

    def invalid(self, path: str, expected: str) -> DocumentInvalid:
        return DocumentInvalid(self.source, self.document_type, path, expected, self.filename)

    def load(self, data: bytes) -> Any:
        if not isinstance(data, bytes | bytearray):
            raise self.invalid("$", "the document as bytes")
        if len(data) > MAX_DOCUMENT_BYTES:
            raise self.invalid("$", f"at most {MAX_DOCUMENT_BYTES} bytes")
        if json_values_at_most(data) > MAX_JSON_VALUES:
            raise self.invalid("$", f"at most {MAX_JSON_VALUES} JSON values (members and items)")
        try:
            text = bytes(data).decode("utf-8")
        except UnicodeDecodeError as exc:
            raise self.invalid(f"byte {exc.start}", "UTF-8 text") from None
        text = text.removeprefix("\ufeff")  # a byte order mark from an editor or a Windows download
        try:
            value = json.loads(
                text, parse_float=json_decimal, parse_int=json_integer, parse_constant=_no_constant
            )
        except json.JSONDecodeError as exc:
            raise self.invalid(f"line {exc.lineno} column {exc.colno}", f"valid JSON ({exc.msg})") from None
        except JsonNumberTooLong:
            raise self.invalid("$", f"JSON numbers of at most {MAX_JSON_NUMBER_CHARS} characters") from None
        except RecursionError:
            raise self.invalid("$", f"JSON nested at most {MAX_JSON_DEPTH} levels deep") from None
        except (ValueError, ArithmeticError):
            # Integers beyond the interpreter's digit limit, NaN/Infinity; decimal.InvalidOperation (an
            # ArithmeticError) for an exponent beyond Decimal's range, e.g. 1e+3030830830830830830.
            raise self.invalid("$", "JSON numbers of sensible size, no NaN or Infinity") from None
        self._check_depth(value)
        return value

    def _check_depth(self, value: Any) -> None:
        stack: list[tuple[Any, int]] = [(value, 1)]
        while stack:
            node, depth = stack.pop()
            if depth > MAX_JSON_DEPTH:
                raise self.invalid(_too_deep(value), f"JSON nested at most {MAX_JSON_DEPTH} levels deep")
            if isinstance(node, dict):
                stack.extend((child, depth + 1) for child in node.values())
            elif isinstance(node, list):
                stack.extend((child, depth + 1) for child in node)

    # -- structure ---------------------------------------------------------------------------------------

    def obj(self, value: Any, path: str) -> dict[str, Any]:
        if not isinstance(value, dict):
            raise self.invalid(path, "an object")
        return value

    def member_obj(self, parent: dict[str, Any], key: str, path: str) -> dict[str, Any] | None:
        value = parent.get(key)
        if value is None:
            return None
        return self.obj(value, f"{path}.{key}")

    def member_array(self, parent: dict[str, Any], key: str, path: str) -> list[Any]:
        value = parent.get(key)
        if value is None:
            return []
        if not isinstance(value, list):
            raise self.invalid(f"{path}.{key}", "an array")
        if len(value) > MAX_ARRAY_ITEMS:
            raise self.invalid(f"{path}.{key}", f"at most {MAX_ARRAY_ITEMS} items")
        return value

    # -- scalars -----------------------------------------------------------------------------------------

    def text(self, parent: dict[str, Any], key: str, path: str, *, max_length: int = 200) -> str | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, str):
            raise self.invalid(f"{path}.{key}", "text")
        if len(value) > max_length:
            raise self.invalid(f"{path}.{key}", f"text of at most {max_length} characters")
        return value

    def required_text(self, parent: dict[str, Any], key: str, path: str, *, max_length: int = 200) -> str:
        value = self.text(parent, key, path, max_length=max_length)
        if value is None or not value.strip():
            raise self.invalid(f"{path}.{key}", "a non-empty text")
        return value

    def integer(self, parent: dict[str, Any], key: str, path: str) -> int | None:
        value = parent.get(key)
        if value is None:
            return None
        if isinstance(value, Decimal) and value == value.to_integral_value() and abs(value) < 10**12:
            return int(value)
        if not isinstance(value, int) or isinstance(value, bool):
            raise self.invalid(f"{path}.{key}", "a whole number")
        return value

    def boolean(self, parent: dict[str, Any], key: str, path: str) -> bool | None:
        value = parent.get(key)
        if value is None:
            return None
        if not isinstance(value, bool):
            raise self.invalid(f"{path}.{key}", "true or false")
        return value

    def iso_date(self, parent: dict[str, Any], key: str, path: str) -> date | None:
        value = self.text(parent, key, path, max_length=10)
        if value is None:
            return None
        try:
            if len(value) != 10:
                raise ValueError
            return date.fromisoformat(value)
        except ValueError:
            raise self.invalid(f"{path}.{key}", "a date yyyy-mm-dd") from None

    # -- records -----------------------------------------------------------------------------------------

    def build(self, model: type[ModelT], path: str, /, **values: Any) -> ModelT:
        """Construct a record; a failing model rule becomes a located DocumentInvalid (no values echoed)."""
        try:
            return model(**values)
        except ValidationError as exc:
            error = exc.errors(include_input=False, include_url=False)[0]
            where = ".".join(str(part) for part in error["loc"])
            rule = error["type"]
            expected = f"a valid {model.__name__}" + (f" ({where}: {rule})" if where else f" ({rule})")
            raise self.invalid(path, expected) from None


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
