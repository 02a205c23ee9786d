"""Each sealed source blob is decrypted and parsed at most once per request that needs it: over a whole
journey (one source at a time, with a partner), only the review page and the consent read the records; the
sources page and the partner check read the small indexes beside them."""

from __future__ import annotations

import asyncio
import json
from collections import Counter
from pathlib import Path

import httpx
from tests.support.broker_server import BrokerServer

from databrug.robot.journey import Persona, run_journey
from databrug_sandbox.server import SandboxServer


def test_a_journey_opens_each_blob_once_at_review_and_once_at_consent(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    opened = broker.broker.vault.opened = Counter()
    result = asyncio.run(run_journey(personas["couple-both-employed"], broker.endpoints(), "sequential"))
    assert result.ok, result.error
    mine = {blob: count for blob, count in opened.items() if blob[0] == result.session_id}
    assert {role for _, role, _ in mine} == {"applicant", "partner"}
    assert set(mine.values()) == {2}, mine  # the review page, then the consent


def test_the_bench_counts_decrypt_passes_per_request_when_asked_and_only_then(
    broker: BrokerServer, sandbox: SandboxServer, tmp_path: Path, personas: dict[str, Persona]
) -> None:
    assert httpx.get(f"{broker.url}/bench/decrypts").status_code == 404  # off by default
    with BrokerServer(tmp_path, sandbox.base_url, bench_decrypt_counts=True) as counting:
        before = httpx.get(f"{counting.url}/bench/decrypts").json()
        result = asyncio.run(
            run_journey(personas["couple-both-employed"], counting.endpoints(), "sequential")
        )
        assert result.ok, result.error
        after = httpx.get(f"{counting.url}/bench/decrypts").json()
    assert before["passes"] == 0
    assert after["most_per_blob_per_request"] == 1
    # the review page and the consent each open the four records blobs (two persons, two sources each)
    assert after["passes_by_kind"]["records"] >= 2 * 4
    assert after["passes"] == sum(after["passes_by_kind"].values())
    assert result.session_id is not None
    assert result.session_id not in json.dumps(after)  # counts only
