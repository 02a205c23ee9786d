"""``databrug-sandbox mail``: the SMTP mail catcher plus its web page, in one process."""

from __future__ import annotations

import argparse

import uvicorn

from databrug_sandbox.mail.smtp import smtp_controller
from databrug_sandbox.mail.store import MailStore
from databrug_sandbox.mail.web import create_mail_app


def run_mail(args: argparse.Namespace) -> int:
    store = MailStore()
    controller = smtp_controller(store, args.host, args.smtp_port)
    controller.start()
    print("Databrug sandbox mail catcher (SANDBOX: nothing is delivered)")
    print(f"  {'SMTP:':<10} {args.host}:{args.smtp_port}")
    print(f"  {'inbox:':<10} http://{args.host}:{args.port}/", flush=True)
    try:
        uvicorn.run(create_mail_app(store), host=args.host, port=args.port, log_level="warning")
    finally:
        controller.stop()
    return 0


def add_mail(commands: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    mail = commands.add_parser(
        "mail",
        help="run the mail catcher (SMTP server + web inbox)",
        description="Catch every mail sent to the SMTP port and show it at the web port (memory only).",
    )
    mail.add_argument("--host", default="127.0.0.1")
    mail.add_argument("--smtp-port", type=int, default=8725, help="SMTP port (default 8725)")
    mail.add_argument("--port", type=int, default=8726, help="web inbox port (default 8726)")
    mail.set_defaults(handler=run_mail)
