"""The app factory: the one place where subsystems are built, wired, started and stopped.

Start order is store → services → devices → API; shutdown runs it in reverse (aiohttp cleanup_ctx).
Nothing here does I/O until the app starts, so tests can build as many daemons as they like.
"""

from __future__ import annotations

import time
from collections.abc import AsyncIterator
from pathlib import Path

from aiohttp import web

from bridge import keys
from bridge.api.openapi import OPENAPI_DOC, OpenApiDocument, openapi_handler
from bridge.api.routes_catalog import routes as catalog_routes
from bridge.api.routes_core import STARTED
from bridge.api.routes_core import routes as core_routes
from bridge.api.routes_documents import routes as document_routes
from bridge.api.routes_stock import routes as stock_routes
from bridge.api.routes_technician import routes as technician_routes
from bridge.api.routing import RouteSpec
from bridge.api.security import OriginPolicy, auth_middleware, edge_middleware
from bridge.api.ws_hub import WebSocketHub
from bridge.auth.pairing import PairingCodes
from bridge.auth.pin import PinGuard, PinStore
from bridge.auth.roles import Role
from bridge.auth.tokens import TokenStore
from bridge.catalog.repository import CatalogRepository
from bridge.config.loader import LoadedConfig
from bridge.devices.backoff import Backoff
from bridge.devices.manager import DeviceManager
from bridge.documents.recorder import DocumentRecorder
from bridge.drawers.routes import routes as drawer_routes
from bridge.drawers.service import DrawerService, recorded_documents
from bridge.events.bus import EventBus
from bridge.logging_setup import LogRing
from bridge.printing.queue import PrintQueue
from bridge.printing.rendering import Renderer
from bridge.printing.routes import routes as printing_routes
from bridge.services.scans import ScanService
from bridge.stock.ledger import StockLedger
from bridge.store import Store, StoreError
from bridge.store.backup import BACKUP_DIR, Backups
from bridge.store.database import DATABASE_NAME
from bridge.store.lock import DaemonLock, LockBusy
from bridge.sync.routes import SYNC
from bridge.sync.routes import routes as sync_routes
from bridge.sync.wiring import build_sync, sync_ctx
from bridge.web.pages import PAGE_ASSETS, PageAssets, page_assets_ctx
from bridge.web.pages import routes as page_routes
from drivers.registry import DriverRegistry


def create_app(
    config: LoadedConfig,
    state_dir: Path,
    *,
    registry: DriverRegistry | None = None,
    backoff: Backoff | None = None,
) -> web.Application:
    settings = config.settings
    store = Store(state_dir / DATABASE_NAME)
    tokens = TokenStore(store)
    bus = EventBus(
        replay_window_s=settings.events.replay_window_s,
        replay_max_events=settings.events.replay_max_events,
        client_queue_size=settings.events.client_queue_size,
    )
    scans = ScanService(bus)
    devices = DeviceManager(config, bus, scans.on_scan, registry=registry, backoff=backoff)
    origins = OriginPolicy(settings.server.allowed_origins)
    hub = WebSocketHub(bus, tokens, origins, settings.events)
    # Print queue and cash drawers (issue 4)
    renderer = Renderer(config)
    drawers = DrawerService(
        store,
        bus,
        devices,
        renderer,
        settings.drawers,
        recorded_documents(lambda: app[keys.DOCUMENTS]),
    )
    print_queue = PrintQueue(
        store,
        bus,
        devices,
        renderer,
        drawers=drawers,
        recheck_s=settings.printing.waiting_recheck_s,
        max_raw_bytes=settings.printing.max_raw_bytes,
    )
    # Catalog, stock and documents (issue 6)
    catalog = CatalogRepository(store)
    scans.set_lookup(catalog.lookup_for_scan)
    # Cloud sync (issue 7): no task at all without a [cloud] url
    sync = build_sync(
        config,
        store,
        state_dir,
        devices,
        bus,
        lambda: app[keys.BACKUPS],
        drawers=drawers,
        printing=print_queue,
    )

    specs = [
        *core_routes(),
        RouteSpec(
            "GET",
            "/api/v1/events",
            hub.handle,
            "Events WebSocket (auth in the first frame).",
            None,
            tag="events",
            in_openapi=False,
        ),
        RouteSpec(
            "GET",
            "/api/v1/openapi.json",
            openapi_handler,
            "This document.",
            Role.CASHIER,
            tag="meta",
        ),
        *page_routes(),
        *technician_routes(),
        *printing_routes(),
        *drawer_routes(),
        *catalog_routes(),
        *document_routes(),
        *stock_routes(),
        *sync_routes(),
    ]
    route_specs: dict[object, RouteSpec] = {}
    app = web.Application(
        client_max_size=settings.server.max_body_bytes,
        middlewares=[edge_middleware(origins), auth_middleware(tokens, route_specs)],
    )
    for spec in specs:
        route = app.router.add_route(spec.method, spec.path, spec.handler)
        route_specs[route] = spec

    app[keys.CONFIG] = config
    app[keys.STATE_DIR] = state_dir
    app[keys.STORE] = store
    app[keys.TOKENS] = tokens
    app[keys.PAIRING] = PairingCodes(settings.auth)
    app[keys.BUS] = bus
    app[keys.SCANS] = scans
    app[keys.DEVICES] = devices
    app[keys.WS_HUB] = hub
    app[keys.ORIGINS] = origins
    app[keys.ROUTE_SPECS] = route_specs
    app[keys.PINS] = PinStore(store)
    app[keys.PIN_GUARD] = PinGuard(settings.auth.pin_max_attempts, settings.auth.pin_lockout_s)
    app[keys.LOG_RING] = LogRing()
    app[OPENAPI_DOC] = OpenApiDocument(specs)
    app[STARTED] = time.monotonic()
    app[keys.PRINT_QUEUE] = print_queue
    app[keys.DRAWERS] = drawers
    app[keys.CATALOG] = catalog
    app[keys.STOCK] = StockLedger(store)
    app[keys.DOCUMENTS] = DocumentRecorder(store)
    app[keys.BACKUPS] = Backups(store, state_dir / BACKUP_DIR)
    app[keys.DAEMON_LOCK] = DaemonLock(state_dir)
    app[SYNC] = sync

    app[PAGE_ASSETS] = PageAssets()

    # Started in this order, stopped in reverse.
    app.cleanup_ctx.extend(
        [
            _log_ring_ctx,
            page_assets_ctx,
            _daemon_lock_ctx,
            _store_ctx,
            _documents_ctx,
            _scans_ctx,
            _devices_ctx,
            _printing_ctx,
            sync_ctx,  # after devices: a signed config reopens them
        ]
    )
    app.on_shutdown.append(_close_websockets)
    return app


async def _store_ctx(app: web.Application) -> AsyncIterator[None]:
    store = app[keys.STORE]
    await store.open()
    yield
    await store.close()


async def _daemon_lock_ctx(app: web.Application) -> AsyncIterator[None]:
    lock = app[keys.DAEMON_LOCK]
    try:
        lock.acquire()
    except LockBusy:
        raise StoreError(
            f"{lock.path} is held exclusively: a `tillbridge restore` is running. "
            "Start the daemon again when it has finished."
        ) from None
    yield
    lock.release()


async def _documents_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[keys.DOCUMENTS].start()
    yield
    await app[keys.DOCUMENTS].stop()


async def _scans_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[keys.SCANS].start()
    yield
    await app[keys.SCANS].stop()


async def _devices_ctx(app: web.Application) -> AsyncIterator[None]:
    await app[keys.DEVICES].start()
    yield
    await app[keys.DEVICES].stop()


async def _printing_ctx(app: web.Application) -> AsyncIterator[None]:
    """After devices: workers print through them, and stop before they close."""
    devices = app[keys.DEVICES]
    printers = [slot.device_id for slot in devices.slots() if slot.kind == "printer"]
    await app[keys.PRINT_QUEUE].start(printers)
    yield
    await app[keys.PRINT_QUEUE].stop()
    await app[keys.DRAWERS].stop()


async def _log_ring_ctx(app: web.Application) -> AsyncIterator[None]:
    app[keys.LOG_RING].attach()
    yield
    app[keys.LOG_RING].detach()


async def _close_websockets(app: web.Application) -> None:
    await app[keys.WS_HUB].close_all()
