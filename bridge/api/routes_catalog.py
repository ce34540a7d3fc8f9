"""Catalog lookups for the POS (barcode, SKU, name search) and local product edits."""

from __future__ import annotations

from aiohttp import web

from bridge import keys
from bridge.api.errors import ApiError
from bridge.api.json_body import read_model
from bridge.api.responses import model_response as _json
from bridge.api.routing import RouteSpec
from bridge.auth.roles import Role
from bridge.catalog.models import Product, ProductDetail, ProductList, ProductUpserted
from bridge.catalog.repository import upsert_product

MAX_LIMIT = 100


async def by_barcode(request: web.Request) -> web.Response:
    code = request.match_info["code"]
    product = await request.app[keys.CATALOG].by_barcode(code)
    if product is None:
        raise ApiError(
            404, "product.not_found", f"No product has barcode {code!r}.", {"code": code}
        )
    return _json(product)


async def by_sku(request: web.Request) -> web.Response:
    sku = request.match_info["sku"]
    product = await request.app[keys.CATALOG].detail(sku)
    if product is None:
        raise ApiError(404, "product.not_found", f"No product with SKU {sku!r}.", {"sku": sku})
    return _json(product)


async def search(request: web.Request) -> web.Response:
    query = request.query.get("q", "")
    if not query.strip():
        raise ApiError(400, "search.empty", "Give the text to search for as ?q=…")
    if len(query) > 200:
        raise ApiError(400, "search.too_long", "Search text is limited to 200 characters.")
    try:
        limit = int(request.query.get("limit", "20"))
    except ValueError:
        limit = -1
    if not 1 <= limit <= MAX_LIMIT:
        raise ApiError(400, "search.bad_limit", f"limit must be 1-{MAX_LIMIT}.")
    found = await request.app[keys.CATALOG].search(query, limit)
    return _json(ProductList(products=found))


async def put_product(request: web.Request) -> web.Response:
    max_depth = request.app[keys.CONFIG].settings.server.max_json_depth
    product = await read_model(request, Product, max_depth)
    sku = request.match_info["sku"]
    if product.sku != sku:
        raise ApiError(
            422, "product.sku_mismatch", f"The body's sku {product.sku!r} is not {sku!r}."
        )
    async with request.app[keys.STORE].transaction() as tx:
        created = await upsert_product(tx, product)
    return _json(ProductUpserted(product=product, created=created), 201 if created else 200)


def routes() -> list[RouteSpec]:
    C, T = Role.CASHIER, Role.TECHNICIAN
    return [
        RouteSpec(
            "GET",
            "/api/v1/products/by-barcode/{code}",
            by_barcode,
            "The product with this barcode (EAN-13 and UPC-A twins match).",
            C,
            response_model=Product,
            errors=(404,),
            tag="catalog",
        ),
        RouteSpec(
            "GET",
            "/api/v1/products/{sku}",
            by_sku,
            "A product by SKU, with the other variants of its group.",
            C,
            response_model=ProductDetail,
            errors=(404,),
            tag="catalog",
        ),
        RouteSpec(
            "GET",
            "/api/v1/products",
            search,
            "Search by name words (case and diacritics folded), SKU or barcode: ?q=…&limit=…",
            C,
            response_model=ProductList,
            errors=(400,),
            tag="catalog",
        ),
        RouteSpec(
            "PUT",
            "/api/v1/products/{sku}",
            put_product,
            "Create or replace a product locally (the cloud's next change wins).",
            T,
            Product,
            ProductUpserted,
            errors=(400, 415, 422),
            tag="catalog",
        ),
    ]
