"""Property: local stock is the cloud's figure plus this till's movements the figure does not
include, so every sale is counted exactly once, whatever the interleaving of sales, refunds,
imports, cloud changes (in order, stale or replayed) and full snapshots."""

from __future__ import annotations

import asyncio
import tempfile
import uuid
from decimal import Decimal
from pathlib import Path
from typing import Any

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from bridge.catalog.changes import PulledChange, apply_change, apply_snapshot
from bridge.catalog.models import Product
from bridge.catalog.repository import upsert_products
from bridge.documents.models import Document
from bridge.documents.recorder import DocumentRecorder
from bridge.stock.importer import ImportOptions, StockImporter
from bridge.stock.ledger import StockLedger
from bridge.store import Store
from bridge.store.backup import Backups
from bridge.wire import convert

SKUS = ("A", "B")
qty = st.sampled_from(["1", "2", "0.5", "3.25"])
sku = st.sampled_from(SKUS)
OPS = st.one_of(
    st.tuples(st.just("sale"), sku, qty),
    st.tuples(st.just("refund"), st.integers(0, 20), qty),
    st.tuples(st.just("import"), sku, st.sampled_from(["0", "7", "12.5"])),
    st.tuples(st.just("cloud"), sku, st.integers(-5, 5), st.floats(0, 1)),
    st.tuples(st.just("stale"), sku),
    st.tuples(st.just("snapshot"), st.integers(-5, 5), st.floats(0, 1)),
)


class Model:
    """What the cloud knows and what the till must show."""

    def __init__(self) -> None:
        self.deltas: list[tuple[int, str, Decimal]] = []  # seq, sku, local movement
        self.external = {s: Decimal(0) for s in SKUS}  # changes the cloud got from elsewhere
        self.shown_external = {s: Decimal(0) for s in SKUS}
        self.shown_through = {s: 0 for s in SKUS}
        self.version = 0
        self.key_version: dict[str, int] = {}

    def local_total(self, s: str, after: int = 0) -> Decimal:
        return sum((q for seq, k, q in self.deltas if k == s and seq > after), Decimal(0))

    def expected(self, s: str) -> Decimal:
        # Exactly once: everything from elsewhere that the till was told, plus all its own moves.
        return self.shown_external[s] + self.local_total(s)

    def cloud_figure(self, s: str, through: int) -> Decimal:
        return self.external[s] + self.local_total(s) - self.local_total(s, through)


def sale_doc(s: str, q: str) -> dict[str, Any]:
    total = str((Decimal(q) * 10).quantize(Decimal("0.01")))
    return {
        "id": str(uuid.uuid4()),
        "type": "sale",
        "currency": "CZK",
        "lines": [{"sku": s, "quantity": q, "unit_price": "10.00", "total": total}],
        "total": total,
        "payments": [{"method": "card", "amount": total}],
    }


async def scenario(ops: list[tuple[Any, ...]], state_dir: Path) -> None:
    store = Store(state_dir / "db.sqlite3")
    await store.open()
    recorder = DocumentRecorder(store)
    await recorder.start()
    ledger = StockLedger(store)
    importer = StockImporter(store, recorder, ledger, Backups(store, state_dir / "backups", 2))
    model = Model()
    sales: list[dict[str, Any]] = []
    try:
        async with store.transaction() as tx:
            await upsert_products(
                tx,
                [Product(sku=s, name=s, price=Decimal(10), currency="CZK") for s in SKUS],
            )
        for op in ops:
            kind = op[0]
            if kind == "sale":
                doc = sale_doc(op[1], op[2])
                outcome = await recorder.record(convert(doc, Document))
                model.deltas.append((outcome.recorded.seq, op[1], -Decimal(op[2])))
                sales.append(doc)
            elif kind == "refund" and sales:
                sold = sales[op[1] % len(sales)]
                line = sold["lines"][0]
                q = min(Decimal(op[2]), Decimal(line["quantity"]))
                total = str((q * 10).quantize(Decimal("0.01")))
                doc = {
                    "id": str(uuid.uuid4()),
                    "type": "refund",
                    "sale_id": sold["id"],
                    "currency": "CZK",
                    "lines": [{"sku": line["sku"], "quantity": str(q), "unit_price": "10.00", "total": total}],
                    "total": total,
                    "payments": [{"method": "card", "amount": total}],
                }  # fmt: skip
                try:
                    outcome = await recorder.record(convert(doc, Document))
                except Exception as exc:  # refunding more than is left is refused
                    assert getattr(exc, "code", "") == "refund.exceeds_sale"
                    continue
                model.deltas.append((outcome.recorded.seq, line["sku"], q))
            elif kind == "import":
                raw = f"code;quantity\n{op[1]};{op[2]}\n".encode()
                report = await importer.run(raw, ImportOptions())
                moves = await store.fetchall(
                    "SELECT seq, quantity_milli FROM stock_movements WHERE document_id = ?",
                    (report.documents[0],),
                )
                for seq, milli in moves:
                    model.deltas.append((seq, op[1], Decimal(milli) / 1000))
                assert model.expected(op[1]) == Decimal(op[2])
            elif kind in ("cloud", "snapshot"):
                last = model.deltas[-1][0] if model.deltas else 0
                through = int(last * op[-1])
                keys = SKUS if kind == "snapshot" else (op[1],)
                changes = []
                model.version += 1
                for s in keys:
                    model.external[s] += op[-2]
                    figure = model.cloud_figure(s, through)
                    changes.append(
                        PulledChange(
                            kind="stock",
                            key=f"{s}@main",
                            op="upsert",
                            version=model.version,
                            data={
                                "sku": s,
                                "warehouse": "main",
                                "physical": str(figure),
                                "reserved": "0",
                                "includes": {store.instance_id: through, "other": 99},
                            },
                        )
                    )
                    model.key_version[s] = model.version
                    model.shown_external[s] = model.external[s]
                    model.shown_through[s] = through
                async with store.transaction() as tx:
                    if kind == "snapshot":
                        products = [
                            PulledChange(
                                kind="product",
                                key=s,
                                op="upsert",
                                version=model.version,
                                data={"sku": s, "name": s, "price": "10", "currency": "CZK"},
                            )
                            for s in SKUS
                        ]
                        await apply_snapshot(tx, products + changes, store.instance_id)
                    else:
                        assert await apply_change(tx, changes[0], store.instance_id)
            elif kind == "stale" and op[1] in model.key_version:
                stale = PulledChange(
                    kind="stock",
                    key=f"{op[1]}@main",
                    op="upsert",
                    version=model.key_version[op[1]],  # a replay: not newer, so skipped
                    data={"sku": op[1], "warehouse": "main", "physical": "999", "includes": {}},
                )
                async with store.transaction() as tx:
                    applied = await apply_change(tx, stale, store.instance_id)
                assert applied is False
            for s in SKUS:
                view = await ledger.view(s)
                shown = next((w.physical for w in view.warehouses), Decimal(0))
                assert shown == model.expected(s), (op, s, shown, model.expected(s))
                free = next((w.free for w in view.warehouses), Decimal(0))
                assert free == shown  # nothing reserved here
    finally:
        await recorder.stop()
        await store.close()


@settings(
    max_examples=25,
    deadline=None,
    suppress_health_check=[HealthCheck.too_slow],
)
@given(st.lists(OPS, min_size=1, max_size=14))
def test_stock_is_cloud_figure_plus_unincluded_local_movements(ops: list[tuple[Any, ...]]) -> None:
    with tempfile.TemporaryDirectory() as tmp:
        asyncio.run(scenario(ops, Path(tmp)))
