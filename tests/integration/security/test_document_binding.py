"""Another person's documents cannot enter a session by upload (issue 14, point 1), through the real HTTP
route, the real parsers and the real binding check: logged in as ``single-renter-low-wage``, the UWV PDF, the
Mijnpensioenoverzicht XML and the Belastingdienst XML and toeslagen of ``couple-both-employed`` are refused
with their code and leave nothing behind (no source done, no partner asked for, nothing in the package); the
person's own uploads are accepted, and the package says how each document was obtained and bound.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator

import pytest
from tests.support.broker_server import BrokerServer
from tests.support.stepwise_citizen import PhoneCitizen, start_at_sources

from databrug.records import SourceName
from databrug.robot.journey import Persona
from databrug.sdk import verify_consents
from databrug_sandbox.documents.belastingdienst import render_belastinggegevens, render_toeslagen
from databrug_sandbox.documents.mpo import render_pensioenoverzicht
from databrug_sandbox.documents.uwv import render_verzekeringsbericht
from databrug_sandbox.personas.catalogue import CATALOGUE
from databrug_sandbox.personas.model import Citizen
from databrug_sandbox.server import SandboxServer

PERSONA = "single-renter-low-wage"
OTHER = CATALOGUE["couple-both-employed"].applicant  # has a fiscal partner and three pension schemes
OWN = CATALOGUE[PERSONA].applicant

DOCUMENTS: list[tuple[SourceName, str, Callable[[Citizen], bytes]]] = [
    ("uwv", "verzekeringsbericht.pdf", render_verzekeringsbericht),
    ("mijnpensioenoverzicht", "pensioenaanspraken.xml", lambda c: render_pensioenoverzicht(c, "xml")),
    ("belastingdienst", "belastinggegevens.xml", render_belastinggegevens),
    ("belastingdienst", "toeslagen.json", render_toeslagen),
]


@pytest.fixture(scope="module")
def broker(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("binding"), sandbox.base_url) as running:
        yield running


async def upload(citizen: PhoneCitizen, source: SourceName, filename: str, data: bytes) -> str:
    answer = await citizen.browser.http.post(
        f"{citizen.base}/app/sources/{source}/upload", files={"document": (filename, data)}
    )
    assert answer.status_code == 303, answer.text
    return answer.headers["location"]


async def test_another_persons_documents_are_refused_and_the_persons_own_accepted(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    citizen, provider, session_id = await start_at_sources(broker, personas[PERSONA], "binding")
    try:
        for source, filename, render in DOCUMENTS:
            refused = await upload(citizen, source, filename, render(OTHER))
            assert refused == f"/app/sources?upload_error=document_of_another_person&source={source}#{source}"
            page = await citizen.get(refused.split("#")[0])
            assert "upload-error" in page.texts
            line = citizen.sources()[source]
            assert (line.status, line.code) == ("failed", "document_of_another_person"), filename
            assert OTHER.bsn not in page.html

        # The person's own downloads are taken; the rest is fetched with DigiD
        for source, filename, render in DOCUMENTS[:2]:
            assert await upload(citizen, source, filename, render(OWN)) == f"/app/sources#{source}"
        await citizen.get("/app/sources")
        assert citizen.sources()["uwv"].status == "done"
        await citizen.fetch("mijnoverheid")
        await citizen.fetch("belastingdienst")
        assert {line.status for line in citizen.sources().values()} == {"done"}, citizen.sources()

        page = await citizen.press("/app/next")
        assert "/app/review" in page.url, (
            page.url
        )  # no partner asked for: the other's fiscal partner is not here
        page = await citizen.consent()
        assert "/app/done" in page.url, (page.url, page.status)
        package = await provider.fetch_package(session_id)
        verify_consents(package)
    finally:
        await citizen.close()
        await provider.aclose()

    [subject] = package.subjects
    assert subject.person is not None
    assert subject.person.bsn == OWN.bsn
    own = OWN.facts
    assert len(subject.pensions.schemes) == len(own.pensions.schemes)
    assert {r.payroll_tax_number for r in subject.incomes.relations} == {
        r.payroll_tax_number for r in own.incomes.relations
    }
    assert [t.fiscal_partner_bsn for t in subject.incomes.tax_years] == [None] * len(
        subject.incomes.tax_years
    )
    how = {entry.document_type: (entry.origin, entry.binding) for entry in package.sources}
    assert how["verzekeringsbericht"] == ("uploaded", "name_and_birth_date")
    assert how["pensioenoverzicht"] == ("uploaded", "name_and_birth_date")
    assert how["brp-persoon"] == ("fetched", "bsn")
    assert how["belastinggegevens"] == ("fetched", "bsn")
    assert how["toeslagen"] == ("fetched", "bsn")
    assert all(entry.binding is not None for entry in package.sources)


async def test_a_provider_that_refuses_uploads_of_a_source_gets_none(
    broker: BrokerServer, personas: dict[str, Persona]
) -> None:
    registry = broker.broker.registry
    provider_id = broker.endpoints().provider_id
    before = registry.get(provider_id)
    registry.put(before.model_copy(update={"uploads_refused": ["uwv"]}))
    citizen, provider, _ = await start_at_sources(broker, personas[PERSONA], "no-uploads")
    try:
        page = await citizen.get("/app/sources")
        assert citizen.current.form_to("/app/sources/uwv/upload") is None  # not offered
        assert page.form_to("/app/sources/belastingdienst/upload") is not None
        refused = await upload(citizen, "uwv", "verzekeringsbericht.pdf", render_verzekeringsbericht(OWN))
        assert refused == "/app/sources?upload_error=upload_not_accepted&source=uwv#uwv"
        await citizen.get("/app/sources")
        assert citizen.sources()["uwv"].code == "upload_not_accepted"
    finally:
        registry.put(before)
        await citizen.close()
        await provider.aclose()
