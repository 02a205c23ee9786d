"""Validate documents against the Haal Centraal BRP Personen v2.7 OpenAPI schemas (a copy in the sandbox).

jsonschema knows nothing of OpenAPI's ``discriminator``; without it every ``AbstractDatum`` or
``AbstractVerblijfplaats`` would pass with only its ``type``. The validator here adds the keyword: the
instance is also validated against the schema its ``type`` maps to. The validators are built once.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import cache
from importlib import resources
from typing import Any

import yaml
from jsonschema import Draft202012Validator, ValidationError, validators
from jsonschema.protocols import Validator

SCHEMAS = "#/components/schemas/"

_active: set[tuple[int, str]] = set()


def _discriminator(
    validator: Validator, discriminator: dict[str, Any], instance: Any, schema: dict[str, Any]
) -> Iterator[ValidationError]:
    if not isinstance(instance, dict):
        return
    name = discriminator["propertyName"]
    mapping: dict[str, str] = discriminator.get("mapping", {})
    value = instance.get(name)
    if value not in mapping:
        yield ValidationError(f"{name} must be one of {sorted(mapping)}")
        return
    target = mapping[value].removeprefix(SCHEMAS)
    key = (id(instance), target)
    if key in _active:  # the mapped schema includes the base schema (allOf), which names us again
        return
    _active.add(key)
    try:
        # jsonschema's Validator protocol omits descend, which every concrete validator has
        yield from validator.descend(instance, inlined_schemas()[target])  # type: ignore[attr-defined]
    finally:
        _active.discard(key)


@cache
def spec() -> dict[str, Any]:
    text = (resources.files("databrug_sandbox") / "specs" / "brp-personen-2.7.0.openapi.yaml").read_text(
        "utf-8"
    )
    loaded: dict[str, Any] = yaml.safe_load(text)
    return loaded


@cache
def inlined_schemas() -> dict[str, Any]:
    """The component schemas with every ``$ref`` replaced by its target (the BRP schemas are not recursive).

    Reference lookups dominate jsonschema's time on these small documents; inlining them once makes
    validating thousands of documents affordable.
    """
    components: dict[str, Any] = spec()["components"]["schemas"]
    done: dict[str, Any] = {}

    def inline(node: Any) -> Any:
        if isinstance(node, dict):
            ref = node.get("$ref")
            if isinstance(ref, str) and ref.startswith(SCHEMAS):
                name = ref.removeprefix(SCHEMAS)
                if name not in done:
                    done[name] = inline(components[name])
                # Siblings of $ref (e.g. a description) do not constrain anything here.
                return done[name]
            return {key: (value if key == "discriminator" else inline(value)) for key, value in node.items()}
        if isinstance(node, list):
            return [inline(item) for item in node]
        return node

    for name in components:
        if name not in done:
            done[name] = inline(components[name])
    return done


@cache
def validator_for(schema_name: str) -> Validator:
    cls: type[Validator] = validators.extend(  # type: ignore[no-untyped-call]  # jsonschema's extend is unannotated
        Draft202012Validator, {"discriminator": _discriminator}
    )
    return cls(inlined_schemas()[schema_name], format_checker=Draft202012Validator.FORMAT_CHECKER)


@cache
def known_property_names() -> frozenset[str]:
    names: set[str] = set()
    stack: list[Any] = [spec()["components"]["schemas"]]
    while stack:
        node = stack.pop()
        if isinstance(node, dict):
            if isinstance(node.get("properties"), dict):
                names.update(node["properties"])
            stack.extend(node.values())
        elif isinstance(node, list):
            stack.extend(node)
    return frozenset(names)


def unknown_keys(instance: Any, path: str = "$") -> list[str]:
    """Member names the spec defines nowhere: typos that the open schemas (no additionalProperties) let by."""
    found: list[str] = []
    if isinstance(instance, dict):
        for key, value in instance.items():
            if key not in known_property_names():
                found.append(f"{path}.{key}")
            found.extend(unknown_keys(value, f"{path}.{key}"))
    elif isinstance(instance, list):
        for i, value in enumerate(instance):
            found.extend(unknown_keys(value, f"{path}[{i}]"))
    return found


def problems(instance: Any, schema_name: str) -> list[str]:
    """Every schema violation and unknown member, as readable strings (empty when the instance is valid)."""
    errors = [
        f"{error.json_path}: {error.message}" for error in validator_for(schema_name).iter_errors(instance)
    ]
    return errors + [f"{where}: not in the spec" for where in unknown_keys(instance)]


def response_problems(document: dict[str, Any]) -> list[str]:
    """Check a MijnOverheid BRP document: the API response, and the parts of the MijnOverheid block."""
    api_part = {key: value for key, value in document.items() if key != "mijnOverheid"}
    # PersonenQueryResponse dispatches on ``type`` to RaadpleegMetBurgerservicenummerResponse (validating the
    # latter directly would run it twice: its allOf names the base, whose discriminator maps back to it).
    found = problems(api_part, "PersonenQueryResponse")
    if document.get("type") != "RaadpleegMetBurgerservicenummer":
        found.append("$.type: not RaadpleegMetBurgerservicenummer")
    block = document.get("mijnOverheid")
    if block is not None:
        for i, place in enumerate(block.get("woongeschiedenis", [])):
            place = dict(place)
            until = place.pop("datumTot", None)
            found += [
                f"$.mijnOverheid.woongeschiedenis[{i}]{p}" for p in problems(place, "AbstractVerblijfplaats")
            ]
            if until is not None:
                found += [
                    f"$.mijnOverheid.woongeschiedenis[{i}].datumTot{p}"
                    for p in problems(until, "AbstractDatum")
                ]
        for i, partner in enumerate(block.get("partnerhistorie", [])):
            found += [f"$.mijnOverheid.partnerhistorie[{i}]{p}" for p in problems(partner, "Partner")]
        found += [
            f"$.mijnOverheid.burgerlijkeStaat{p}"
            for p in problems(block.get("burgerlijkeStaat"), "Waardetabel")
        ]
    return found
