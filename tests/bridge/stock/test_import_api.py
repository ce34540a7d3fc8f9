"""Stock import through the technician upload: languages, encodings, formats, broken files."""

from __future__ import annotations

from typing import Any

import pytest

from bridge import keys
from tests.bridge.catalog_helpers import post, product, put_products, sale, stock
from tests.bridge.stock.import_files import HEADERS, NAMES, csv_bytes, xls_bytes, xlsx_bytes
from tests.conftest import Api


async def upload(api: Api, raw: bytes, token: str | None = None, **query: str) -> tuple[int, Any]:
    params = "&".join(f"{k}={v}" for k, v in query.items())
    status, body, _ = await api.call(
        "POST",
        "/api/v1/stock/imports" + (f"?{params}" if params else ""),
        data=raw,
        headers={**api.auth(token), "Content-Type": "application/octet-stream"},
    )
    return status, body


@pytest.fixture
async def catalog(api: Api) -> Api:
    await put_products(
        api,
        product("A1", NAMES["cs"], barcodes=["8594000000012"]),
        product("B2", NAMES["ru"]),
        product("C3", NAMES["zh"]),
    )
    return api


ENCODINGS = {"en": "utf-8", "ru": "cp1251", "cs": "cp1250", "hu": "cp1250", "zh": "utf-8"}


@pytest.mark.parametrize("lang", sorted(HEADERS))
@pytest.mark.parametrize("bom", [False, True])
async def test_csv_in_each_language_and_its_encoding(catalog: Api, lang: str, bom: bool) -> None:
    encoding = "utf-8" if bom else ENCODINGS[lang]
    rows = [HEADERS[lang], ("8594000000012", NAMES[lang], "12,5"), ("B2", NAMES[lang], "3")]
    status, body = await upload(catalog, csv_bytes(rows, encoding=encoding, bom=bom))
    assert status == 201, body
    report = body["report"]
    assert report["applied"] == 2 and report["refused"] == []
    assert report["encoding"] == ("utf-8-sig" if bom else encoding)
    assert (await stock(catalog, "A1"))["physical"] == "12.500"
    assert (await stock(catalog, "B2"))["physical"] == "3.000"


@pytest.mark.parametrize("delimiter", [",", ";", "\t", "|"])
async def test_any_delimiter(catalog: Api, delimiter: str) -> None:
    rows = [("sku", "qty"), ("A1", "4"), ("C3", "1.25")]
    status, body = await upload(catalog, csv_bytes(rows, delimiter=delimiter))
    assert status == 201, body
    assert body["report"]["delimiter"] == delimiter
    assert (await stock(catalog, "C3"))["physical"] == "1.250"


@pytest.mark.parametrize("make", [xlsx_bytes, xls_bytes], ids=["xlsx", "xls"])
async def test_excel_files_with_numeric_barcodes(catalog: Api, make: Any) -> None:
    rows = [("Report", "", ""), HEADERS["ru"], (8594000000012, NAMES["ru"], 7), ("B2", "x", 2.5)]
    status, body = await upload(catalog, make(rows))
    assert status == 201, body
    assert body["report"]["applied"] == 2
    assert (await stock(catalog, "A1"))["physical"] == "7.000"
    assert (await stock(catalog, "B2"))["physical"] == "2.500"


@pytest.mark.parametrize("make", [xlsx_bytes, xls_bytes], ids=["xlsx", "xls"])
async def test_excel_rows_and_columns_count_as_excel_shows_them(catalog: Api, make: Any) -> None:
    await put_products(
        catalog, product("007", "Leading zeros"), product("D4", "EAN", barcodes=["4006381333931"])
    )
    rows = [
        (None, "Stock count", None, None),
        (None, None, None, None),
        (None, "007", "text code", 1.5),  # row 3: a code typed as text keeps its zeros
        (None, 4006381333931, "barcode stored as a number", 2),
        (None, "D4", "same product again", 3),  # row 5 refused: D4 counted twice
        (None, "C3", "no count", None),  # row 6 refused: empty quantity
    ]
    status, body = await upload(catalog, make(rows), code_column="2", quantity_column="4")
    assert status == 201, body
    report = body["report"]
    assert report["applied"] == 2
    refused = {r["line"]: r["reason"] for r in report["refused"]}
    assert sorted(refused) == [1, 5, 6]  # the title row is not a code either
    assert "line 4" in refused[5] and "empty" in refused[6]
    assert (await stock(catalog, "007"))["physical"] == "1.500"
    assert (await stock(catalog, "D4"))["physical"] == "2.000"


async def test_a_formula_error_in_excel_refuses_its_row(catalog: Api) -> None:
    rows = [("code", "qty"), ("A1", "#N/A"), ("B2", 4)]
    status, body = await upload(catalog, xlsx_bytes(rows))
    assert status == 201, body
    assert [r["line"] for r in body["report"]["refused"]] == [2]
    assert await stock(catalog, "A1") is None
    assert (await stock(catalog, "B2"))["physical"] == "4.000"


async def test_excel_sheet_chosen_by_name(catalog: Api) -> None:
    raw = xlsx_bytes([("notes",)], sheets={"Sklad": [("Kód", "Množství"), ("B2", 6)]})
    status, body = await upload(catalog, raw, sheet="Sklad")
    assert status == 201, body
    assert (await stock(catalog, "B2"))["physical"] == "6.000"
    status, body = await upload(catalog, raw, sheet="Lager")
    assert status == 422 and "Sklad" in body["error"]["message"]


async def test_a_stray_cell_far_from_the_data_is_refused_with_advice(catalog: Api) -> None:
    raw = xlsx_bytes([("code", "qty"), ("A1", 1)], cells={"XFD1048576": "x"})
    status, body = await upload(catalog, raw)
    assert status == 422, body
    message = body["error"]["message"]
    assert "XFD" in message and "1048576" in message and "Ctrl+End" in message
    assert await stock(catalog, "A1") is None
    assert catalog.daemon.app[keys.BACKUPS].list() == []


async def test_refused_rows_are_reported_with_line_numbers(catalog: Api) -> None:
    rows = [
        ("code", "name", "quantity"),
        ("A1", "ok", "5"),
        ("NOPE", "unknown", "1"),
        ("B2", "bad", "five"),
        ("C3", "negative", "-1"),
        ("A1", "again", "6"),
        ("", "no code", "1"),
        ("C3", "too fine", "1.0001"),
    ]
    status, body = await upload(catalog, csv_bytes(rows, delimiter=","))
    assert status == 201, body
    refused = {r["line"]: r["reason"] for r in body["report"]["refused"]}
    assert sorted(refused) == [3, 4, 5, 6, 7, 8]
    assert "not a SKU or barcode" in refused[3] and "not a number" in refused[4]
    assert "negative" in refused[5] and "line 2" in refused[6]
    assert "decimal places" in refused[8]
    assert body["report"]["applied"] == 1 and body["report"]["backup"]
    assert (await stock(catalog, "A1"))["physical"] == "5.000"


async def test_strict_and_dry_run_change_nothing(catalog: Api) -> None:
    raw = csv_bytes([("code", "quantity"), ("A1", "5"), ("NOPE", "1")], delimiter=",")
    status, body = await upload(catalog, raw, strict="1")
    assert status == 200 and body["report"]["committed"] is False
    status, body = await upload(catalog, raw, dry_run="1")
    assert status == 200 and body["report"]["discrepancies"][0]["difference"] == "5.000"
    assert await stock(catalog, "A1") is None  # no figure was ever recorded
    store = catalog.daemon.app[keys.STORE]
    assert await store.fetchall("SELECT seq FROM outbox") == []


BROKEN = {
    "empty": b"",
    "no header": csv_bytes([("A1", "5"), ("B2", "3")]),
    "binary": b"\x00\x01\x02garbage\x00" * 50,
    "truncated xlsx": xlsx_bytes([("code", "qty"), ("A1", 1)])[:300],
    "damaged xls": b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1" + b"\xff" * 600,
    "bad utf-8 after BOM": b"\xef\xbb\xbfcode;qty\n\xff\xfe;1\n",
    "only bad rows": csv_bytes([("code", "qty"), ("NOPE", "1")]),
    "missing quantity column": csv_bytes([("code", "name"), ("A1", "x")]),
}


@pytest.mark.parametrize("name", sorted(BROKEN))
async def test_a_broken_file_changes_nothing(catalog: Api, name: str) -> None:
    await post(catalog, sale([("A1", "1", "10.00")]))
    status, body = await upload(catalog, BROKEN[name])
    assert status == 422, body
    assert body["error"]["code"] == "import.refused"
    assert body["error"]["message"].startswith("Nothing was imported")
    assert (await stock(catalog, "A1"))["physical"] == "-1.000"
    store = catalog.daemon.app[keys.STORE]
    assert len(await store.fetchall("SELECT seq FROM outbox")) == 1
    assert catalog.daemon.app[keys.BACKUPS].list() == []


async def test_column_mapping_by_number_without_header(catalog: Api) -> None:
    raw = csv_bytes([("x", "A1", "9"), ("y", "B2", "1")])
    status, body = await upload(catalog, raw, code_column="2", quantity_column="3")
    assert status == 201, body
    assert (await stock(catalog, "A1"))["physical"] == "9.000"


async def test_cashier_may_not_import(catalog: Api) -> None:
    status, body = await upload(
        catalog, csv_bytes([("code", "qty"), ("A1", "1")]), token=catalog.cashier
    )
    assert status == 403
