"""Recognising the code, name, quantity and warehouse columns of an import by their headers,
in English, Russian, Czech, Hungarian and Chinese, or as the technician maps them."""

from __future__ import annotations

from collections.abc import Mapping, Sequence

from bridge.catalog.search import fold

ROLES = ("code", "name", "quantity", "warehouse")
REQUIRED = ("code", "quantity")

_SYNONYMS: dict[str, tuple[str, ...]] = {
    "code": (
        "code", "sku", "barcode", "bar code", "ean", "ean13", "gtin", "upc", "article", "item",
        "item code", "product code", "article number", "plu",
        "код", "артикул", "штрихкод", "штрих код", "штрих-код", "код товара", "шк",
        "kod", "kód", "kod zbozi", "kód zboží", "cislo", "číslo", "katalogove cislo", "ean kod",
        "cikkszam", "cikkszám", "vonalkod", "vonalkód", "termekkod", "termékkód", "azonosito",
        "编码", "代码", "条码", "条形码", "商品编码", "货号", "商品条码", "物料编码",
    ),
    "name": (
        "name", "product", "product name", "description", "title", "item name",
        "наименование", "название", "товар", "наименование товара", "номенклатура",
        "nazev", "název", "zbozi", "zboží", "popis", "nazev zbozi", "název zboží",
        "megnevezes", "megnevezés", "nev", "név", "termek", "termék", "termeknev", "terméknév",
        "名称", "商品名称", "品名", "产品名称", "商品",
    ),
    "quantity": (
        "quantity", "qty", "count", "counted", "stock", "on hand", "amount", "balance",
        "количество", "кол-во", "кол во", "остаток", "остатки", "фактическое количество", "факт",
        "mnozstvi", "množství", "pocet", "počet", "stav", "zasoba", "zásoba", "ks",
        "mennyiseg", "mennyiség", "keszlet", "készlet", "db", "darab", "darabszam",
        "数量", "库存", "库存数量", "盘点数量", "实盘数量", "存量",
    ),
    "warehouse": (
        "warehouse", "store", "location", "склад", "sklad", "raktar", "raktár", "仓库", "库位",
    ),
}  # fmt: skip

_FOLDED = {role: {fold(name) for name in names} for role, names in _SYNONYMS.items()}


class ColumnError(ValueError):
    """The columns cannot be found; the message lists what was seen."""


def _role_of(header: str) -> str | None:
    folded = fold(header)
    if not folded:
        return None
    for role, names in _FOLDED.items():
        if folded in names:
            return role
    return None


def recognise(cells: Sequence[str]) -> dict[str, int]:
    """Column index per role for a header row; roles not found are absent."""
    found: dict[str, int] = {}
    for index, cell in enumerate(cells):
        role = _role_of(cell)
        if role and role not in found:
            found[role] = index
    return found


def find_header(
    rows: Sequence[tuple[int, list[str]]], limit: int = 20
) -> tuple[int, dict[str, int]] | None:
    """The first row (within `limit`) naming at least the code and quantity columns."""
    for position, (_, cells) in enumerate(rows[:limit]):
        columns = recognise(cells)
        if all(role in columns for role in REQUIRED):
            return position, columns
    return None


def apply_mapping(
    header: Sequence[str] | None, mapping: Mapping[str, str], found: dict[str, int]
) -> dict[str, int]:
    """Technician's flags win: a 1-based column number, or the header text (folded)."""
    columns = dict(found)
    for role, wanted in mapping.items():
        if wanted.isdigit():
            columns[role] = int(wanted) - 1
            continue
        if header is None:
            raise ColumnError(
                f"--{role}-column {wanted!r}: give a column number, there is no header"
            )
        target = fold(wanted)
        for index, cell in enumerate(header):
            if fold(cell) == target:
                columns[role] = index
                break
        else:
            raise ColumnError(
                f"--{role}-column {wanted!r} is not a header of this file; headers: "
                + ", ".join(repr(c) for c in header)
            )
    return columns
