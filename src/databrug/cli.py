"""The one command-line entry point of the product: ``databrug <subcommand>``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from databrug import __version__

if TYPE_CHECKING:
    from databrug.config import Settings
    from databrug.web.server import EdgeLimits

Handler = Callable[[argparse.Namespace], int]


LOG_FORMAT = "%(asctime)s %(levelname)s %(name)s %(message)s"


def configure_logging() -> None:
    """Server log lines: time, level, logger, message. The format uses no caller, thread or process fields, so
    the records skip collecting them (the logging HOWTO's "Optimization" switches): with the access log's line
    per request that was ~30% of a status read's CPU, half of it in building the record."""
    import logging

    logging.logThreads = False
    logging.logProcesses = False
    logging.logMultiprocessing = False
    logging._srcfile = None  # no stack walk for filename/lineno/funcName, which the format does not show
    logging.basicConfig(level=logging.INFO, format=LOG_FORMAT)


def _cmd_schema(args: argparse.Namespace) -> int:
    from databrug.records.schema import package_json_schema_text

    sys.stdout.write(package_json_schema_text())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from databrug.bootstrap import load_settings
    from databrug.demo import run_demo

    return run_demo(load_settings(), once=args.once)


def _cmd_parse(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from databrug.sources.errors import SourceError
    from databrug.sources.parsing import MAX_DOCUMENT_BYTES
    from databrug.sources.upload import parse_upload

    path = Path(args.file)
    try:
        with path.open("rb") as handle:
            data = handle.read(MAX_DOCUMENT_BYTES + 1)
    except OSError as exc:
        sys.stderr.write(f"databrug parse: cannot read {path.name}: {exc.strerror}\n")
        return 2
    try:
        parsed = parse_upload(data, source=args.source, subject=args.subject, filename=path.name)
    except SourceError as exc:
        sys.stderr.write(f"databrug parse: error [{exc.code}]: {exc}\n")
        return 1
    result = {
        "source": json.loads(parsed.entry.model_dump_json()),
        "records": json.loads(parsed.subject.model_dump_json(exclude_defaults=True)),
    }
    if args.pretty:
        from databrug.records.table import render_table

        sys.stdout.write(render_table(parsed.entry, parsed.subject))
    else:
        sys.stdout.write(json.dumps(result, indent=2, ensure_ascii=False) + "\n")
    return 0


def openapi_text() -> str:
    """The provider API's OpenAPI document, as committed under docs/api/ (a test fails on drift). Here, at the
    composition root, because it needs a broker built from settings and the web app around it."""
    import json
    from pathlib import Path

    from databrug.bootstrap import build_broker
    from databrug.config import Settings
    from databrug.web.app import create_app

    broker = build_broker(Settings(providers_file=Path("/nonexistent/providers.json")))
    document = create_app(broker, background=False).openapi()
    return json.dumps(document, indent=2, ensure_ascii=False, sort_keys=True) + "\n"


def edge_limits(settings: Settings) -> EdgeLimits:
    """The server's edge limits from the settings (web/ reads no settings itself)."""
    from databrug.web.server import EdgeLimits

    return EdgeLimits(
        head_seconds=settings.request_head_seconds,
        body_seconds=settings.request_body_seconds,
        keep_alive_seconds=settings.keep_alive_seconds,
        drain_seconds=settings.drain_seconds,
        trusted_proxies=settings.trusted_proxy_networks(),
    )


def _cmd_openapi(args: argparse.Namespace) -> int:
    sys.stdout.write(openapi_text())
    return 0


def _cmd_serve(args: argparse.Namespace) -> int:
    from databrug.bootstrap import build_broker, configure_tracing, load_settings
    from databrug.process_memory import keep_malloc_flat
    from databrug.web.app import create_app
    from databrug.web.metrics import MetricsPort
    from databrug.web.server import listening_socket, serve, server_config

    keep_malloc_flat()  # before any thread starts
    settings = load_settings()
    if args.port is not None:
        settings = settings.model_copy(update={"broker_port": args.port})
    configure_logging()
    configure_tracing(settings)
    broker = build_broker(settings)
    app = create_app(broker)
    print(f"Databrug broker on {settings.broker_url()} (store: {settings.session_store})", flush=True)
    config = server_config(app, settings.host, settings.broker_port, limits=edge_limits(settings))
    if settings.metrics_port is None:
        serve(config, on_drain=broker.drain)
        return 0
    # one server, two sockets: the metrics socket answers GET /metrics only, the public one never does
    public = listening_socket(settings.host, settings.broker_port)
    private = listening_socket(settings.metrics_host, settings.metrics_port)
    port = private.getsockname()[1]
    config.app = MetricsPort(app, port, broker.metrics.exposition)
    print(f"  metrics on http://{settings.metrics_host}:{port}/metrics (keep this port private)", flush=True)
    serve(config, [public, private], on_drain=broker.drain)
    return 0


def _cmd_journey(args: argparse.Namespace) -> int:
    import asyncio
    from pathlib import Path

    from databrug.robot.run import report, run_many
    from databrug.robot.setup import DEFAULT_CREDENTIALS, load_endpoints, load_personas

    endpoints = load_endpoints(
        Path(args.credentials or DEFAULT_CREDENTIALS), args.broker_url, args.sandbox_url
    )
    catalogue = load_personas(endpoints.sandbox_url)
    if args.all:
        chosen = list(catalogue.values())
    elif args.persona in catalogue:
        chosen = [catalogue[args.persona]]
    else:
        names = ", ".join(sorted(catalogue))
        sys.stderr.write(f"databrug journey: unknown persona '{args.persona}'; known: {names}\n")
        return 2
    chosen = chosen * max(1, args.repeat)
    results = asyncio.run(
        run_many(chosen, endpoints, args.fetch, concurrency=args.concurrency, phone_only=args.phone_only)
    )
    sys.stdout.write(report(results, args.json))
    return 0 if all(r.ok for r in results) else 1


def _cmd_providers(args: argparse.Namespace) -> int:
    from pydantic import ValidationError

    from databrug.registrations.store import ProvidersFileError

    try:
        return _providers_action(args)
    except ProvidersFileError as exc:
        sys.stderr.write(f"databrug providers: {exc}\n")
        return 2
    except ValidationError as exc:
        problems = "; ".join(_registration_problem(e["loc"], e["msg"]) for e in exc.errors())
        sys.stderr.write(f"databrug providers: the registration is refused: {problems}\n")
        return 2


def _registration_problem(location: tuple[int | str, ...], message: str) -> str:
    """One refusal in words: the registration's own checks name their field already."""
    if message.startswith("Value error, "):
        return message.removeprefix("Value error, ")
    return f"{'.'.join(map(str, location))}: {message}"


def _providers_action(args: argparse.Namespace) -> int:
    import json
    from pathlib import Path

    from databrug.bootstrap import configured_broker_secret, load_settings
    from databrug.provisioning import register, rotate_keys, rotate_secret
    from databrug.registrations.store import ProviderRegistry

    settings = load_settings()
    path = Path(args.file) if args.file else settings.providers_file
    broker_secret = configured_broker_secret(settings)
    registry = ProviderRegistry.load(path, broker_secret)
    if args.action == "list":
        for provider in registry.all():
            kids = ", ".join(k["kid"] for k in provider.encryption_jwks["keys"])
            print(f"{provider.id}\t{provider.display_name}\tkeys: {kids}\tpartner: {provider.partner}")
        return 0
    if args.action == "add":
        missing = [
            flag
            for flag, value in (
                ("--purpose", args.purpose),
                ("--retention-days", args.retention_days),
                ("--privacy-url", args.privacy_url),
            )
            if value is None
        ]
        if missing:
            sys.stderr.write(f"databrug providers add: also give {', '.join(missing)}\n")
            return 2
        jwks = json.loads(Path(args.jwks).read_text(encoding="utf-8"))
        _, secret, webhook_secret = register(
            registry,
            args.id,
            args.name,
            return_url=args.return_url,
            public_jwks=jwks,
            webhook_url=args.webhook_url,
            partner=args.partner,
            want_documents=args.documents,
            support_email=args.support_email,
            support_phone=args.support_phone,
            purposes=args.purpose,
            retention_days=args.retention_days,
            privacy_statement_url=args.privacy_url,
            erasure_url=args.erasure_url,
            third_parties=args.third_party,
        )
        registry.save(path, broker_secret)
        print(f"client_id:      {args.id}\nclient_secret:  {secret}")
        if webhook_secret:
            print(f"webhook_secret: {webhook_secret}")
        print(
            "Keep these now: they cannot be shown again (the client secret is stored as a hash, the "
            "webhook secret encrypted under the broker secret)."
        )
        return 0
    if args.action == "rotate-secret":
        secret = rotate_secret(registry, args.id)
        registry.save(path, broker_secret)
        print(f"client_secret: {secret}\n(the previous secret stays valid until the next rotation)")
        return 0
    if args.action == "rotate-keys":
        rotate_keys(registry, args.id, json.loads(Path(args.jwks).read_text(encoding="utf-8")))
        registry.save(path, broker_secret)
        print("keys rotated: new packages use the new key; the previous key stays listed")
        return 0
    return 2


def _cmd_provider_demo(args: argparse.Namespace) -> int:
    from pathlib import Path

    from databrug.provider_demo.config import ProviderSettings
    from databrug.provider_demo.municipality_settings import MunicipalitySettings
    from databrug.provider_demo.services import build_services
    from databrug.provider_demo.web.app import create_provider_app
    from databrug.web.metrics import MetricsPort
    from databrug.web.server import listening_socket, serve, server_config

    overrides: dict[str, object] = {}
    for name in ("host", "port", "database_url", "smtp_host", "smtp_port"):
        if getattr(args, name) is not None:
            overrides[name] = getattr(args, name)
    if args.credentials:
        overrides["credentials_file"] = Path(args.credentials)
    if args.seed_demo_caseworker:
        overrides["seed_demo_caseworker"] = True
    settings = ProviderSettings().model_copy(update=overrides)
    configure_logging()
    app = create_provider_app(build_services(settings))
    default = MunicipalitySettings()
    print(f"Gezondverzekerd demo provider on {settings.base_url()}", flush=True)
    print(
        f"  default municipality settings: {default.percentage}% of the bijstandsnorm "
        f"{'incl.' if default.includes_holiday_allowance else 'excl.'} holiday allowance, asset test "
        f"{'on' if default.asset_test else 'off'}, own home: {default.home_equity_rule}, "
        f"check {default.check_timing} granting (change them at {settings.base_url()}/backoffice/settings)",
        flush=True,
    )
    config = server_config(app, settings.host, settings.port)
    if args.metrics_port is None:
        serve(config)
        return 0
    public = listening_socket(settings.host, settings.port)
    private = listening_socket(settings.host, args.metrics_port)
    config.app = MetricsPort(app, private.getsockname()[1], app.state.metrics.exposition)
    serve(config, [public, private])
    return 0


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="databrug",
        description=(
            "Databrug: a citizen hands verified financial data from Dutch government sources "
            "to a service provider, with explicit consent, end-to-end encrypted, nothing kept."
        ),
        epilog="Run 'databrug <command> --help' for the options of one command.",
    )
    parser.add_argument("--version", action="version", version=f"databrug {__version__}")
    commands = parser.add_subparsers(dest="command", metavar="<command>")

    schema = commands.add_parser(
        "schema", help="print the JSON Schema of the data package", description="Print the JSON Schema."
    )
    schema.set_defaults(handler=_cmd_schema)

    parse = commands.add_parser(
        "parse",
        help="read a government document and print its records",
        description=(
            "Detect the document type (BRP JSON, WOZ, vehicles, UWV verzekeringsbericht PDF, Belastingdienst "
            "data, toeslagen, Mijnpensioenoverzicht XML/JSON), parse it and print the records as JSON "
            "(or a readable table with --pretty). Exits 1 with the located error when the file is invalid."
        ),
    )
    parse.add_argument("file", help="the document, e.g. pensioenaanspraken.xml or verzekeringsbericht.pdf")
    parse.add_argument(
        "--source",
        choices=["mijnoverheid", "uwv", "belastingdienst", "mijnpensioenoverzicht"],
        help="only consider this source's document types",
    )
    parse.add_argument(
        "--subject", choices=["applicant", "partner"], default="applicant", help="whose document it is"
    )
    parse.add_argument("--pretty", action="store_true", help="print a readable table instead of JSON")
    parse.set_defaults(handler=_cmd_parse)

    openapi = commands.add_parser(
        "openapi", help="print the provider API's OpenAPI document", description="Print the OpenAPI JSON."
    )
    openapi.set_defaults(handler=_cmd_openapi)

    serve = commands.add_parser(
        "serve",
        help="run one broker process (settings from DATABRUG_* variables)",
        description="Run the broker: provider API, citizen pages and the app. Several may share one Redis.",
    )
    serve.add_argument("--port", type=int, default=None, help="port (default DATABRUG_BROKER_PORT or 8700)")
    serve.set_defaults(handler=_cmd_serve)

    journey = commands.add_parser(
        "journey",
        help="drive complete journeys over HTTP against a running demo, as a browser would",
        description=(
            "The robot citizen: the provider creates a session, the robot opens the page, pairs a phone, "
            "logs in at the sandbox DigiD with password and SMS code, collects, adds the partner, reviews, "
            "consents, and the provider picks up and acknowledges the package. Prints each step with timings."
        ),
    )
    who = journey.add_mutually_exclusive_group(required=True)
    who.add_argument("--persona", help="a catalogue persona key (see 'databrug-sandbox personas')")
    who.add_argument("--all", action="store_true", help="every catalogue persona")
    journey.add_argument("--provider", default=None, help="accepted for compatibility: the robot's provider")
    journey.add_argument("--fetch", choices=["sequential", "parallel"], default="parallel")
    journey.add_argument("--json", action="store_true", help="one JSON result per journey")
    journey.add_argument("--phone-only", action="store_true", help="start on the phone, without a QR code")
    journey.add_argument("--concurrency", type=int, default=4, help="journeys at the same time (default 4)")
    journey.add_argument("--repeat", type=int, default=1, help="run each chosen persona this many times")
    journey.add_argument("--credentials", default=None, help="provider credentials file written by the demo")
    journey.add_argument("--broker-url", default=None)
    journey.add_argument("--sandbox-url", default=None)
    journey.set_defaults(handler=_cmd_journey)

    providers = commands.add_parser(
        "providers",
        help="register providers and rotate their secrets and keys",
        description=(
            "Manage the provider registry (DATABRUG_PROVIDERS_FILE, default var/providers.json). Webhook "
            "secrets are stored encrypted under DATABRUG_BROKER_SECRET: set it to the brokers' secret."
        ),
    )
    providers.add_argument("action", choices=["list", "add", "rotate-secret", "rotate-keys"])
    providers.add_argument("--file", default=None, help="the registry file")
    providers.add_argument("--id", help="provider id (lowercase, digits, dashes)")
    providers.add_argument("--name", help="display name shown to citizens")
    providers.add_argument("--return-url", help="where citizens go back to")
    providers.add_argument("--webhook-url", default=None, help="where package.ready webhooks go")
    providers.add_argument("--jwks", help="file with the provider's PUBLIC encryption keys (JWKS)")
    providers.add_argument("--partner", choices=["required", "optional", "off"], default="optional")
    providers.add_argument("--documents", action="store_true", help="include the original documents")
    providers.add_argument("--support-email", default=None, help="support e-mail shown on every citizen page")
    providers.add_argument("--support-phone", default=None, help="support phone number shown beside it")
    providers.add_argument(
        "--purpose",
        action="append",
        default=None,
        help="a published purpose template the provider asks under (docs/purposes.md); repeat for more "
        "(required with add)",
    )
    providers.add_argument(
        "--retention-days", type=int, default=None, help="days the provider keeps a case (required with add)"
    )
    providers.add_argument(
        "--privacy-url", default=None, help="the provider's privacy statement (required with add)"
    )
    providers.add_argument("--erasure-url", default=None, help="where citizens ask to erase a case")
    providers.add_argument(
        "--third-party", action="append", default=None, help="who else receives the data; repeat for more"
    )
    providers.set_defaults(handler=_cmd_providers)

    demo = commands.add_parser(
        "demo",
        help="start the whole product on embedded defaults and print where the journey starts",
        description=(
            "Start every part on loopback (sandbox, broker, provider demo) with embedded defaults "
            "(SQLite, in-memory session store, mail catcher). Ports come from DATABRUG_* settings."
        ),
    )
    demo.add_argument("--once", action="store_true", help="start, print the URLs, stop (a smoke test)")
    demo.set_defaults(handler=_cmd_demo)

    provider_demo = commands.add_parser(
        "provider-demo",
        help="run the demo provider (Gezondverzekerd-like site and back office)",
        description=(
            "The demo provider: application site, invitation mail, webhook receiver and back office. It "
            "talks to the broker only through the SDK; its secrets come from the credentials file."
        ),
    )
    provider_demo.add_argument("--host", default=None)
    provider_demo.add_argument(
        "--port", type=int, default=None, help="default DATABRUG_PROVIDER_PORT or 8710"
    )
    provider_demo.add_argument("--database-url", default=None, help="SQLAlchemy URL (sqlite or postgresql)")
    provider_demo.add_argument("--credentials", default=None, help="file written by provisioning")
    provider_demo.add_argument("--smtp-host", default=None)
    provider_demo.add_argument("--smtp-port", type=int, default=None)
    provider_demo.add_argument(
        "--metrics-port", type=int, default=None, help="serve GET /metrics on this private port (default off)"
    )
    provider_demo.add_argument(
        "--seed-demo-caseworker", action="store_true", help="create the demo login (see docs/provider.md)"
    )
    provider_demo.set_defaults(handler=_cmd_provider_demo)

    for register in _REGISTRARS:
        register(commands)
    return parser


# Later features add their subcommands here (parse, journey, demo, serve, providers …).
_REGISTRARS: list[Callable[[argparse._SubParsersAction[argparse.ArgumentParser]], None]] = []


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler: Handler | None = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    return handler(args)


if __name__ == "__main__":
    raise SystemExit(main())
