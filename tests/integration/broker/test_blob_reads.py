"""Each sealed source blob is decrypted and parsed at most once per request that needs it: over a whole
journey (one source at a time, with a partner), only the review page and the consent read the records; the
sources page and the partner check read the small indexes beside them."""

from __future__ import annotations

import asyncio
from collections import Counter

from tests.support.broker_server import BrokerServer

from databrug.robot.journey import Persona, run_journey


def test_a_journey_opens_each_blob_once_at_review_and_once_at_consent(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    opened = broker.broker.vault.opened = Counter()
    result = asyncio.run(run_journey(personas["couple-both-employed"], broker.endpoints(), "sequential"))
    assert result.ok, result.error
    mine = {blob: count for blob, count in opened.items() if blob[0] == result.session_id}
    assert {role for _, role, _ in mine} == {"applicant", "partner"}
    assert set(mine.values()) == {2}, mine  # the review page, then the consent
