"""Every code the broker can raise is in the error catalogue with Dutch and English words, and one handler for
``CodedError`` gives each its catalogue answer (never a bare 500).

The codes are found by reading the source, not by a list kept here: the ``code = "…"`` of every class under
``CodedError``, the literal codes passed to a class that takes its code per instance
(``BrokerError("…", …)``), and the literal codes ``web/`` answers with itself
(``error_response(request, "…")``).
"""

from __future__ import annotations

import ast
import logging
from dataclasses import dataclass, field
from pathlib import Path

import httpx
import pytest
from fastapi import FastAPI

import databrug
from databrug.bootstrap import build_broker
from databrug.config import Settings
from databrug.consent.records import ConsentError
from databrug.delivery.errors import ConsentMissing, NoEncryptionKey, PackageTooLarge, ReceiptInvalid
from databrug.errors import CodedError
from databrug.registrations.store import UnknownProvider
from databrug.sessions.errors import RateLimited
from databrug.web import app as web_app
from databrug.web.errors import CATALOGUE
from databrug.web.i18n import LANGUAGES, Language, catalogue

SRC = Path(databrug.__file__).parent
# The SDK and the demo provider stand apart from the broker and keep their own error roots.
APART = ("sdk", "provider_demo", "provider")
ROOT = "CodedError"


@dataclass
class _ErrorClass:
    name: str
    where: str
    bases: list[str]
    code: str | None
    code_parameter: int | None  # the position of the __init__ parameter that becomes ``self.code``
    subclassed: bool = False


@dataclass
class _Source:
    classes: dict[str, list[_ErrorClass]] = field(default_factory=dict)
    calls: list[tuple[str, ast.Call, str]] = field(default_factory=list)  # (called name, call, where)


def _name(node: ast.expr) -> str | None:
    if isinstance(node, ast.Name):
        return node.id
    if isinstance(node, ast.Attribute):
        return node.attr
    return None


def _code_parameter(init: ast.FunctionDef) -> int | None:
    params = [a.arg for a in init.args.args[1:]]
    for node in ast.walk(init):
        if isinstance(node, ast.Assign) and isinstance(node.value, ast.Name) and node.value.id in params:
            for target in node.targets:
                if isinstance(target, ast.Attribute) and target.attr == "code":
                    return params.index(node.value.id)
    return None


def _class_of(node: ast.ClassDef, where: str) -> _ErrorClass:
    code: str | None = None
    parameter: int | None = None
    for item in node.body:
        targets = (
            item.targets
            if isinstance(item, ast.Assign)
            else [item.target]
            if isinstance(item, ast.AnnAssign)
            else []
        )
        value = item.value if isinstance(item, ast.Assign | ast.AnnAssign) else None
        if any(_name(t) == "code" for t in targets) and isinstance(value, ast.Constant):
            code = str(value.value)
        if isinstance(item, ast.FunctionDef) and item.name == "__init__":
            parameter = _code_parameter(item)
    bases = [name for name in map(_name, node.bases) if name]
    return _ErrorClass(node.name, where, bases, code, parameter)


def _read_source() -> _Source:
    found = _Source()
    for path in sorted(SRC.rglob("*.py")):
        relative = path.relative_to(SRC)
        if relative.parts[0] in APART:
            continue
        where = str(relative)
        tree = ast.parse(path.read_text(encoding="utf-8"), filename=where)
        for node in ast.walk(tree):
            if isinstance(node, ast.ClassDef):
                found.classes.setdefault(node.name, []).append(_class_of(node, where))
            elif isinstance(node, ast.Call) and (called := _name(node.func)):
                found.calls.append((called, node, f"{where}:{node.lineno}"))
    return found


SOURCE = _read_source()


def _coded_classes() -> list[_ErrorClass]:
    family = {ROOT}
    changed = True
    while changed:
        changed = False
        for name, defs in SOURCE.classes.items():
            if name not in family and any(set(d.bases) & family for d in defs):
                family.add(name)
                changed = True
    coded = [d for name in family - {ROOT} for d in SOURCE.classes[name]]
    for cls in coded:
        cls.subclassed = any(set(other.bases) & {cls.name} for other in coded)
    return coded


CODED = _coded_classes()


def _raised_codes() -> dict[str, str]:
    """Each code that can reach a handler, with one place that raises it."""
    constructed = {called for called, _, _ in SOURCE.calls}
    codes: dict[str, str] = {}
    for cls in CODED:
        # a base class that is never built itself only lends its code to subclasses that replace it
        if cls.code is not None and (cls.name in constructed or not cls.subclassed):
            codes.setdefault(cls.code, cls.where)
    per_instance = {cls.name: cls.code_parameter for cls in CODED if cls.code_parameter is not None}
    for called, call, where in SOURCE.calls:
        if called in per_instance:
            position = per_instance[called]
            argument = next((k.value for k in call.keywords if k.arg == "code"), None)
            if argument is None and position is not None and len(call.args) > position:
                argument = call.args[position]
            literal = argument.value if isinstance(argument, ast.Constant) else None
            assert isinstance(literal, str), (
                f"{where}: pass {called}'s code as a literal, so it can be checked"
            )
            codes.setdefault(literal, where)
        elif called == "error_response" and len(call.args) > 1:
            argument = call.args[1]
            if isinstance(argument, ast.Constant) and isinstance(argument.value, str):
                codes.setdefault(argument.value, where)
    return codes


RAISED = _raised_codes()


def _runtime_subclasses(root: type[CodedError]) -> set[type[CodedError]]:
    found: set[type[CodedError]] = set()
    for sub in root.__subclasses__():
        found |= {sub, *_runtime_subclasses(sub)}
    return found


def test_the_source_scan_finds_the_error_families_and_the_per_instance_codes() -> None:
    names = {cls.name for cls in CODED}
    roots = {"BrokerError", "SessionError", "IdentityError", "SourceError", "DeliveryError", "ConsentError"}
    assert roots | {"UnknownProvider"} <= names
    assert {"session_not_found", "digid_cancelled", "document_unknown", "no_encryption_key"} <= set(RAISED)
    assert {"unauthorised", "partner_mismatch", "consent_required"} <= set(RAISED)  # BrokerError("…", …)
    assert {"payload_too_large", "internal_error"} <= set(RAISED)  # error_response(request, "…")


def test_the_source_scan_misses_no_error_class_the_broker_defines() -> None:
    # this module imports the app, and with it every feature the broker serves
    loaded = {c.__name__ for c in _runtime_subclasses(CodedError) if c.__module__.startswith("databrug.")}
    assert loaded - {cls.name for cls in CODED} == set()


def test_every_code_that_can_be_raised_is_in_the_catalogue() -> None:
    missing = {code: where for code, where in RAISED.items() if code not in CATALOGUE}
    assert missing == {}


@pytest.mark.parametrize("lang", LANGUAGES)
def test_every_raised_and_catalogued_code_has_a_title_a_body_and_a_next_step(lang: Language) -> None:
    texts = catalogue(lang)
    codes = sorted(set(RAISED) | set(CATALOGUE))
    missing = [
        f"error.{code}.{part}"
        for code in codes
        for part in ("title", "body", "next")
        if f"error.{code}.{part}" not in texts
    ]
    assert missing == []


# -- one handler: each error reaching a route gets its catalogue answer


class _Uncatalogued(CodedError):
    code = "not_in_the_catalogue"


RAISING: dict[str, CodedError] = {
    "no_encryption_key": NoEncryptionKey("the provider's JWKS has no keys list"),
    "package_too_large": PackageTooLarge("package exceeds the limit"),
    "consent_missing": ConsentMissing("no consent for subject partner"),
    "receipt_invalid": ReceiptInvalid("not a deletion receipt"),
    "consent_invalid": ConsentError("no source entries for subject applicant"),
    "provider_unknown": UnknownProvider("no-such-provider"),
}


def _app(tmp_path: Path) -> FastAPI:
    settings = Settings(providers_file=tmp_path / "providers.json", broker_secret="unit-test-broker-secret")
    app = web_app.create_app(build_broker(settings), background=False)

    async def raises(code: str) -> None:
        if code == "rate_limited":
            raise RateLimited(7)
        if code == "uncatalogued":
            raise _Uncatalogued("a code nobody put in the catalogue")
        raise RAISING[code]

    app.add_api_route("/test/raises/{code}", raises)
    return app


def _client(app: FastAPI) -> httpx.AsyncClient:
    return httpx.AsyncClient(transport=httpx.ASGITransport(app=app), base_url="http://broker.test")


@pytest.mark.parametrize("code", sorted(RAISING))
async def test_an_error_reaching_a_route_gets_its_catalogue_answer_not_a_500(
    tmp_path: Path, caplog: pytest.LogCaptureFixture, code: str
) -> None:
    caplog.set_level(logging.DEBUG)
    async with _client(_app(tmp_path)) as http:
        answer = await http.get(f"/test/raises/{code}", headers={"Accept": "application/json"})
        page = await http.get(f"/test/raises/{code}", headers={"Accept-Language": "en"})
    status = CATALOGUE[code].status
    assert answer.status_code == status
    assert answer.json() == {"error": {"code": code, "message": catalogue("nl")[f"error.{code}.body"]}}
    assert page.status_code == status
    assert page.headers["content-type"].startswith("text/html")
    assert f'data-code="{code}"' in page.text
    assert catalogue("en")[f"error.{code}.title"] in page.text
    assert not [r for r in caplog.records if r.name == "databrug.web"], "answered, not logged as unhandled"


async def test_the_handler_passes_retry_after_and_answers_an_uncatalogued_code_as_internal(
    tmp_path: Path,
) -> None:
    async with _client(_app(tmp_path)) as http:
        limited = await http.get("/test/raises/rate_limited", headers={"Accept": "application/json"})
        unknown = await http.get("/test/raises/uncatalogued", headers={"Accept": "application/json"})
    assert limited.status_code == 429
    assert limited.json()["error"]["code"] == "rate_limited"
    assert limited.json()["error"]["retry_after"] == 7
    assert unknown.status_code == 500
    assert unknown.json()["error"]["code"] == "internal_error"


def test_unknown_provider_is_still_a_key_error_with_the_id_as_its_text() -> None:
    error = UnknownProvider("no-such-provider")
    assert isinstance(error, KeyError)
    assert str(error) == "'no-such-provider'"
    assert error.message == "this provider is not registered"
