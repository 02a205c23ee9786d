"""The sources page's status line: counts with plural forms, and a source done with nothing found is not
shown as a green success (issue 15)."""

from __future__ import annotations

import pytest

from databrug.web.context import templates
from databrug.web.i18n import translate


def status_line(status: str, records: int, uploaded: bool = False, lang: str = "nl") -> str:
    module = templates.env.get_template("phone/_source_status.html").make_module(
        {"t": lambda key, **params: translate(lang, key, **params)}  # type: ignore[arg-type]
    )
    return str(module.__dict__["source_status"]("uwv", status, records, uploaded))


def test_done_with_nothing_found_is_not_a_green_success() -> None:
    line = status_line("done", 0)
    assert 'class="status done empty"' in line
    assert "niets gevonden" in line


@pytest.mark.parametrize(("records", "says"), [(1, "1 onderdeel"), (3, "3 onderdelen")])
def test_done_with_records_is_a_success_with_its_count(records: int, says: str) -> None:
    line = status_line("done", records)
    assert 'class="status done"' in line
    assert says in line


def test_an_uploaded_source_says_so_and_a_failed_one_shows_no_count() -> None:
    assert "geüpload" in status_line("done", 2, uploaded=True)
    failed = status_line("failed", 0)
    assert 'class="status failed"' in failed
    assert "onderde" not in failed
    assert "niets" not in failed
