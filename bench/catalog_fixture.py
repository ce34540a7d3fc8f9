"""A 100,000-product catalog for the benchmarks, in mixed scripts, written in bulk."""

from __future__ import annotations

import random
from decimal import Decimal

from bridge.catalog.models import Product
from bridge.catalog.repository import upsert_products
from bridge.store import Store

WORDS = [
    "Žluťoučký", "kůň", "Молоко", "пастеризованное", "Árvíztűrő", "tükörfúrógép", "新鲜", "牛奶",
    "Chléb", "Хлеб", "ржаной", "sýr", "eidam", "kenyér", "Grüner", "Tee", "绿茶", "яблоко",
    "jablko", "alma", "papír", "бумага", "kávé", "káva", "咖啡", "čokoláda", "шоколад",
]  # fmt: skip


def ean13(n: int) -> str:
    body = f"859{n:09d}"
    total = sum(int(d) * (3 if i % 2 else 1) for i, d in enumerate(body))
    return body + str((10 - total % 10) % 10)


def products(count: int, seed: int = 7) -> list[Product]:
    rng = random.Random(seed)
    return [
        Product(
            sku=f"SKU{i:06d}",
            name=" ".join(rng.sample(WORDS, 3)) + f" {i}",
            barcodes=[ean13(i)],
            price=Decimal(rng.randint(100, 99_999)) / 100,
            currency="CZK",
        )
        for i in range(count)
    ]


async def fill(store: Store, count: int = 100_000) -> list[Product]:
    made = products(count)
    async with store.transaction() as tx:
        for start in range(0, len(made), 10_000):
            await upsert_products(tx, made[start : start + 10_000])
    return made
