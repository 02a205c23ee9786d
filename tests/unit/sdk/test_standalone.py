from __future__ import annotations

import subprocess
import sys
from pathlib import Path

from databrug.sdk.sse import SseDecoder, SseMessage

FRAMEWORKS = ("fastapi", "starlette", "jinja2", "uvicorn")


def test_sdk_imports_only_the_package_model_of_databrug() -> None:
    prefixes = ("databrug", *FRAMEWORKS)
    loaded = f"sorted(m for m in sys.modules if m.startswith({prefixes!r}))"
    code = f"import sys, databrug.sdk\nprint(chr(10).join({loaded}))"
    out = subprocess.run(
        [sys.executable, "-c", code], capture_output=True, text=True, check=True
    ).stdout.split()
    foreign = [m for m in out if m != "databrug" and not m.startswith(("databrug.sdk", "databrug.records"))]
    assert foreign == []


def test_sdk_source_names_no_other_databrug_module() -> None:
    sdk = Path(__file__).resolve().parents[3] / "src" / "databrug" / "sdk"
    for module in sdk.glob("*.py"):
        for line in module.read_text().splitlines():
            if line.startswith(("from databrug", "import databrug")):
                assert line.startswith(("from databrug.sdk", "from databrug.records")), (module.name, line)


def test_sse_decoder_follows_the_event_stream_rules() -> None:
    decoder = SseDecoder()
    lines = [": comment", "id: 7", "event: source.completed", 'data: {"a":', "data: 1}", "", "data: x", ""]
    messages = [m for m in (decoder.feed(line) for line in lines) if m is not None]
    assert messages == [
        SseMessage(event="source.completed", data='{"a":\n1}', id="7"),
        SseMessage(event="message", data="x", id="7"),  # the last event id carries over
    ]
    assert decoder.last_event_id == "7"
    assert decoder.feed("id: 8") is None
    assert decoder.feed("") is None  # no data: nothing dispatched, but the id is remembered
    assert decoder.last_event_id == "8"
