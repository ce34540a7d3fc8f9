"""Import files made on the fly: CSV in several encodings and delimiters, .xlsx and .xls."""

from __future__ import annotations

import codecs
import io
from collections.abc import Mapping, Sequence

Rows = Sequence[Sequence[object]]

HEADERS = {
    "en": ("Code", "Name", "Quantity"),
    "ru": ("Код", "Наименование", "Количество"),
    "cs": ("Kód", "Název", "Množství"),
    "hu": ("Cikkszám", "Megnevezés", "Mennyiség"),
    "zh": ("编码", "名称", "数量"),
}

NAMES = {
    "en": "Yellow horse",
    "ru": "Молоко пастеризованное",
    "cs": "Žluťoučký kůň úpěl ďábelské ódy",
    "hu": "Árvíztűrő tükörfúrógép",
    "zh": "新鲜牛奶",
}


def csv_bytes(
    rows: Rows, *, encoding: str = "utf-8", delimiter: str = ";", bom: bool = False
) -> bytes:
    text = "\r\n".join(delimiter.join(str(c) for c in row) for row in rows) + "\r\n"
    data = text.encode(encoding)
    return (codecs.BOM_UTF8 + data) if bom else data


def xlsx_bytes(
    rows: Rows,
    *,
    cells: Mapping[str, object] | None = None,
    sheets: Mapping[str, Rows] | None = None,
) -> bytes:
    """`cells` puts values at references such as "XFD1048576"; `sheets` adds named sheets."""
    import openpyxl

    book = openpyxl.Workbook()
    sheet = book.active
    for row in rows:
        sheet.append(list(row))
    for ref, value in (cells or {}).items():
        sheet[ref] = value
    for name, extra in (sheets or {}).items():
        added = book.create_sheet(name)
        for row in extra:
            added.append(list(row))
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()


def xls_bytes(rows: Rows) -> bytes:
    import xlwt

    book = xlwt.Workbook(encoding="utf-8")
    sheet = book.add_sheet("Stock")
    for r, row in enumerate(rows):
        for c, value in enumerate(row):
            sheet.write(r, c, value)
    out = io.BytesIO()
    book.save(out)
    return out.getvalue()
