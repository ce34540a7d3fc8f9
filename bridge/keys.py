"""Typed app state: every subsystem the app factory builds, under one key each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:
    pass

CONFIG = web.AppKey("config", "LoadedConfig")
STATE_DIR = web.AppKey("state_dir", Path)
STORE = web.AppKey("store", "Store")
TOKENS = web.AppKey("tokens", "TokenStore")
PAIRING = web.AppKey("pairing", "PairingCodes")
BUS = web.AppKey("bus", "EventBus")
SCANS = web.AppKey("scans", "ScanService")
DEVICES = web.AppKey("devices", "DeviceManager")
WS_HUB = web.AppKey("ws_hub", "WebSocketHub")
ORIGINS = web.AppKey("origins", "OriginPolicy")
ROUTE_SPECS = web.AppKey("route_specs", "dict[object, RouteSpec]")
# Technician page (issue 8)
PINS = web.AppKey("pins", "PinStore")
PIN_GUARD = web.AppKey("pin_guard", "PinGuard")
LOG_RING = web.AppKey("log_ring", "LogRing")
# Catalog, stock and documents (issue 6)
CATALOG = web.AppKey("catalog", "CatalogRepository")
STOCK = web.AppKey("stock", "StockLedger")
DOCUMENTS = web.AppKey("documents", "DocumentRecorder")
BACKUPS = web.AppKey("backups", "Backups")
DAEMON_LOCK = web.AppKey("daemon_lock", "DaemonLock")
# Print queue and cash drawers (issue 4)
PRINT_QUEUE = web.AppKey("print_queue", "PrintQueue")
DRAWERS = web.AppKey("drawers", "DrawerService")
