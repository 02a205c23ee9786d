"""The sandbox's command line: ``databrug-sandbox <subcommand>``."""

from __future__ import annotations

import argparse
from collections.abc import Sequence
from pathlib import Path


def _cmd_serve(args: argparse.Namespace) -> int:
    import uvicorn

    from databrug_sandbox.faults import load_fault_plan
    from databrug_sandbox.server import SandboxSettings, create_app, sandbox_urls

    overrides: dict[str, object] = {
        "host": args.host,
        "port": args.port,
        "public_base_url": args.public_url,
        "redirect_uris": tuple(args.redirect_uri) if args.redirect_uri else None,
        "lockout_minutes": args.lockout_minutes,
        "signing_key_path": args.signing_key,
    }
    if args.faults:
        overrides["faults"] = load_fault_plan(args.faults)
    settings = SandboxSettings.from_env(overrides=overrides)
    app = create_app(settings)
    print("Databrug sandbox (SANDBOX: synthetic data only)")
    for name, url in sandbox_urls(settings).items():
        print(f"  {name + ':':<24} {url}")
    print(f"  {'DigiD client:':<24} client_id=databrug, redirect URIs: {', '.join(settings.redirect_uris)}")
    print(flush=True)
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level)
    return 0


def _add_serve(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    serve = commands.add_parser(
        "serve",
        help="run the sandbox (DigiD IdP + the four portals) on its own",
        description=(
            "Run the sandbox: DigiD IdP, MijnOverheid, UWV, Belastingdienst and Mijnpensioenoverzicht on one "
            "port, with the fault-injection admin API. Settings also come from DATABRUG_SANDBOX_* variables."
        ),
    )
    serve.add_argument("--host", default=None, help="interface to listen on (default 127.0.0.1)")
    serve.add_argument("--port", type=int, default=None, help="port (default 8720)")
    serve.add_argument("--public-url", default=None, help="base URL browsers use, if not http://host:port")
    serve.add_argument(
        "--redirect-uri",
        action="append",
        default=None,
        help="allowed redirect URI of the 'databrug' client (repeatable; loopback URIs match any port)",
    )
    serve.add_argument(
        "--lockout-minutes", type=float, default=None, help="lock-out after 3 wrong tries (15)"
    )
    serve.add_argument(
        "--faults", type=Path, default=None, help="JSON or YAML file with faults to start with"
    )
    serve.add_argument("--signing-key", type=Path, default=None, help="JWK file that keeps the IdP key")
    serve.add_argument("--log-level", default="info", choices=["debug", "info", "warning", "error"])
    serve.set_defaults(handler=_cmd_serve)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="databrug-sandbox",
        description="The Databrug sandbox: simulated DigiD, government portals and personas (synthetic data)",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    _add_serve(commands)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    parser = build_parser()
    args = parser.parse_args(argv)
    handler = getattr(args, "handler", None)
    if handler is None:
        parser.print_help()
        return 2
    result: int = handler(args)
    return result


if __name__ == "__main__":
    raise SystemExit(main())
