"""A fetch-all reads the person's BRP record for the binding checks once, not once per source that needs
it; a source fetched on its own still reads it itself, and nothing of it is kept after the fetch-all."""

from __future__ import annotations

import asyncio

from tests.unit.broker.fakes import World, logged_in, request

from databrug.records import Person, Role, SourceName
from databrug.sessions.model import SourceStatus


def _counting_reads(world: World) -> list[Role]:
    reads: list[Role] = []
    original = world.collector.fetch_person

    async def fetch_person(role: Role, token: str, bsn: str) -> Person | None:
        reads.append(role)
        await asyncio.sleep(0)  # the other sources' binding checks arrive meanwhile
        return await original(role, token, bsn)

    world.collector.fetch_person = fetch_person  # type: ignore[method-assign]
    return reads


async def test_one_source_at_a_time_reads_the_record_per_source_that_needs_it(world: World) -> None:
    reads = _counting_reads(world)
    phone = await logged_in(world)
    bsn = world.collector.household.applicant.bsn
    sources: list[SourceName] = ["uwv", "belastingdienst", "mijnpensioenoverzicht"]
    for source in sources:
        app = await request(world, phone)
        await world.broker.collect(app, phone.key, "applicant", source, "digid-token", bsn)
    assert len(reads) >= 2, "the household must have two sources that need the record, or this tests nothing"


async def test_a_fetch_all_reads_the_record_once(world: World) -> None:
    reads = _counting_reads(world)
    phone = await logged_in(world)
    bsn = world.collector.household.applicant.bsn
    await world.broker.collect_all(await request(world, phone), phone.key, "applicant", "digid-token", bsn)
    assert reads == ["applicant"]
    record = (await request(world, phone)).record
    assert {s.status for s in record.subjects["applicant"].sources.values()} == {SourceStatus.DONE}
    assert world.broker._collecting._shared == {}  # the shared record is dropped with the fetch-all
