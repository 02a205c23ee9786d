"""Typed accessors over a MijnOverheid JSON document, loaded by ``reading.json``: every failure is located.

Every failure is a DocumentInvalid with a JSON path; messages name the path and the rule, never a value.
"""

from __future__ import annotations

from datetime import date
from decimal import Decimal
from typing import Any, NoReturn, TypeVar

from pydantic import BaseModel, ValidationError

from databrug.records import DocumentType, SourceName
from databrug.sources.errors import DocumentInvalid
from databrug.sources.parsing import MAX_JSON_DEPTH
from databrug.sources.reading.json import read_json

__all__ = ["MAX_ARRAY_ITEMS", "MAX_JSON_DEPTH", "JsonDocument"]

MAX_ARRAY_ITEMS = 1000

ModelT = TypeVar("ModelT", bound=BaseModel)


class JsonDocument:
    """Typed accessors over a parsed JSON document that fail with the path of the offending member."""

    def __init__(self, source: SourceName, document_type: DocumentType, filename: str | None) -> None:
        self.source: SourceName = source
        self.document_type: DocumentType = document_type
        self.filename = filename

    def invalid(self, path: str, expected: str) -> DocumentInvalid:
        return DocumentInvalid(self.source, self.document_type, path, expected, self.filename)

    def fail(self, location: str, expected: str) -> NoReturn:
        raise self.invalid(location, expected)

    def load(self, data: bytes) -> Any:
        return read_json(data, self.fail)

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
