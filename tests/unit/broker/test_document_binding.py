"""Collecting binds every document to the person who logged in before anything of it is kept (issue 14): a
refused upload leaves no records, no index, no partner; fetched and uploaded documents record the check that
bound them; a provider can refuse uploads of a source; MijnOverheid being down fails no other fetch."""

from __future__ import annotations

from tests.unit.broker.fakes import KEYS, World, logged_in, registration, request

from databrug.records import Person, Role
from databrug.sessions.model import SourceStatus
from databrug.sources.errors import SourceUnavailable
from databrug_sandbox.documents import belastingdienst, uwv
from databrug_sandbox.personas.catalogue import CATALOGUE

OTHER = CATALOGUE["couple-both-employed"].applicant  # names a fiscal partner in its tax file


async def test_another_persons_upload_leaves_nothing_behind(world: World) -> None:
    phone = await logged_in(world)
    bsn = world.collector.household.applicant.bsn
    for source, data in [
        ("belastingdienst", belastingdienst.render_belastinggegevens(OTHER)),
        ("uwv", uwv.render_verzekeringsbericht(OTHER)),
    ]:
        app = await request(world, phone)
        code = await world.broker.upload(app, phone.key, "applicant", source, data, bsn, "digid-token")  # type: ignore[arg-type]
        assert code == "document_of_another_person", source
        app = await request(world, phone)
        progress = app.record.subjects["applicant"].sources[source]  # type: ignore[index]
        assert (progress.status, progress.error_code) == (SourceStatus.FAILED, code)
        assert await world.broker.vault.load(app, phone.key, "applicant", source) is None  # type: ignore[arg-type]
        assert await world.broker.vault.index(app, phone.key, "applicant", source) is None  # type: ignore[arg-type]
    assert await world.broker.expected_partner(await request(world, phone), phone.key) is None


async def test_each_document_records_the_check_that_bound_it(world: World) -> None:
    phone = await logged_in(world)
    citizen = world.collector.household.applicant
    app = await request(world, phone)
    await world.broker.collect(app, phone.key, "applicant", "belastingdienst", "digid-token", citizen.bsn)
    own = uwv.render_verzekeringsbericht(citizen)
    app = await request(world, phone)
    assert (
        await world.broker.upload(app, phone.key, "applicant", "uwv", own, citizen.bsn, "digid-token") is None
    )
    app = await request(world, phone)
    _, entries, _ = await world.broker.subject_data(app, phone.key, "applicant")
    how = {e.document_type: (e.origin, e.binding) for e in entries}
    assert how == {
        "belastinggegevens": ("fetched", "bsn"),
        "verzekeringsbericht": ("uploaded", "name_and_birth_date"),
    }


async def test_a_provider_can_refuse_uploads_of_a_source(world: World) -> None:
    world.broker.registry.put(registration(KEYS.public_jwks).model_copy(update={"uploads_refused": ["uwv"]}))
    phone = await logged_in(world)
    citizen = world.collector.household.applicant
    own = uwv.render_verzekeringsbericht(citizen)
    app = await request(world, phone)
    code = await world.broker.upload(app, phone.key, "applicant", "uwv", own, citizen.bsn, "digid-token")
    assert code == "upload_not_accepted"
    assert await world.broker.vault.load(await request(world, phone), phone.key, "applicant", "uwv") is None
    # fetching it with DigiD is still fine
    app = await request(world, phone)
    record = await world.broker.collect(app, phone.key, "applicant", "uwv", "digid-token", citizen.bsn)
    assert record.subjects["applicant"].sources["uwv"].status is SourceStatus.DONE


async def test_without_the_brp_record_a_fetch_is_bound_by_digid_and_an_upload_is_refused(
    world: World,
) -> None:
    async def unavailable(role: Role, token: str, bsn: str) -> Person | None:
        raise SourceUnavailable("mijnoverheid", "down")

    world.collector.fetch_person = unavailable  # type: ignore[method-assign]
    phone = await logged_in(world)
    citizen = world.collector.household.applicant
    app = await request(world, phone)
    record = await world.broker.collect(app, phone.key, "applicant", "uwv", "digid-token", citizen.bsn)
    assert record.subjects["applicant"].sources["uwv"].status is SourceStatus.DONE
    _, entries, _ = await world.broker.subject_data(await request(world, phone), phone.key, "applicant")
    assert [(e.origin, e.binding) for e in entries] == [("fetched", "digid_fetch")]

    own = uwv.render_verzekeringsbericht(citizen)
    app = await request(world, phone)
    code = await world.broker.upload(app, phone.key, "applicant", "uwv", own, citizen.bsn, "digid-token")
    assert code == "document_identity_unchecked"


async def test_a_fetched_document_of_another_person_fails_that_source_alone(world: World) -> None:
    phone = await logged_in(world)
    citizen = world.collector.household.applicant
    world.collector.citizens[citizen.bsn] = OTHER  # the portal answers with someone else's tax file
    app = await request(world, phone)
    record = await world.broker.collect(
        app, phone.key, "applicant", "belastingdienst", "digid-token", citizen.bsn
    )
    progress = record.subjects["applicant"].sources["belastingdienst"]
    assert (progress.status, progress.error_code) == (SourceStatus.FAILED, "document_of_another_person")
    app = await request(world, phone)
    assert await world.broker.vault.load(app, phone.key, "applicant", "belastingdienst") is None
    assert await world.broker.expected_partner(app, phone.key) is None

    world.collector.citizens[citizen.bsn] = citizen  # a retry of that source alone gets the person's own
    app = await request(world, phone)
    record = await world.broker.collect(
        app, phone.key, "applicant", "belastingdienst", "digid-token", citizen.bsn
    )
    assert record.subjects["applicant"].sources["belastingdienst"].status is SourceStatus.DONE
