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
