"""A FastAPI route served without FastAPI's per-request machinery, for the hottest provider-API routes.

The route is declared like any other (path, query and header parameters, JSON body model, response model,
error answers), so the OpenAPI document does not change; at request time the endpoint gets the request, those
parameters and the validated body, and returns the finished response. Dependency solving and response-model
validation were most of a status read's CPU (docs/performance.md); the endpoint does its own authorisation.
"""

from __future__ import annotations

import email.message
import inspect
import typing
from collections.abc import Callable, Coroutine
from typing import Any

from fastapi.dependencies.utils import request_params_to_args
from fastapi.exceptions import RequestValidationError
from fastapi.routing import APIRoute
from pydantic import BaseModel, ValidationError
from starlette.requests import Request
from starlette.responses import Response


def _body_model(endpoint: Callable[..., Any]) -> type[BaseModel] | None:
    hint = typing.get_type_hints(endpoint).get("body")
    return hint if inspect.isclass(hint) and issubclass(hint, BaseModel) else None


def _is_json(content_type: str | None) -> bool:
    if not content_type:
        return False
    message = email.message.Message()
    message["content-type"] = content_type
    subtype = message.get_content_subtype()
    json_subtype = subtype == "json" or subtype.endswith("+json")
    return message.get_content_maintype() == "application" and json_subtype


async def read_body(request: Request, model: type[BaseModel]) -> BaseModel:
    """The JSON body validated against ``model``; anything else fails as FastAPI's own validation would."""
    if not _is_json(request.headers.get("content-type")):
        raise RequestValidationError(
            [{"type": "model_attributes_type", "loc": ("body",), "msg": "Send a JSON object", "input": None}]
        )
    try:
        return model.model_validate_json(await request.body())
    except ValidationError as error:
        raise RequestValidationError(
            [
                {**item, "loc": ("body", *item["loc"])}
                for item in error.errors(include_url=False, include_context=False, include_input=False)
            ]
        ) from None


class PlainRoute(APIRoute):
    # Runs before the body is read, so an unauthorised caller learns nothing about the body's schema (as with
    # FastAPI's own order: dependencies fail before body validation is reported).
    guard: Callable[[Request], object] | None = None

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        endpoint = self.endpoint
        body_model = _body_model(endpoint)
        guard = type(self).guard
        query, headers = self.dependant.query_params, self.dependant.header_params

        async def handle(request: Request) -> Response:
            arguments: dict[str, Any] = dict(request.path_params)
            if guard is not None:
                guard(request)
            if query or headers:
                # FastAPI's own reading of declared query and header parameters (same checks, same errors)
                from_query, query_errors = request_params_to_args(query, request.query_params)
                from_headers, header_errors = request_params_to_args(headers, request.headers)
                if query_errors or header_errors:
                    raise RequestValidationError([*query_errors, *header_errors])
                arguments.update(from_query)
                arguments.update(from_headers)
            if body_model is not None:
                arguments["body"] = await read_body(request, body_model)
            response: Response = await endpoint(request, **arguments)
            return response

        return handle
