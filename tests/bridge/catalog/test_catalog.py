"""Catalog lookups: barcodes (with UPC/EAN twins), SKU with variants, folded name search, scans."""

from __future__ import annotations

import pytest

from tests.bridge.catalog_helpers import product, put_products
from tests.conftest import Api


@pytest.fixture
async def catalog(api: Api) -> Api:
    await put_products(
        api,
        product("KUN", "Žluťoučký kůň", barcodes=["8594001234567"]),
        product("MOLOKO", "Молоко Домик в деревне 3,2%", barcodes=["4600000000017"]),
        product("NAI", "新鲜牛奶 1升"),
        product("TUKOR", "Árvíztűrő tükörfúrógép", barcodes=["036000291452"]),
        product("TEE-M", "T-shirt", group="TEE", attributes={"size": "M"}),
        product("TEE-L", "T-shirt", group="TEE", attributes={"size": "L"}),
    )
    return api


async def get(api: Api, path: str) -> tuple[int, dict]:
    status, body, _ = await api.call("GET", path, token=api.cashier)
    return status, body


async def test_barcode_lookup_and_upc_ean_twins(catalog: Api) -> None:
    status, body = await get(catalog, "/api/v1/products/by-barcode/8594001234567")
    assert status == 200 and body["sku"] == "KUN" and body["price"] == "10.00"
    status, body = await get(catalog, "/api/v1/products/by-barcode/0036000291452")
    assert status == 200 and body["sku"] == "TUKOR"
    status, body = await get(catalog, "/api/v1/products/by-barcode/123")
    assert status == 404 and body["error"]["code"] == "product.not_found"


async def test_sku_lookup_lists_the_other_variants(catalog: Api) -> None:
    status, body = await get(catalog, "/api/v1/products/TEE-M")
    assert status == 200 and body["attributes"] == {"size": "M"}
    assert [v["sku"] for v in body["variants"]] == ["TEE-L"]


@pytest.mark.parametrize(
    ("query", "sku"),
    [
        ("zlutoucky", "KUN"),
        ("ŽLUŤOUČKÝ KŮŇ", "KUN"),
        ("kun zlut", "KUN"),
        ("молоко", "MOLOKO"),
        ("МОЛОК дерев", "MOLOKO"),
        ("牛奶", "NAI"),
        ("鲜", "NAI"),
        ("arvizturo", "TUKOR"),
        ("tukorfurogep", "TUKOR"),
        ("8594001234567", "KUN"),
        ("tee-l", "TEE-L"),
    ],
)
async def test_name_search_folds_case_and_diacritics(catalog: Api, query: str, sku: str) -> None:
    status, body = await get(catalog, f"/api/v1/products?q={query}")
    assert status == 200
    assert sku in [p["sku"] for p in body["products"]], body


async def test_search_misses_and_bad_queries(catalog: Api) -> None:
    status, body = await get(catalog, "/api/v1/products?q=zzzz")
    assert status == 200 and body["products"] == []
    assert (await get(catalog, "/api/v1/products?q="))[0] == 400
    assert (await get(catalog, "/api/v1/products?q=a&limit=0"))[0] == 400
    status, body = await get(catalog, '/api/v1/products?q="*NEAR(')
    assert status == 200  # FTS syntax in the query is plain text


async def test_scan_events_carry_the_product(catalog: Api) -> None:
    ws = await catalog.ws_authed(["scan"])
    try:
        status, _, _ = await catalog.call(
            "POST", "/api/v1/scanners/scanner/scans", json_body={"code": "4600000000017"}
        )
        assert status == 202
        event = await ws.receive_json(timeout=5)
        assert event["data"]["product"]["sku"] == "MOLOKO"
    finally:
        await ws.close()


async def test_product_edit_is_technician_only_and_replaces_barcodes(catalog: Api) -> None:
    p = product("KUN", "Kůň", barcodes=["111"])
    status, _, _ = await catalog.call(
        "PUT", "/api/v1/products/KUN", json_body=p, token=catalog.cashier
    )
    assert status == 403
    status, body, _ = await catalog.call("PUT", "/api/v1/products/KUN", json_body=p)
    assert status == 200 and body["created"] is False
    assert (await get(catalog, "/api/v1/products/by-barcode/8594001234567"))[0] == 404
    assert (await get(catalog, "/api/v1/products/by-barcode/111"))[1]["name"] == "Kůň"
    bad = {**p, "price": 1.5}
    status, body, _ = await catalog.call("PUT", "/api/v1/products/KUN", json_body=bad)
    assert status == 422
