"""``python -m gateway``: serve the public API; ``dev-tokens`` prints a development token for
each role; ``access-table`` prints the role table (docs/security.md)."""

from __future__ import annotations

import argparse
from pathlib import Path

import uvicorn
from common.telemetry import setup_logging, setup_tracing

from gateway.access import access_table_markdown
from gateway.app import create_app
from gateway.devtokens import print_tokens
from gateway.settings import GatewaySettings


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m gateway", description=__doc__)
    commands = parser.add_subparsers(dest="command")
    commands.add_parser("serve", help="serve the public API (the default)")
    tokens = commands.add_parser("dev-tokens", help="print a development token for each role")
    tokens.add_argument("--dir", type=Path, default=Path("var/auth"), help="where the dev key pair is kept")
    commands.add_parser("access-table", help="print the role table as Markdown")
    args = parser.parse_args(argv)
    if args.command == "dev-tokens":
        print_tokens(args.dir)
        return
    if args.command == "access-table":
        print(access_table_markdown())
        return
    settings = GatewaySettings()
    setup_logging("gateway", settings.log_level)
    setup_tracing("gateway")
    uvicorn.run(
        create_app(settings), host=settings.http_host, port=settings.http_port, log_config=None, access_log=False
    )


if __name__ == "__main__":
    main()
