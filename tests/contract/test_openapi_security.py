"""What a provider's tools read from docs/api/openapi.json: the bearer token each operation needs, the event
stream's media type, and a document that a validator nobody here wrote accepts (openapi-spec-validator)."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

import pytest
from fastapi.routing import APIRoute
from openapi_spec_validator import validate
from openapi_spec_validator.readers import read_from_filename

from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.web import provider_api
from databrug.web.app import create_app
from databrug.web.provider_api import ProviderRoute

COMMITTED = Path(__file__).resolve().parents[2] / "docs" / "api" / "openapi.json"
PUBLIC = {("post", "/api/v1/token"), ("get", "/api/v1/schema/data-package.json")}
"""The operations a provider calls without an access token: getting one, and the package's JSON Schema."""

METHODS = {"get", "put", "post", "delete", "patch", "head", "options", "trace"}


@pytest.fixture(scope="module")
def document() -> dict[str, Any]:
    found: dict[str, Any] = json.loads(COMMITTED.read_text(encoding="utf-8"))
    return found


def operations(document: dict[str, Any]) -> dict[tuple[str, str], dict[str, Any]]:
    return {
        (method, path): operation
        for path, item in document["paths"].items()
        for method, operation in item.items()
        if method in METHODS
    }


def test_the_document_is_valid_openapi_3_1() -> None:
    spec, _ = read_from_filename(str(COMMITTED))
    validate(spec)  # raises OpenAPIValidationError on any fault
    assert spec["openapi"].startswith("3.1.")


def test_the_bearer_scheme_is_declared(document: dict[str, Any]) -> None:
    schemes = document["components"]["securitySchemes"]
    bearer = schemes["bearerAuth"]
    assert (bearer["type"], bearer["scheme"]) == ("http", "bearer")
    assert "/api/v1/token" in bearer["description"]
    basic = schemes["clientBasic"]
    assert (basic["type"], basic["scheme"]) == ("http", "basic")


def test_every_provider_operation_but_the_public_ones_needs_the_bearer_token(
    document: dict[str, Any],
) -> None:
    found = operations(document)
    provider_ops = {key for key in found if key[1].startswith("/api/v1/")}
    assert provider_ops >= PUBLIC
    assert (
        len(provider_ops - PUBLIC) >= 6
    )  # create, status, events, cancel, package, ack (and any added later)
    assert "security" not in document  # no global requirement: each operation says its own
    for key in sorted(provider_ops - PUBLIC):
        assert found[key].get("security") == [{"bearerAuth": []}], key
        assert "401" in found[key]["responses"], key
    for key in PUBLIC:
        assert not any("bearerAuth" in option for option in found[key].get("security", [])), key
    # the token endpoint: HTTP Basic or the form fields (the empty requirement), nothing else
    assert found[("post", "/api/v1/token")]["security"] == [{"clientBasic": []}, {}]


def test_every_api_route_of_the_app_is_in_the_document(document: dict[str, Any]) -> None:
    """Routes added outside FastAPI's included routers (``provider_api.add_hot_routes``) are documented too,
    with their security: the document is built from every route the app serves under /api/v1."""
    app = create_app(
        build_broker(Settings(providers_file=Path("/nonexistent/providers.json"))), background=False
    )
    hot = [route for route in app.routes if isinstance(route, APIRoute)]  # on the app's own router
    assert any(isinstance(route, ProviderRoute) for route in hot)
    served = {
        (method.lower(), route.path)
        for route in [*hot, *provider_api.router.routes]
        if isinstance(route, APIRoute) and route.include_in_schema and route.path.startswith("/api/v1/")
        for method in route.methods or ()
    }
    assert served == {key for key in operations(document) if key[1].startswith("/api/v1/")}


def test_the_events_operation_declares_the_event_stream(document: dict[str, Any]) -> None:
    answer = document["paths"]["/api/v1/sessions/{session_id}/events"]["get"]["responses"]["200"]
    content = answer["content"]
    stream = content["text/event-stream"]
    assert stream["schema"]["type"] == "string"
    assert "id: " in stream["example"]
    assert "event: " in stream["example"]
    assert "data: {" in stream["example"]
    polling = content["application/json"]["schema"]
    assert polling["type"] == "array"
    assert polling["items"] == {"$ref": "#/components/schemas/SessionEvent"}
    event = document["components"]["schemas"]["SessionEvent"]
    assert {"seq", "type", "state", "counts", "at"} <= set(event["required"])
    # the example's data line is one SessionEvent as the schema says
    data = next(line for line in stream["example"].splitlines() if line.startswith("data: "))
    assert set(json.loads(data.removeprefix("data: "))) <= set(event["properties"])
