"""Element reading with located errors, for the Belastingdienst VIA download (loaded by ``reading.xml``).

Every problem becomes ``DocumentInvalid`` whose location is an element path such as
``/via/belastingjaar[2]/bankrekeningen/bankrekening[1]/saldo``: local names only (namespace prefixes
do not matter), a 1-based index on elements that may repeat. Messages never contain the element's text.
"""

from __future__ import annotations

import re
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from typing import NoReturn, TypeVar

from lxml import etree

from databrug.records import DocumentType, SourceName
from databrug.sources.errors import DocumentInvalid
from databrug.sources.reading.xml import local_name, read_xml

# Far more than any real download holds, small enough that a hostile file cannot make us build huge lists.
MAX_REPEATS = 1000
MAX_TEXT = 200  # characters of one value (a name, an IBAN, a number)

_T = TypeVar("_T")

_AMOUNT = re.compile(r"^-?\d{1,13}(\.\d{1,2})?$")
_YEAR = re.compile(r"^\d{4}$")
_DATE = re.compile(r"^\d{4}-\d{2}-\d{2}$")


@dataclass(frozen=True)
class Problems:
    """Raises located ``DocumentInvalid`` errors for one source and document type."""

    source: SourceName
    document_type: DocumentType
    filename: str | None

    def fail(self, location: str, expected: str) -> NoReturn:
        raise DocumentInvalid(self.source, self.document_type, location, expected, self.filename)


def load_tree(data: bytes, problems: Problems, root_name: str) -> Node:
    """Read ``data`` with the hardened XML reader and check its root element's name."""
    root = read_xml(data, problems.fail)
    if local_name(root) != root_name:
        problems.fail("/", f"root element <{root_name}>")
    return Node(root, f"/{root_name}", problems)


class Node:
    """One element and its path; reads children and typed leaf values, failing with the path."""

    __slots__ = ("_by_name", "element", "path", "problems")

    def __init__(self, element: etree._Element, path: str, problems: Problems) -> None:
        self.element = element
        self.path = path
        self.problems = problems
        self._by_name: dict[str, list[etree._Element]] | None = None

    def fail(self, expected: str, child: str | None = None) -> NoReturn:
        self.problems.fail(f"{self.path}/{child}" if child else self.path, expected)

    def _children(self, name: str) -> list[etree._Element]:
        if self._by_name is None:
            self._by_name = {}
            for child in self.element:
                tag = child.tag
                if isinstance(tag, str):  # skips comments, PIs and entity nodes
                    self._by_name.setdefault(tag.rpartition("}")[2], []).append(child)
        return self._by_name.get(name, [])

    def optional(self, name: str) -> Node | None:
        found = self._children(name)
        if len(found) > 1:
            self.fail("at most one element", name)
        return Node(found[0], f"{self.path}/{name}", self.problems) if found else None

    def required(self, name: str) -> Node:
        node = self.optional(name)
        if node is None:
            self.fail("a required element", name)
        return node

    def repeated(self, name: str) -> Iterator[Node]:
        found = self._children(name)
        if len(found) > MAX_REPEATS:
            self.fail(f"at most {MAX_REPEATS} elements", name)
        for index, element in enumerate(found, start=1):
            yield Node(element, f"{self.path}/{name}[{index}]", self.problems)

    def text(self) -> str:
        if len(self.element) and any(isinstance(child.tag, str) for child in self.element):
            self.fail("text only, no child elements")
        value = (self.element.text or "").strip()
        if not value:
            self.fail("a value, got an empty element")
        if len(value) > MAX_TEXT:
            self.fail(f"a value of at most {MAX_TEXT} characters")
        return value

    def amount(self) -> Decimal:
        """Euros: whole euros as the VIA states them, or with at most two decimals."""
        return self._match(_AMOUNT, "an amount in euros such as 1234 or -1234.56", Decimal)

    def year(self) -> int:
        value = self._match(_YEAR, "a year such as 2025", int)
        if not 2000 <= value <= 2100:
            self.fail("a year between 2000 and 2100")
        return value

    def day(self) -> date:
        text = self._match(_DATE, "a date yyyy-mm-dd", str)
        try:
            return date.fromisoformat(text)
        except ValueError:
            self.fail("an existing calendar date yyyy-mm-dd")

    def _match(self, pattern: re.Pattern[str], expected: str, convert: Callable[[str], _T]) -> _T:
        value = self.text()
        if not pattern.match(value):
            self.fail(expected)
        return convert(value)

    def optional_text(self, name: str) -> str | None:
        node = self.optional(name)
        return node.text() if node else None

    def optional_amount(self, name: str) -> Decimal | None:
        node = self.optional(name)
        return node.amount() if node else None
