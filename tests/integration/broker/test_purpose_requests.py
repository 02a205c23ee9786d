"""Purpose templates over HTTP: the published document at its well-known URL, and session creation refused
with a typed error when it asks more than the template allows (or under a purpose not registered)."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from typing import Any

import httpx
import pytest
from tests.support.broker_server import BrokerServer
from tests.support.provider_api import access_token

from databrug.sdk import DatabrugClient, DatabrugError
from databrug_sandbox.server import SandboxServer


@pytest.fixture(scope="module")
def server(sandbox: SandboxServer, tmp_path_factory: pytest.TempPathFactory) -> Iterator[BrokerServer]:
    with BrokerServer(tmp_path_factory.mktemp("purposes"), sandbox.base_url) as running:
        yield running


@pytest.fixture(scope="module")
def api(server: BrokerServer) -> Iterator[httpx.Client]:
    token = access_token(server.endpoints())
    headers = {"Authorization": f"Bearer {token}", "Accept": "application/json"}
    with httpx.Client(base_url=server.url, headers=headers, timeout=10) as client:
        yield client


def test_the_templates_are_published_at_the_well_known_url(server: BrokerServer) -> None:
    answer = httpx.get(f"{server.url}/.well-known/databrug-purposes.json", timeout=10)
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("application/json")
    assert answer.headers["cache-control"] == "public, max-age=3600"
    templates = {(t["id"], t["version"]): t for t in answer.json()["templates"]}
    assert set(templates) == {("gemeentepolis", "1"), ("schuldhulpverlening", "1")}
    polis = templates[("gemeentepolis", "1")]
    assert polis["originals_allowed"] is False
    assert polis["rule"]["id"] == "gemeentepolis-toets"
    assert polis["rule"]["parameters"]["percentage"] == {
        "type": "number",
        "minimum": "100",
        "maximum": "200",
        "nullable": False,
        "choices": None,
    }


def test_the_well_known_document_refuses_what_other_routes_refuse(server: BrokerServer) -> None:
    too_long = httpx.get(f"{server.url}/.well-known/databrug-purposes.json?q=" + "x" * 20_000, timeout=10)
    assert too_long.status_code == 414
    posted = httpx.post(f"{server.url}/.well-known/databrug-purposes.json", json={}, timeout=10)
    assert posted.status_code == 405


def _create(api: httpx.Client, **body: Any) -> httpx.Response:
    return api.post("/api/v1/sessions", json={"reference": "purpose-test", **body})


def test_a_session_within_the_template_is_created_and_keeps_its_request(
    api: httpx.Client, server: BrokerServer
) -> None:
    answer = _create(
        api,
        purpose="gemeentepolis",
        history={"wage_months": 6, "tax_years": 1},
        delivery="outcome",
        outcome={
            "parameters": {"percentage": 130, "includes_holiday_allowance": True},
            "declared_children": 2,
        },
    )
    assert answer.status_code == 201, answer.text
    session_id = answer.json()["id"]
    stored = _stored_request(server, session_id)
    assert stored["purpose"] == "gemeentepolis"
    assert stored["purpose_version"] == "1"
    assert (stored["wage_months"], stored["tax_years"]) == (6, 1)
    assert stored["delivery"] == "outcome"
    assert stored["declared_children"] == 2
    assert stored["outcome_parameters"]["percentage"] == "130"
    assert stored["outcome_parameters"]["includes_holiday_allowance"] is True
    assert stored["include_documents"] is False


def test_a_session_without_purpose_fields_gets_the_template_maxima(
    api: httpx.Client, server: BrokerServer
) -> None:
    answer = _create(api)
    assert answer.status_code == 201, answer.text
    stored = _stored_request(server, answer.json()["id"])
    assert (stored["purpose"], stored["wage_months"], stored["tax_years"]) == ("gemeentepolis", 12, 2)
    assert stored["delivery"] == "data"
    assert stored["outcome_parameters"] is None


def _stored_request(server: BrokerServer, session_id: str) -> dict[str, Any]:
    provider = server.endpoints().provider_id
    record = asyncio.run(server.broker.sessions.provider_session(session_id, provider))
    assert record.request is not None
    return record.request.model_dump(mode="json")


@pytest.mark.parametrize(
    ("body", "code", "fields"),
    [
        ({"history": {"wage_months": 13}}, "purpose_exceeded", ["history.wage_months"]),
        ({"history": {"tax_years": 3}}, "purpose_exceeded", ["history.tax_years"]),
        ({"history": {"wage_months": 24, "tax_years": 3}}, "purpose_exceeded",
         ["history.wage_months", "history.tax_years"]),
        ({"documents": True}, "purpose_exceeded", ["documents"]),
        ({"delivery": "outcome", "outcome": {"parameters": {"percentage": 250}, "declared_children": 0}},
         "purpose_exceeded", ["outcome.parameters.percentage"]),
        ({"delivery": "outcome", "outcome": {"parameters": {"home_equity_rule": "x"},
                                             "declared_children": 1}},
         "purpose_exceeded", ["outcome.parameters.home_equity_rule"]),
        ({"delivery": "outcome", "outcome": {"parameters": {"bsn": "123456782"}, "declared_children": 0}},
         "purpose_exceeded", ["outcome.parameters"]),
        ({"purpose": "schuldhulpverlening"}, "purpose_not_registered", None),
        ({"purpose": "bestaat-niet"}, "purpose_not_registered", None),
    ],
)  # fmt: skip
def test_asking_more_than_the_template_is_refused_with_a_typed_error(
    api: httpx.Client, body: dict[str, Any], code: str, fields: list[str] | None
) -> None:
    answer = _create(api, **body)
    assert answer.status_code == 403, answer.text
    error = answer.json()["error"]
    assert error["code"] == code
    assert error.get("fields") == fields
    assert "123456782" not in answer.text


@pytest.mark.parametrize(
    "body",
    [
        {"purpose": "Gemeentepolis<script>"},
        {"purpose": "g" * 500},
        {"history": {"wage_months": 10**9}},
        {"history": {"wage_months": -1}},
        {"history": {"tax_years": "2"}},
        {"history": {"wage_months": 6, "since": "2020-01-01"}},
        {"documents": "yes"},
        {"delivery": "everything"},
        {"delivery": "outcome"},  # no outcome
        {"outcome": {"parameters": {}, "declared_children": 0}},  # outcome without delivery=outcome
        {"delivery": "outcome", "outcome": {"parameters": {}, "declared_children": 31}},
        {"delivery": "outcome", "outcome": {"parameters": {"k" * 41: 1}, "declared_children": 0}},
        {
            "delivery": "outcome",
            "outcome": {"parameters": {f"p{n}": 1 for n in range(17)}, "declared_children": 0},
        },
        {"delivery": "outcome", "outcome": {"parameters": {"percentage": "9" * 41}, "declared_children": 0}},
        {"delivery": "outcome", "outcome": {"parameters": {"percentage": [130]}, "declared_children": 0}},
    ],
)
def test_hostile_purpose_fields_are_refused_before_anything_is_made(
    api: httpx.Client, body: dict[str, Any]
) -> None:
    answer = _create(api, **body)
    assert answer.status_code == 422, answer.text
    assert answer.json()["error"]["code"] == "validation_failed"
    assert "<script>" not in answer.text


def test_the_sdk_asks_within_the_template_and_gets_the_typed_refusal_beyond_it(server: BrokerServer) -> None:
    """``DatabrugClient.create_session`` sends the purpose, history, documents and delivery fields; over the
    template's history the broker's typed refusal reaches the caller with its fields."""
    found = server.endpoints()
    with DatabrugClient(found.broker_url, found.provider_id, found.client_secret) as client:
        created = client.create_session(
            reference="sdk-purpose", purpose="gemeentepolis", history={"wage_months": 3, "tax_years": 1}
        )
        record = asyncio.run(server.broker.sessions.provider_session(created.id, found.provider_id))
        assert record.request is not None
        assert (record.request.wage_months, record.request.tax_years) == (3, 1)
        assert record.request.include_documents is False
        with pytest.raises(DatabrugError) as refused:
            client.create_session(reference="sdk-over", history={"wage_months": 13})
        assert refused.value.code == "purpose_exceeded"
        with pytest.raises(DatabrugError) as originals:
            client.create_session(reference="sdk-originals", documents=True)
        assert originals.value.code == "purpose_exceeded"
