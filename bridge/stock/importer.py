"""Stock import: a counted file becomes inventory_count documents, all in one transaction.

Rows that cannot be used (unknown code, bad quantity, duplicate) are refused with their line
number and the rest applied; a file that cannot be read at all, or any refusal under `strict`,
changes nothing. A backup is taken before anything is written.
"""

from __future__ import annotations

import asyncio
import re
import uuid
from collections import defaultdict
from collections.abc import Callable, Mapping
from dataclasses import asdict, dataclass, field
from decimal import Decimal
from typing import Any

from bridge.catalog.repository import barcode_candidates
from bridge.decimals import QUANTITY_PLACES, places, try_decimal
from bridge.documents.models import CountLine, InventoryCount
from bridge.documents.recorder import DocumentRecorder
from bridge.stock import headers
from bridge.stock.ledger import DEFAULT_WAREHOUSE, StockLedger
from bridge.stock.tabular import FileUnreadable, Row, Table, read_table
from bridge.store import Store
from bridge.store.backup import Backups

CHUNK_LINES = 1000  # one document per chunk keeps each upstream event well under 1 MiB
Progress = Callable[[str, int, int], None]
_SPACES = re.compile(r"[\s\u00a0\u202f']")


@dataclass
class ImportOptions:
    warehouse: str = DEFAULT_WAREHOUSE
    dry_run: bool = False
    strict: bool = False
    encoding: str | None = None
    delimiter: str | None = None
    sheet: str | None = None
    columns: Mapping[str, str] = field(default_factory=dict)  # role -> header text or number
    source: str | None = None


@dataclass
class RefusedRow:
    line: int
    reason: str
    code: str | None = None


@dataclass
class Discrepancy:
    sku: str
    warehouse: str
    counted: str
    system: str
    difference: str


@dataclass
class ImportReport:
    format: str
    encoding: str | None
    delimiter: str | None
    columns: dict[str, str]
    rows_total: int
    applied: int
    refused: list[RefusedRow]
    dry_run: bool
    committed: bool
    backup: str | None = None
    documents: list[str] = field(default_factory=list)
    changed: int = 0
    discrepancies: list[Discrepancy] = field(default_factory=list)
    message: str = ""

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


class ImportFailed(Exception):
    """The whole file was refused; nothing changed."""


def parse_quantity(text: str) -> Decimal | str:
    """A count as people write it ("1 234,5", "12.000"), or the reason it is not one."""
    cleaned = _SPACES.sub("", text)
    if not cleaned:
        return "the quantity is empty"
    if "," in cleaned and "." in cleaned:
        cleaned = (
            cleaned.replace(",", "")
            if cleaned.rfind(".") > cleaned.rfind(",")
            else cleaned.replace(".", "").replace(",", ".")
        )
    else:
        cleaned = cleaned.replace(",", ".")
    value = try_decimal(cleaned) if re.fullmatch(r"-?\d+(\.\d+)?", cleaned) else None
    if value is None:
        return f"quantity {text!r} is not a number"
    if value < 0:
        return f"quantity {text} is negative"
    if places(value) > QUANTITY_PLACES:
        return f"quantity {text} has more than {QUANTITY_PLACES} decimal places"
    return value


@dataclass
class _Row:
    line: int
    sku: str
    warehouse: str
    counted: Decimal


class StockImporter:
    def __init__(
        self, store: Store, recorder: DocumentRecorder, ledger: StockLedger, backups: Backups
    ) -> None:
        self._store = store
        self._recorder = recorder
        self._ledger = ledger
        self._backups = backups

    async def run(
        self, raw: bytes, options: ImportOptions, progress: Progress | None = None
    ) -> ImportReport:
        """Read, check, and (unless a dry run) apply; raises ImportFailed when nothing can be."""
        report_progress = progress or (lambda stage, done, total: None)
        try:
            table = await asyncio.to_thread(
                read_table,
                raw,
                encoding=options.encoding,
                delimiter=options.delimiter,
                sheet=options.sheet,
            )
        except FileUnreadable as exc:
            raise ImportFailed(str(exc)) from None
        header, columns = self._columns(table, options)
        data = table.rows[header + 1 :] if header is not None else table.rows
        skus, codes = await self._catalog_index()
        rows, refused = self._check_rows(data, columns, options, skus, codes, report_progress)
        report = ImportReport(
            format=table.format,
            encoding=table.encoding,
            delimiter=table.delimiter,
            columns={
                role: (table.rows[header][1][i] if header is not None else f"#{i + 1}")
                for role, i in columns.items()
                if header is None or i < len(table.rows[header][1])
            },
            rows_total=len(data),
            applied=0,
            refused=refused,
            dry_run=options.dry_run,
            committed=False,
        )
        if not rows:
            raise ImportFailed(
                "no usable rows"
                + (
                    f": {len(refused)} refused, first on line {refused[0].line}: {refused[0].reason}"
                    if refused
                    else ""
                )
            )
        if options.dry_run or (options.strict and refused):
            await self._discrepancies(rows, report)  # an applied import lists what it recorded
        if options.dry_run:
            report.applied = len(rows)
            report.message = "dry run: nothing was changed"
            return report
        if options.strict and refused:
            report.message = f"{len(refused)} rows refused and --strict given: nothing was changed"
            return report
        backup = await self._backups.create("import")
        report.backup = str(backup.path)
        await self._apply(rows, options, report, report_progress)
        report.applied, report.committed = len(rows), True
        report.message = f"applied {len(rows)} rows in {len(report.documents)} documents"
        return report

    def _columns(self, table: Table, options: ImportOptions) -> tuple[int | None, dict[str, int]]:
        found = headers.find_header(table.rows)
        header_pos = found[0] if found else None
        header_cells = table.rows[header_pos][1] if header_pos is not None else None
        try:
            columns = headers.apply_mapping(
                header_cells, options.columns, found[1] if found else {}
            )
        except headers.ColumnError as exc:
            raise ImportFailed(str(exc)) from None
        if header_pos is None and not options.columns:
            first = table.rows[0][1] if table.rows else []
            raise ImportFailed(
                "no header naming the code and quantity columns was found; first row: "
                + ", ".join(repr(c) for c in first[:8])
                + ". Map them with --code-column and --quantity-column."
            )
        missing = [role for role in headers.REQUIRED if role not in columns]
        if missing:
            raise ImportFailed(
                f"no {' or '.join(missing)} column; map it with --{missing[0]}-column"
            )
        return header_pos, columns

    async def _catalog_index(self) -> tuple[set[str], dict[str, str]]:
        skus = {row[0] for row in await self._store.fetchall("SELECT sku FROM products")}
        codes = {
            row[0]: row[1] for row in await self._store.fetchall("SELECT code, sku FROM barcodes")
        }
        return skus, codes

    def _check_rows(
        self,
        data: list[Row],
        columns: dict[str, int],
        options: ImportOptions,
        skus: set[str],
        codes: dict[str, str],
        progress: Progress,
    ) -> tuple[list[_Row], list[RefusedRow]]:
        rows: list[_Row] = []
        refused: list[RefusedRow] = []
        seen: dict[tuple[str, str], int] = {}
        total = len(data)

        def cell(cells: list[str], role: str) -> str:
            index = columns.get(role)
            return cells[index].strip() if index is not None and index < len(cells) else ""

        for done, (line, cells) in enumerate(data, start=1):
            if done % 5000 == 0:
                progress("checking", done, total)
            code = cell(cells, "code")
            if not code:
                refused.append(RefusedRow(line, "the code is empty"))
                continue
            sku = code if code in skus else None
            if sku is None:
                sku = next((codes[c] for c in barcode_candidates(code) if c in codes), None)
            if sku is None:
                refused.append(
                    RefusedRow(line, f"{code!r} is not a SKU or barcode in the catalog", code)
                )
                continue
            quantity = parse_quantity(cell(cells, "quantity"))
            if isinstance(quantity, str):
                refused.append(RefusedRow(line, quantity, code))
                continue
            warehouse = cell(cells, "warehouse") or options.warehouse
            if "@" in warehouse:
                refused.append(
                    RefusedRow(line, f"warehouse {warehouse!r} may not contain '@'", code)
                )
                continue
            key = (sku, warehouse)
            if key in seen:
                refused.append(
                    RefusedRow(
                        line, f"{sku} in {warehouse} was already counted on line {seen[key]}", code
                    )
                )
                continue
            seen[key] = line
            rows.append(_Row(line, sku, warehouse, quantity))
        progress("checking", total, total)
        return rows, refused

    async def _discrepancies(self, rows: list[_Row], report: ImportReport) -> None:
        by_warehouse: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            by_warehouse[row.warehouse].append(row)
        for warehouse, group in by_warehouse.items():
            system = await self._ledger.physical_many([r.sku for r in group], warehouse)
            for row in group:
                expected = system.get(row.sku, Decimal(0))
                if expected != row.counted:
                    report.changed += 1
                    report.discrepancies.append(
                        Discrepancy(
                            row.sku,
                            warehouse,
                            str(row.counted),
                            str(expected),
                            str(row.counted - expected),
                        )
                    )

    async def _apply(
        self, rows: list[_Row], options: ImportOptions, report: ImportReport, progress: Progress
    ) -> None:
        by_warehouse: dict[str, list[_Row]] = defaultdict(list)
        for row in rows:
            by_warehouse[row.warehouse].append(row)
        done = 0
        async with self._store.transaction() as tx:
            for warehouse, group in by_warehouse.items():
                for start in range(0, len(group), CHUNK_LINES):
                    chunk = group[start : start + CHUNK_LINES]
                    doc = InventoryCount(
                        id=uuid.uuid4(),
                        warehouse=warehouse,
                        source=options.source,
                        lines=[CountLine(sku=r.sku, counted=r.counted) for r in chunk],
                    )
                    recorded = await self._recorder.record_in(tx, doc)
                    _discrepancies_recorded(recorded, report)
                    report.documents.append(str(doc.id))
                    done += len(chunk)
                    progress("applying", done, len(rows))


def _discrepancies_recorded(document: dict[str, Any], report: ImportReport) -> None:
    """The count's own expected figures, read in the import's transaction: what was applied."""
    warehouse = document["warehouse"]
    for line in document["lines"]:
        if Decimal(line["difference"]) != 0:
            report.changed += 1
            report.discrepancies.append(
                Discrepancy(
                    line["sku"], warehouse, line["counted"], line["expected"], line["difference"]
                )
            )
