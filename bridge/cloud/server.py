"""The reference cloud's HTTP side: the till routes of sync-protocol.md, and a small admin API."""

from __future__ import annotations

import hmac
import itertools
import json
import time
from collections.abc import AsyncIterator, Awaitable, Callable
from typing import Any

from aiohttp import web

from bridge.cloud.admin import CloudAdmin
from bridge.cloud.faults import FaultInjector, Faults
from bridge.cloud.service import CloudService, CursorExpired, SeqConflict, SeqGap
from bridge.sync.protocol import (
    DEFAULT_LIMIT,
    MAX_BATCH_BYTES,
    MAX_LIMIT,
    MAX_WAIT_S,
    EventBatch,
    idempotency_key,
)
from bridge.wire import WireError, convert, decode_json, to_builtins

SERVICE = web.AppKey("cloud_service", CloudService)
ADMIN = web.AppKey("cloud_admin", CloudAdmin)
FAULTS = web.AppKey("cloud_faults", FaultInjector)
ADMIN_TOKEN = web.AppKey("cloud_admin_token", str)

Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]


def error(status: int, code: str, message: str, **extra: Any) -> web.Response:
    return web.json_response({"error": code, "message": message, **extra}, status=status)


def _bearer(request: web.Request) -> str:
    header = request.headers.get("Authorization", "")
    return header[7:] if header.startswith("Bearer ") else ""


@web.middleware
async def auth(request: web.Request, handler: Handler) -> web.StreamResponse:
    if request.path.startswith("/admin/"):
        if not hmac.compare_digest(_bearer(request), request.app[ADMIN_TOKEN]):
            return error(401, "unauthorized", "admin token required")
    elif request.path.startswith("/v1/tills/"):
        till_id = request.match_info.get("till_id", "")
        if not await request.app[SERVICE].authenticate(till_id, _bearer(request)):
            return error(401, "unauthorized", "unknown till or wrong token")
    return await handler(request)


async def stream_state(request: web.Request) -> web.Response:
    acked = await request.app[SERVICE].stream_state(
        request.match_info["till_id"], request.match_info["instance_id"]
    )
    return web.json_response({"acked_through": acked})


async def push_events(request: web.Request) -> web.Response:
    raw = await request.read()
    if len(raw) > MAX_BATCH_BYTES:
        return error(413, "batch_too_large", f"at most {MAX_BATCH_BYTES} bytes per batch")
    try:
        batch = decode_json(raw, EventBatch)
    except WireError as exc:
        return error(400, "bad_batch", str(exc), problems=[p.as_dict() for p in exc.problems])
    events = batch.events
    if any(b.seq != a.seq + 1 for a, b in itertools.pairwise(events)):
        return error(400, "bad_batch", "seq must be contiguous and ascending")
    instance_id = request.match_info["instance_id"]
    expected_key = idempotency_key(instance_id, events[0].seq, events[-1].seq)
    if request.headers.get("Idempotency-Key") != expected_key:
        return error(400, "bad_idempotency_key", f"expected Idempotency-Key {expected_key}")
    if len(events) > 1 and request.app[FAULTS].partial():
        events = events[: len(events) // 2]
    try:
        pushed = await request.app[SERVICE].push(request.match_info["till_id"], instance_id, events)
    except SeqGap as exc:
        return error(409, "seq_gap", str(exc), expected_seq=exc.expected)
    except SeqConflict as exc:
        return error(409, "seq_conflict", str(exc), seq=exc.seq)
    return web.json_response({"acked_through": pushed.acked_through, "results": pushed.results})


def _int(request: web.Request, name: str, default: int, low: int, high: int) -> int:
    try:
        value = int(request.query.get(name, default))
    except ValueError:
        raise web.HTTPBadRequest(text=f"{name} is not an integer") from None
    return max(low, min(high, value))


async def changes(request: web.Request) -> web.Response:
    service = request.app[SERVICE]
    till_id = request.match_info["till_id"]
    since = request.query.get("since") or None
    limit = _int(request, "limit", DEFAULT_LIMIT, 1, MAX_LIMIT)
    wait = _int(request, "wait", 0, 0, MAX_WAIT_S)
    deadline = time.monotonic() + wait
    while True:
        try:
            found, cursor, more = await service.changes(till_id, since, limit)
        except CursorExpired:
            return error(410, "cursor_expired", "fetch the snapshot")
        remaining = deadline - time.monotonic()
        if found or remaining <= 0:
            return web.json_response(
                {
                    "changes": to_builtins(found),
                    "next_cursor": cursor,
                    "has_more": more,
                }
            )
        # Woken by a commit in this process; the 1 s cap also sees other processes' commits.
        await service.wait_for_change(min(remaining, 1.0))


async def snapshot(request: web.Request) -> web.Response:
    try:
        items, token, cursor = await request.app[SERVICE].snapshot(
            request.match_info["till_id"], request.query.get("page_token") or None
        )
    except CursorExpired:
        return error(400, "bad_page_token", "start the snapshot again without page_token")
    return web.json_response(
        {"items": to_builtins(items), "next_page_token": token, "cursor": cursor}
    )


# -- admin ---------------------------------------------------------------------------------
async def _body(request: web.Request) -> Any:
    try:
        return json.loads(await request.read() or b"{}")
    except ValueError:
        raise web.HTTPBadRequest(text="body is not JSON") from None


async def admin_add_till(request: web.Request) -> web.Response:
    body = await _body(request)
    token = await request.app[SERVICE].add_till(body["till_id"], body.get("token"))
    return web.json_response({"till_id": body["till_id"], "token": token})


async def admin_catalog(request: web.Request) -> web.Response:
    body = await _body(request)
    count = await request.app[ADMIN].load_catalog(body["products"])
    for sku in body.get("delete", []):
        await request.app[ADMIN].delete_product(sku)
    return web.json_response({"products": count})


async def admin_stock(request: web.Request) -> web.Response:
    admin = request.app[ADMIN]
    if request.method == "POST":
        await admin.set_stock((await _body(request))["figures"])
    return web.json_response({"stock": await admin.stock()})


async def admin_config(request: web.Request) -> web.Response:
    body = await _body(request)
    envelope = await request.app[ADMIN].publish_config(
        body["till_id"],
        body.get("config", {}),
        version=body.get("version"),
        expires_in_s=body.get("expires_in_s", 30 * 86400),
        envelope_till_id=body.get("envelope_till_id"),
        bad_signature=bool(body.get("bad_signature", False)),
    )
    return web.json_response({"envelope": envelope})


async def admin_pubkey(request: web.Request) -> web.Response:
    return web.json_response({"public_key": request.app[ADMIN].signer.public_key_b64()})


async def admin_expire(request: web.Request) -> web.Response:
    return web.json_response({"floor": await request.app[ADMIN].expire_cursors()})


async def admin_truncate(request: web.Request) -> web.Response:
    body = await _body(request)
    removed = await request.app[ADMIN].truncate_stream(
        request.match_info["till_id"], request.match_info["instance_id"], body["keep_through"]
    )
    return web.json_response({"removed": removed})


async def admin_summary(request: web.Request) -> web.Response:
    return web.json_response(await request.app[ADMIN].summary(request.match_info["till_id"]))


async def admin_faults(request: web.Request) -> web.Response:
    try:
        faults = convert(await _body(request), Faults)
    except WireError as exc:
        return error(400, "bad_faults", str(exc), problems=[p.as_dict() for p in exc.problems])
    request.app[FAULTS].set(faults)
    return web.json_response(to_builtins(faults))


def create_cloud_app(
    admin: CloudAdmin, admin_token: str, faults: Faults | None = None
) -> web.Application:
    injector = FaultInjector(faults)
    app = web.Application(
        client_max_size=MAX_BATCH_BYTES * 2, middlewares=[injector.middleware(), auth]
    )
    app[SERVICE] = admin.service
    app[ADMIN] = admin
    app[FAULTS] = injector
    app[ADMIN_TOKEN] = admin_token
    base = "/v1/tills/{till_id}"
    app.router.add_get(base + "/streams/{instance_id}", stream_state)
    app.router.add_post(base + "/streams/{instance_id}/events", push_events)
    app.router.add_get(base + "/changes", changes)
    app.router.add_get(base + "/snapshot", snapshot)
    app.router.add_post("/admin/tills", admin_add_till)
    app.router.add_post("/admin/catalog", admin_catalog)
    app.router.add_route("*", "/admin/stock", admin_stock)
    app.router.add_post("/admin/config", admin_config)
    app.router.add_get("/admin/pubkey", admin_pubkey)
    app.router.add_post("/admin/expire-cursors", admin_expire)
    app.router.add_post("/admin/tills/{till_id}/streams/{instance_id}/truncate", admin_truncate)
    app.router.add_get("/admin/tills/{till_id}/summary", admin_summary)
    app.router.add_post("/admin/faults", admin_faults)
    app.cleanup_ctx.append(_backend_ctx)
    return app


async def _backend_ctx(app: web.Application) -> AsyncIterator[None]:
    backend = app[SERVICE].backend
    await backend.open()
    yield
    await app[SERVICE].notify()
    await backend.close()
