"""The one command-line entry point of the product: ``databrug <subcommand>``."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable, Sequence

from databrug import __version__

Handler = Callable[[argparse.Namespace], int]


def _cmd_schema(args: argparse.Namespace) -> int:
    from databrug.records.schema import package_json_schema_text

    sys.stdout.write(package_json_schema_text())
    return 0


def _cmd_demo(args: argparse.Namespace) -> int:
    from databrug.bootstrap import load_settings
    from databrug.demo import run_demo

    return run_demo(load_settings(), once=args.once)


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
