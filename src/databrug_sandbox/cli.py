"""The sandbox's command line: ``databrug-sandbox <subcommand>``."""

from __future__ import annotations

import argparse
import json
import logging
import sys
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
    # Uvicorn's access log shows query strings; the sandbox logs requests itself, without them.
    logging.basicConfig(level=args.log_level.upper(), format="%(levelname)s:     %(name)s: %(message)s")
    uvicorn.run(app, host=settings.host, port=settings.port, log_level=args.log_level, access_log=False)
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


def _cmd_personas(args: argparse.Namespace) -> int:
    from databrug_sandbox.personas.catalogue import CATALOGUE
    from databrug_sandbox.personas.docs import catalogue_listing, render_markdown
    from databrug_sandbox.personas.generator import generate_household

    if args.seed is not None:
        if args.markdown:
            sys.stderr.write("--markdown documents the catalogue; use --json with --seed\n")
            return 2
        household = generate_household(args.seed)
        json.dump(catalogue_listing({household.key: household}), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.json:
        json.dump(catalogue_listing(CATALOGUE), sys.stdout, indent=2, ensure_ascii=False)
        sys.stdout.write("\n")
    elif args.markdown:
        sys.stdout.write(render_markdown(CATALOGUE))
    else:
        for household in CATALOGUE.values():
            logins = ", ".join(
                f"{c.digid.username}{'' if c.digid.sms_enabled else ' (no SMS)'}"
                for c in household.citizens()
            )
            sys.stdout.write(f"{household.key:32} {logins}\n")
    return 0


def _seed(text: str) -> int:
    if not text.isdigit() or len(text) > 12:
        raise argparse.ArgumentTypeError("a seed is a whole number from 0 to 12 digits long")
    return int(text)


def _add_personas(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    personas = commands.add_parser(
        "personas",
        help="list the named personas (logins and key facts)",
        description="The named persona catalogue: DigiD logins, BSNs and the key facts tests rely on.",
    )
    output = personas.add_mutually_exclusive_group()
    output.add_argument("--json", action="store_true", help="the catalogue as JSON, for tools")
    output.add_argument(
        "--markdown", action="store_true", help="docs/personas.md as generated from the catalogue"
    )
    personas.add_argument(
        "--seed",
        type=_seed,
        default=None,
        help="instead of the catalogue, the generated household of this seed (as JSON)",
    )
    personas.set_defaults(handler=_cmd_personas)


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="databrug-sandbox",
        description="The Databrug sandbox: simulated DigiD, government portals and personas (synthetic data)",
    )
    commands = parser.add_subparsers(dest="command", metavar="<command>")
    _add_serve(commands)
    _add_personas(commands)
    from databrug_sandbox.mail.cli import add_mail

    add_mail(commands)
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
