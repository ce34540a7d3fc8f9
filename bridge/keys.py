"""Typed app state: every subsystem the app factory builds, under one key each."""

from __future__ import annotations

from pathlib import Path
from typing import TYPE_CHECKING

from aiohttp import web

if TYPE_CHECKING:  # the classes only name the types; importing them here would load everything
    from bridge.api.routing import RouteSpec
    from bridge.api.security import OriginPolicy
    from bridge.api.ws_hub import WebSocketHub
    from bridge.auth.pairing import PairingCodes
    from bridge.auth.pin import PinGuard, PinStore
    from bridge.auth.tokens import TokenStore
    from bridge.catalog.repository import CatalogRepository
    from bridge.config.loader import LoadedConfig
    from bridge.devices.manager import DeviceManager
    from bridge.documents.recorder import DocumentRecorder
    from bridge.drawers.service import DrawerService
    from bridge.events.bus import EventBus
    from bridge.logging_setup import LogRing
    from bridge.printing.queue import PrintQueue
    from bridge.services.scans import ScanService
    from bridge.stock.ledger import StockLedger
    from bridge.store import Store
    from bridge.store.backup import Backups
    from bridge.store.lock import DaemonLock

CONFIG: web.AppKey[LoadedConfig] = web.AppKey("config")
STATE_DIR: web.AppKey[Path] = web.AppKey("state_dir")
STORE: web.AppKey[Store] = web.AppKey("store")
TOKENS: web.AppKey[TokenStore] = web.AppKey("tokens")
PAIRING: web.AppKey[PairingCodes] = web.AppKey("pairing")
BUS: web.AppKey[EventBus] = web.AppKey("bus")
SCANS: web.AppKey[ScanService] = web.AppKey("scans")
DEVICES: web.AppKey[DeviceManager] = web.AppKey("devices")
WS_HUB: web.AppKey[WebSocketHub] = web.AppKey("ws_hub")
ORIGINS: web.AppKey[OriginPolicy] = web.AppKey("origins")
ROUTE_SPECS: web.AppKey[dict[object, RouteSpec]] = web.AppKey("route_specs")
# Technician page (issue 8)
PINS: web.AppKey[PinStore] = web.AppKey("pins")
PIN_GUARD: web.AppKey[PinGuard] = web.AppKey("pin_guard")
LOG_RING: web.AppKey[LogRing] = web.AppKey("log_ring")
# Catalog, stock and documents (issue 6)
CATALOG: web.AppKey[CatalogRepository] = web.AppKey("catalog")
STOCK: web.AppKey[StockLedger] = web.AppKey("stock")
DOCUMENTS: web.AppKey[DocumentRecorder] = web.AppKey("documents")
BACKUPS: web.AppKey[Backups] = web.AppKey("backups")
DAEMON_LOCK: web.AppKey[DaemonLock] = web.AppKey("daemon_lock")
# Print queue and cash drawers (issue 4)
PRINT_QUEUE: web.AppKey[PrintQueue] = web.AppKey("print_queue")
DRAWERS: web.AppKey[DrawerService] = web.AppKey("drawers")
