"""Stock figures, the technician's import upload, the discrepancy report, and backups."""

from __future__ import annotations

from typing import Any

from aiohttp import web

from bridge import keys
from bridge.api.errors import ApiError
from bridge.api.responses import model_response as _json
from bridge.api.routing import RouteSpec
from bridge.auth.roles import Role
from bridge.stock import discrepancies
from bridge.stock.importer import ImportFailed, ImportOptions, StockImporter
from bridge.stock.ledger import StockView
from bridge.wire import Wire


class ImportResult(Wire):
    report: dict[str, Any]


class BackupInfo(Wire):
    path: str
    taken_at: str
    reason: str
    size: int


class BackupList(Wire):
    backups: list[BackupInfo]


async def stock_of(request: web.Request) -> web.Response:
    sku = request.match_info["sku"]
    view = await request.app[keys.STOCK].view(sku)
    if not view.warehouses and await request.app[keys.CATALOG].by_sku(sku) is None:
        raise ApiError(404, "product.not_found", f"No product or stock with SKU {sku!r}.")
    return _json(view)


def _flag(request: web.Request, name: str) -> bool:
    return request.query.get(name, "").lower() in ("1", "true", "yes")


async def upload_import(request: web.Request) -> web.Response:
    """The body is the file itself (CSV, .xlsx or .xls); options are query parameters."""
    raw = await request.read()
    q = request.query
    options = ImportOptions(
        warehouse=q.get("warehouse", "main"),
        dry_run=_flag(request, "dry_run"),
        strict=_flag(request, "strict"),
        encoding=q.get("encoding") or None,
        delimiter=q.get("delimiter") or None,
        sheet=q.get("sheet") or None,
        columns={
            role: q[f"{role}_column"]
            for role in ("code", "name", "quantity", "warehouse")
            if q.get(f"{role}_column")
        },
        source=q.get("filename") or "upload",
    )
    app = request.app
    importer = StockImporter(
        app[keys.STORE], app[keys.DOCUMENTS], app[keys.STOCK], app[keys.BACKUPS]
    )
    try:
        report = await importer.run(raw, options)
    except ImportFailed as exc:
        raise ApiError(422, "import.refused", f"Nothing was imported: {exc}") from None
    return _json(ImportResult(report=report.to_dict()), 201 if report.committed else 200)


async def discrepancy_report(request: web.Request) -> web.Response:
    result = await discrepancies.report(
        request.app[keys.STORE],
        warehouse=request.query.get("warehouse") or None,
        document_id=request.query.get("document") or None,
        only_different=not _flag(request, "all"),
    )
    return _json(result)


def _backup_info(b: Any) -> BackupInfo:
    return BackupInfo(path=str(b.path), taken_at=b.taken_at, reason=b.reason, size=b.size)


async def create_backup(request: web.Request) -> web.Response:
    taken = await request.app[keys.BACKUPS].create("api")
    return _json(_backup_info(taken), 201)


async def list_backups(request: web.Request) -> web.Response:
    return _json(BackupList(backups=[_backup_info(b) for b in request.app[keys.BACKUPS].list()]))


def routes() -> list[RouteSpec]:
    C, T = Role.CASHIER, Role.TECHNICIAN
    return [
        RouteSpec(
            "GET",
            "/api/v1/stock/discrepancies",
            discrepancy_report,
            "Counted against system stock per SKU: ?warehouse=&document=&all=1",
            C,
            response_model=discrepancies.DiscrepancyReport,
            tag="stock",
        ),
        RouteSpec(
            "GET",
            "/api/v1/stock/{sku}",
            stock_of,
            "Physical, reserved and free stock per warehouse, counting local sales not yet synced.",
            C,
            response_model=StockView,
            errors=(404,),
            tag="stock",
        ),
        RouteSpec(
            "POST",
            "/api/v1/stock/imports",
            upload_import,
            "Import a stock count file (body: the CSV/.xlsx/.xls bytes); ?dry_run=1&warehouse=…",
            T,
            response_model=ImportResult,
            status=201,
            errors=(413, 422),
            tag="stock",
        ),
        RouteSpec(
            "GET",
            "/api/v1/backups",
            list_backups,
            "Database backups kept on the till.",
            T,
            response_model=BackupList,
            tag="store",
        ),
        RouteSpec(
            "POST",
            "/api/v1/backups",
            create_backup,
            "Take an online backup of the database now.",
            T,
            response_model=BackupInfo,
            status=201,
            tag="store",
        ),
    ]
