"""`tillbridge cloud ...`: run the reference cloud, and the backoffice actions a person needs."""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import secrets
import signal
import sys
from collections.abc import Sequence
from pathlib import Path
from typing import Any

from aiohttp import web

from bridge.cloud.admin import CloudAdmin
from bridge.cloud.backends import backend_for
from bridge.cloud.faults import Faults
from bridge.cloud.server import create_cloud_app
from bridge.cloud.service import CloudService
from bridge.cloud.signing import Signer
from bridge.wire import WireError, decode_json

ADMIN_TOKEN_FILE = "admin_token"


def build_parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="tillbridge cloud", description="The reference cloud.")
    parser.add_argument("--data-dir", default="cloud-data", help="key, admin token, SQLite file")
    parser.add_argument(
        "--db", help="sqlite:///PATH or postgresql://... (default: SQLite in data dir)"
    )
    sub = parser.add_subparsers(dest="action", required=True, metavar="ACTION")
    serve = sub.add_parser("serve", help="serve the sync protocol and the admin API")
    serve.add_argument("--host", default="127.0.0.1")
    serve.add_argument("--port", type=int, default=8700, help="0 picks a free port")
    serve.add_argument("--faults", help="fault injection as JSON (see bridge/cloud/faults.py)")
    serve.add_argument("--till", action="append", default=[], metavar="ID:TOKEN")
    sub.add_parser(
        "pubkey", help="print the config-signing public key for tills' cloud.public_keys"
    )
    sub.add_parser("admin-token", help="print the admin API token")
    add = sub.add_parser("add-till", help="register a till and print its token")
    add.add_argument("till_id")
    add.add_argument("--token")
    cat = sub.add_parser("load-catalog", help='load products from a JSON file {"products": [...]}')
    cat.add_argument("file")
    stock = sub.add_parser("set-stock", help="set a stock figure")
    stock.add_argument("key", metavar="SKU@WAREHOUSE")
    stock.add_argument("physical")
    stock.add_argument("--reserved", default="0")
    conf = sub.add_parser("publish-config", help="sign and publish a till's config (JSON file)")
    conf.add_argument("till_id")
    conf.add_argument("file")
    conf.add_argument("--expires-in-days", type=float, default=30)
    return parser


def admin_token(data_dir: Path) -> str:
    path = data_dir / ADMIN_TOKEN_FILE
    if path.exists():
        return path.read_text().strip()
    data_dir.mkdir(parents=True, exist_ok=True, mode=0o700)
    token = secrets.token_urlsafe(24)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "w") as out:
        out.write(token + "\n")
    return token


def _admin(args: argparse.Namespace) -> CloudAdmin:
    data_dir = Path(args.data_dir)
    url = args.db or f"sqlite://{(data_dir / 'cloud.sqlite3').resolve()}"
    return CloudAdmin(CloudService(backend_for(url)), Signer.load_or_create(data_dir))


async def _serve(args: argparse.Namespace) -> int:
    try:
        faults = decode_json(args.faults, Faults) if args.faults else None
    except WireError as exc:
        print(f"tillbridge cloud: --faults: {exc}", file=sys.stderr)
        return 2
    admin = _admin(args)
    token = admin_token(Path(args.data_dir))
    app = create_cloud_app(admin, token, faults)
    runner = web.AppRunner(app, handle_signals=False, access_log=None, shutdown_timeout=1.0)
    await runner.setup()
    site = web.TCPSite(runner, args.host, args.port)
    await site.start()
    for spec in args.till:
        till_id, _, till_token = spec.partition(":")
        await admin.service.add_till(till_id, till_token or None)
    server = site._server
    port = server.sockets[0].getsockname()[1] if server is not None else args.port  # type: ignore[union-attr]
    info = {
        "url": f"http://{args.host}:{port}",
        "admin_token": token,
        "public_key": admin.signer.public_key_b64(),
        "backend": admin.service.backend.name,
    }
    print(json.dumps(info), flush=True)
    stop = asyncio.Event()
    loop = asyncio.get_running_loop()
    for sig in (signal.SIGTERM, signal.SIGINT):
        loop.add_signal_handler(sig, stop.set)
    await stop.wait()
    await runner.cleanup()
    return 0


async def _once(args: argparse.Namespace) -> Any:
    admin = _admin(args)
    await admin.service.backend.open()
    try:
        if args.action == "add-till":
            return await admin.service.add_till(args.till_id, args.token)
        if args.action == "load-catalog":
            products = json.loads(await asyncio.to_thread(Path(args.file).read_text, "utf-8"))[
                "products"
            ]
            return f"{await admin.load_catalog(products)} products loaded"
        if args.action == "set-stock":
            sku, _, warehouse = args.key.rpartition("@")
            figure = {"sku": sku, "warehouse": warehouse, "physical": args.physical}
            await admin.set_stock([{**figure, "reserved": args.reserved}])
            return f"{args.key} set"
        if args.action == "publish-config":
            config = json.loads(await asyncio.to_thread(Path(args.file).read_text, "utf-8"))
            envelope = await admin.publish_config(
                args.till_id, config, expires_in_s=args.expires_in_days * 86400
            )
            return f"config version {envelope['version']} published for {args.till_id}"
        raise AssertionError(args.action)
    finally:
        await admin.service.backend.close()


def main(argv: Sequence[str]) -> int:
    args = build_parser().parse_args(argv)
    if args.action == "serve":
        return asyncio.run(_serve(args))
    if args.action == "pubkey":
        print(Signer.load_or_create(Path(args.data_dir)).public_key_b64())
        return 0
    if args.action == "admin-token":
        print(admin_token(Path(args.data_dir)))
        return 0
    try:
        print(asyncio.run(_once(args)))
    except (OSError, ValueError, KeyError) as exc:
        print(f"tillbridge cloud: {exc}", file=sys.stderr)
        return 1
    return 0
