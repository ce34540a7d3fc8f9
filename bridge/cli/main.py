"""`tillbridge` entry point: parses arguments and dispatches; each command lives in its own module."""

from __future__ import annotations

import argparse
import os
import sys
from collections.abc import Sequence

from bridge import __version__


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(
        prog="tillbridge", description="Till hardware bridge daemon and tools."
    )
    parser.add_argument("--version", action="version", version=f"tillbridge {__version__}")
    sub = parser.add_subparsers(dest="command", required=True, metavar="COMMAND")

    def with_config(p: argparse.ArgumentParser) -> argparse.ArgumentParser:
        p.add_argument(
            "--config",
            "-c",
            default=os.environ.get("TILLBRIDGE_CONFIG"),
            help="TOML config file (default: $TILLBRIDGE_CONFIG, else the embedded default)",
        )
        p.add_argument("--state-dir", help="override the state directory")
        return p

    run = with_config(sub.add_parser("run", help="run the daemon"))
    run.add_argument("--port", type=int, help="override server.port")

    check = sub.add_parser("check-config", help="validate a config file and list every error")
    check.add_argument("file")

    token = with_config(sub.add_parser("token", help="manage API tokens"))
    token_sub = token.add_subparsers(dest="token_command", required=True, metavar="ACTION")
    create = token_sub.add_parser("create", help="make a token and print it once")
    create.add_argument("--role", choices=["cashier", "technician"], required=True)
    create.add_argument("--name", required=True)
    create.add_argument(
        "--expires-in",
        metavar="DURATION",
        help="e.g. 30m, 12h, 7d (default: never for cashier, auth.technician_session_ttl_s for technician)",
    )
    token_sub.add_parser("list", help="list tokens (never their secrets)")
    revoke = token_sub.add_parser("revoke", help="revoke a token by id")
    revoke.add_argument("id")

    pin = with_config(sub.add_parser("pin", help="set or clear the technician PIN"))
    pin_sub = pin.add_subparsers(dest="pin_command", required=True, metavar="ACTION")
    pin_set = pin_sub.add_parser("set", help="set the PIN (asked twice, or read from stdin)")
    pin_set.add_argument("--stdin", action="store_true", help="read the PIN from standard input")
    pin_sub.add_parser("clear", help="remove the PIN (PIN login off)")

    devices = sub.add_parser(
        "devices", help="list hardware this machine can see, with config lines"
    )
    devices.add_argument("--json", action="store_true", help="machine-readable output")

    # Catalog, stock and documents (issue 6)
    from bridge.cli import (
        backup_command,
        discrepancies_command,
        import_stock_command,
        restore_command,
    )

    for module in (import_stock_command, discrepancies_command, backup_command, restore_command):
        module.add_parser(sub, with_config)

    udev = sub.add_parser(
        "udev-rules", help="print udev rules giving the service these USB devices"
    )
    udev.add_argument("ids", nargs="+", metavar="VENDOR:PRODUCT", help="e.g. 04b8:0202")
    with_config(sub.add_parser("sync", help="push and pull with the cloud now"))
    cloud = sub.add_parser(
        "cloud", help="the reference cloud (tillbridge cloud --help)", add_help=False
    )
    cloud.add_argument("cloud_args", nargs=argparse.REMAINDER)
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    argv = list(sys.argv[1:] if argv is None else argv)
    if argv[:1] == ["cloud"]:  # its own parser, options and all
        from bridge.cloud.cli import main as cloud_main

        return cloud_main(argv[1:])
    args = build_parser().parse_args(argv)
    if args.command != "run":  # `run` configures logging from its config
        from bridge.logging_setup import configure_logging

        configure_logging("warning", "console")
    if args.command == "run":
        from bridge.cli.run_command import run

        return run(args)
    if args.command == "check-config":
        from bridge.cli.check_config import check_config

        return check_config(args.file)
    if args.command == "token":
        from bridge.cli.token_command import token

        return token(args)
    if args.command == "pin":
        from bridge.cli.pin_command import pin

        return pin(args)
    if args.command == "devices":
        from bridge.cli.devices_command import devices

        return devices(args)
    if args.command == "udev-rules":
        from bridge.cli.devices_command import udev_rules

        return udev_rules(args)
    if args.command in ("import-stock", "discrepancies", "backup", "restore"):
        from bridge.cli import (
            backup_command,
            discrepancies_command,
            import_stock_command,
            restore_command,
        )

        handler = {
            "import-stock": import_stock_command.import_stock,
            "discrepancies": discrepancies_command.discrepancies,
            "backup": backup_command.backup,
            "restore": restore_command.restore,
        }[args.command]
        return handler(args)
    if args.command == "sync":
        from bridge.cli.sync_command import sync

        return sync(args)
    print(f"unknown command {args.command}", file=sys.stderr)
    return 2
