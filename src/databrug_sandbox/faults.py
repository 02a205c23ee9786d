"""Failure injection for the sandbox: make the IdP or a portal slow, flaky, down or broken on purpose.

One ``FaultSettings`` per target (``digid`` and the four portals). An ASGI middleware applies them to every
request under the target's path prefix; ``/admin/faults`` reads and changes them while the sandbox runs, and
a JSON/YAML file or the ``DATABRUG_SANDBOX_FAULTS`` environment variable sets them at start.

Order of effects for one request: latency → maintenance (503 + Retry-After) → random error (500) → the real
handler → malformed / truncated body → padding to an oversized answer → slow streaming (a trickle) of the
(possibly damaged) body.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Annotated, Any, Literal, get_args

import yaml
from fastapi import APIRouter, HTTPException
from pydantic import BaseModel, ConfigDict, Field, ValidationError, model_validator
from starlette.types import ASGIApp, Message, Receive, Scope, Send

FaultTarget = Literal["digid", "mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"]
FAULT_TARGETS: tuple[FaultTarget, ...] = get_args(FaultTarget)

FAULTS_ENV = "DATABRUG_SANDBOX_FAULTS"

# Latency beyond a minute would only hang tests and demos; nobody needs it to simulate a slow portal.
_MAX_LATENCY_MS = 60_000
_MAX_OVERSIZED_BYTES = 1024 * 1024 * 1024
_PADDING_PIECE = 64 * 1024


class FaultSettings(BaseModel):
    """What goes wrong for one target. The default (all off) is a healthy service."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    latency_ms: (
        Annotated[int, Field(ge=0, le=_MAX_LATENCY_MS)]
        | tuple[
            Annotated[int, Field(ge=0, le=_MAX_LATENCY_MS)], Annotated[int, Field(ge=0, le=_MAX_LATENCY_MS)]
        ]
        | None
    ) = Field(default=None, description="Added delay: a fixed number of ms, or [min, max] for a random one")
    error_rate: float = Field(default=0.0, ge=0.0, le=1.0, description="Share of requests answered with 500")
    maintenance: bool = Field(default=False, description="Answer every request with 503 + Retry-After")
    retry_after_seconds: int = Field(default=30, ge=0, le=86_400)
    malformed: bool = Field(default=False, description="Corrupt bytes in every successful body")
    truncated: bool = Field(default=False, description="Cut every successful body in half")
    slow_stream_bytes_per_second: int | None = Field(
        default=None, ge=1, le=100_000_000, description="Stream successful bodies at this rate (a trickle)"
    )
    oversized_bytes: int | None = Field(
        default=None,
        ge=1,
        le=_MAX_OVERSIZED_BYTES,
        description=(
            "Pad successful bodies with spaces to this many bytes, sent in pieces without a Content-Length "
            "(only a client that caps what it reads while it streams stops it)"
        ),
    )

    @model_validator(mode="after")
    def _range_ordered(self) -> FaultSettings:
        if isinstance(self.latency_ms, tuple) and self.latency_ms[0] > self.latency_ms[1]:
            raise ValueError("latency_ms range must be [min, max] with min <= max")
        return self

    @property
    def active(self) -> bool:
        return self != FaultSettings()

    def pick_latency_ms(self, rng: random.Random) -> int:
        if self.latency_ms is None:
            return 0
        if isinstance(self.latency_ms, int):
            return self.latency_ms
        low, high = self.latency_ms
        return rng.randint(low, high)


class FaultPlan(BaseModel):
    """The faults of all targets together, as read from a config file or the environment."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    digid: FaultSettings = FaultSettings()
    mijnoverheid: FaultSettings = FaultSettings()
    uwv: FaultSettings = FaultSettings()
    belastingdienst: FaultSettings = FaultSettings()
    mijnpensioenoverzicht: FaultSettings = FaultSettings()


class FaultConfigError(ValueError):
    """A fault configuration (file, environment or admin request) is not valid."""


def load_fault_plan(path: Path | None = None, environ: Mapping[str, str] | None = None) -> FaultPlan:
    """Faults at start: from a JSON/YAML file if given, else from ``DATABRUG_SANDBOX_FAULTS`` (JSON)."""
    raw: object
    if path is not None:
        try:
            text = path.read_text(encoding="utf-8")
        except OSError as exc:
            raise FaultConfigError(f"fault file cannot be read: {exc.strerror}") from exc
        try:
            raw = yaml.safe_load(text) if path.suffix in (".yaml", ".yml") else json.loads(text)
        except (yaml.YAMLError, json.JSONDecodeError) as exc:
            raise FaultConfigError(f"fault file {path.name} is not valid JSON/YAML") from exc
    else:
        env_value = (environ if environ is not None else os.environ).get(FAULTS_ENV, "").strip()
        if not env_value:
            return FaultPlan()
        try:
            raw = json.loads(env_value)
        except json.JSONDecodeError as exc:
            raise FaultConfigError(f"{FAULTS_ENV} is not valid JSON") from exc
    try:
        return FaultPlan.model_validate(raw or {})
    except ValidationError as exc:
        raise FaultConfigError(f"fault configuration is not valid: {_describe(exc)}") from exc


def _describe(exc: ValidationError) -> str:
    return "; ".join(".".join(str(p) for p in err["loc"]) + ": " + err["msg"] for err in exc.errors())


class FaultRegistry:
    """The current faults, changed at run time through the admin API."""

    def __init__(self, plan: FaultPlan | None = None, rng: random.Random | None = None) -> None:
        plan = plan or FaultPlan()
        self._faults: dict[FaultTarget, FaultSettings] = {t: getattr(plan, t) for t in FAULT_TARGETS}
        # Not for security: this only decides which requests fail on purpose.
        self.rng = rng or random.Random()  # noqa: S311

    def get(self, target: FaultTarget) -> FaultSettings:
        return self._faults[target]

    def set(self, target: FaultTarget, settings: FaultSettings) -> None:
        self._faults[target] = settings

    def clear(self, target: FaultTarget | None = None) -> None:
        for t in FAULT_TARGETS if target is None else (target,):
            self._faults[t] = FaultSettings()

    def snapshot(self) -> dict[str, dict[str, Any]]:
        return {t: s.model_dump(mode="json") for t, s in self._faults.items()}


# The SMS inbox is the simulated phone, not DigiD: a DigiD outage must not hide the phone's messages.
_NEVER_FAULTED = ("/digid/sms", "/digid/api/sms")


def target_for_path(path: str) -> FaultTarget | None:
    if path.startswith(_NEVER_FAULTED):
        return None
    first = path.lstrip("/").split("/", 1)[0]
    return first if first in FAULT_TARGETS else None


def corrupt(body: bytes) -> bytes:
    """Damage a document so no parser can accept it: garbage bytes in the middle and at the start."""
    if not body:
        return b"\xff\xfe\x00garbage"
    middle = len(body) // 2
    return b"\xff\xfe\x00<<" + body[1:middle] + b"\x00\xff garbage \x00" + body[middle + 1 :]


def truncate(body: bytes) -> bytes:
    return body[: len(body) // 2]


class FaultInjectionMiddleware:
    """Applies the registry's faults to requests under /digid, /mijnoverheid, /uwv, … (not /admin)."""

    def __init__(self, app: ASGIApp, registry: FaultRegistry) -> None:
        self.app = app
        self.registry = registry

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        target = target_for_path(scope["path"])
        faults = self.registry.get(target) if target else None
        if faults is None or not faults.active:
            await self.app(scope, receive, send)
            return

        rng = self.registry.rng
        delay_ms = faults.pick_latency_ms(rng)
        if delay_ms:
            await asyncio.sleep(delay_ms / 1000)
        if faults.maintenance:
            await _send_plain(
                send,
                503,
                "Deze dienst is tijdelijk niet beschikbaar wegens onderhoud (sandbox).",
                [(b"retry-after", str(faults.retry_after_seconds).encode())],
            )
            return
        if faults.error_rate and rng.random() < faults.error_rate:
            await _send_plain(send, 500, "Er ging iets mis (sandbox: ingestelde foutkans).", [])
            return
        if not (
            faults.malformed
            or faults.truncated
            or faults.slow_stream_bytes_per_second
            or faults.oversized_bytes
        ):
            await self.app(scope, receive, send)
            return
        await self._damage_body(scope, receive, send, faults)

    async def _damage_body(self, scope: Scope, receive: Receive, send: Send, faults: FaultSettings) -> None:
        start: Message | None = None
        chunks: list[bytes] = []

        async def capture(message: Message) -> None:
            nonlocal start
            if message["type"] == "http.response.start":
                start = message
            elif message["type"] == "http.response.body":
                chunks.append(message.get("body", b""))

        await self.app(scope, receive, capture)
        if start is None:
            return
        body = b"".join(chunks)
        ok = start["status"] == 200
        if ok:
            if faults.truncated:
                body = truncate(body)
            if faults.malformed:
                body = corrupt(body)
        headers = [(k, v) for k, v in start.get("headers", []) if k.lower() != b"content-length"]
        padding = max(0, faults.oversized_bytes - len(body)) if ok and faults.oversized_bytes else 0
        if not padding:
            headers.append((b"content-length", str(len(body)).encode()))
        await send({**start, "headers": headers})
        rate = faults.slow_stream_bytes_per_second if ok else None
        # Ten pieces a second at most, so the rate holds without a flood of tiny writes.
        piece = max(1, rate // 10) if rate else _PADDING_PIECE
        for chunk in _pieces(body, padding, piece):
            await send({"type": "http.response.body", "body": chunk, "more_body": True})
            if rate:
                await asyncio.sleep(len(chunk) / rate)
        await send({"type": "http.response.body", "body": b"", "more_body": False})


def _pieces(body: bytes, padding: int, size: int) -> Iterator[bytes]:
    """The body, then ``padding`` spaces, in pieces of ``size`` bytes; the padding is made as it is sent."""
    for offset in range(0, len(body), size):
        yield body[offset : offset + size]
    blank = b" " * size
    while padding > 0:
        yield blank[: min(size, padding)]
        padding -= size


async def _send_plain(send: Send, status: int, text: str, extra: list[tuple[bytes, bytes]]) -> None:
    body = text.encode()
    headers = [
        (b"content-type", b"text/plain; charset=utf-8"),
        (b"content-length", str(len(body)).encode()),
        (b"cache-control", b"no-store"),
        *extra,
    ]
    await send({"type": "http.response.start", "status": status, "headers": headers})
    await send({"type": "http.response.body", "body": body, "more_body": False})


def fault_admin_router(registry: FaultRegistry) -> APIRouter:
    """``/admin/faults``: read, set and clear the faults of each target while the sandbox runs."""
    router = APIRouter(prefix="/admin/faults", tags=["admin: faults"])

    def known(target: str) -> FaultTarget:
        if target not in FAULT_TARGETS:
            raise HTTPException(404, f"unknown fault target; use one of {', '.join(FAULT_TARGETS)}")
        return target

    @router.get("")
    async def list_faults() -> dict[str, dict[str, Any]]:
        return registry.snapshot()

    @router.delete("")
    async def clear_all() -> dict[str, dict[str, Any]]:
        registry.clear()
        return registry.snapshot()

    @router.get("/{target}")
    async def get_fault(target: str) -> dict[str, Any]:
        return registry.get(known(target)).model_dump(mode="json")

    @router.put("/{target}")
    async def put_fault(target: str, settings: FaultSettings) -> dict[str, Any]:
        registry.set(known(target), settings)
        return settings.model_dump(mode="json")

    @router.delete("/{target}")
    async def clear_fault(target: str) -> dict[str, Any]:
        registry.clear(known(target))
        return registry.get(known(target)).model_dump(mode="json")

    return router
