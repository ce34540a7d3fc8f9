"""Reading Excel workbooks into rows of text cells: `.xlsx` through calamine, `.xls` through xlrd.

calamine (Rust) reads a 100,000-row `.xlsx` in well under a second where openpyxl took seconds,
but it holds a sheet as one block of cells from A1 to the last cell used, and a failed allocation
aborts the whole process rather than raising. So before calamine sees a sheet, its cell
references are scanned (a streamed pass over the XML) and a sheet whose block would be too large
is refused. The older `.xls` stays with xlrd: calamine's `.xls` reader aborts the process on some
damaged files, and an `.xls` sheet holds at most 65,536 rows, which xlrd reads in about 2 s.
"""

from __future__ import annotations

import io
import posixpath
import re
import zipfile
from datetime import date, datetime
from xml.etree import ElementTree

from bridge.stock.tabular import FileUnreadable, Row, Table

MAX_CELLS = 10_000_000  # the block from A1 to the last cell; about 0.5 GB while calamine holds it
MAX_SHEET_XML = 512 * 1024 * 1024  # decompressed; a zip bomb is refused before calamine expands it
_CELL_REF = re.compile(rb'\sr=["\']([A-Z]{1,3})([0-9]{1,7})["\']')
_CHUNK = 1 << 20
_OVERLAP = 24  # longer than any ` r="XFD1048576"`

_NS_MAIN = "{http://schemas.openxmlformats.org/spreadsheetml/2006/main}"
_NS_REL = "{http://schemas.openxmlformats.org/officeDocument/2006/relationships}"
_NS_PKG = "{http://schemas.openxmlformats.org/package/2006/relationships}"


def cell_text(value: object) -> str:
    """A cell as the text a person sees: whole numbers without ".0", so a barcode stored as a
    number (4006381333931) stays a barcode; dates in ISO form."""
    if value is None:
        return ""
    if isinstance(value, bool):
        return "1" if value else "0"
    if isinstance(value, float):
        return str(int(value)) if value.is_integer() else repr(value)
    if isinstance(value, datetime | date):
        return value.isoformat()
    return str(value).strip()


def _column_number(letters: bytes) -> int:
    number = 0
    for letter in letters:
        number = number * 26 + letter - 0x40
    return number


def _sheet_parts(archive: zipfile.ZipFile) -> list[tuple[str, str]]:
    """(name, zip member) of each worksheet in workbook order; chart sheets left out."""
    book = ElementTree.fromstring(archive.read("xl/workbook.xml"))
    rels = ElementTree.fromstring(archive.read("xl/_rels/workbook.xml.rels"))
    targets = {rel.get("Id"): rel.get("Target", "") for rel in rels.iter(f"{_NS_PKG}Relationship")}
    parts = []
    for sheet in book.iter(f"{_NS_MAIN}sheet"):
        target = targets.get(sheet.get(f"{_NS_REL}id"), "")
        member = target.lstrip("/") if target.startswith("/") else posixpath.join("xl", target)
        if "worksheets/" in member:
            parts.append((sheet.get("name", ""), posixpath.normpath(member)))
    return parts


def _check_extent(archive: zipfile.ZipFile, member: str) -> None:
    """Refuse a sheet whose last row times last column exceeds MAX_CELLS."""
    rows = columns = size = 0
    column_letters = b"A"
    tail = b""
    with archive.open(member) as xml:
        while chunk := xml.read(_CHUNK):
            size += len(chunk)
            if size > MAX_SHEET_XML:
                raise FileUnreadable("the .xlsx sheet is too large to import (over 512 MB of data)")
            text = tail + chunk
            refs = _CELL_REF.findall(text)
            if refs:
                # In C as far as possible: a sheet has few distinct column letters, many rows.
                letters_seen, digits_seen = zip(*refs, strict=True)
                rows = max(rows, *map(int, digits_seen))
                for letters in set(letters_seen):
                    if (number := _column_number(letters)) > columns:
                        columns, column_letters = number, letters
            # A reference cut at the chunk's end is found whole in the next pass; one found
            # twice changes no maximum.
            tail = text[-_OVERLAP:]
    if rows * columns > MAX_CELLS:
        raise FileUnreadable(
            f"the sheet reaches column {column_letters.decode()} and row {rows}: too large a block "
            "to import. Delete stray cells far right of or below the data (Ctrl+End shows the "
            "last one) or copy the needed columns to a new sheet."
        )


def _chosen_sheet(raw: bytes, sheet: str | None) -> str:
    """The sheet's name, after checking its extent; errors say what a technician can do."""
    try:
        with zipfile.ZipFile(io.BytesIO(raw)) as archive:
            parts = _sheet_parts(archive)
            names = [name for name, _ in parts]
            if not parts:
                raise FileUnreadable("the .xlsx workbook has no worksheet")
            if sheet is not None and sheet not in names:
                raise FileUnreadable(f"no sheet {sheet!r}; sheets: {', '.join(names)}")
            name, member = parts[names.index(sheet)] if sheet else parts[0]
            _check_extent(archive, member)
            return name
    except (zipfile.BadZipFile, KeyError, ElementTree.ParseError, OSError, EOFError) as exc:
        raise FileUnreadable(f"not a readable .xlsx workbook ({exc})") from None


def _is_rust_panic(exc: BaseException) -> bool:
    # pyo3 turns a panic inside calamine into PanicException, which derives from BaseException.
    return type(exc).__name__ == "PanicException"


def read_xlsx(raw: bytes, sheet: str | None) -> Table:
    import python_calamine  # only when an Excel file comes

    name = _chosen_sheet(raw, sheet)
    try:
        with python_calamine.load_workbook(io.BytesIO(raw)) as book:
            values = book.get_sheet_by_name(name).to_python(skip_empty_area=False)
    except python_calamine.CalamineError as exc:
        raise FileUnreadable(f"the .xlsx workbook is damaged ({exc})") from None
    except BaseException as exc:
        if not _is_rust_panic(exc):
            raise
        raise FileUnreadable(f"the .xlsx workbook is damaged ({exc})") from None
    rows: list[Row] = []
    for number, line in enumerate(values, start=1):
        cells = [cell_text(v) for v in line]
        if any(cells):
            rows.append((number, cells))
    return Table("xlsx", rows)


def read_xls(raw: bytes, sheet: str | None) -> Table:
    import xlrd

    try:
        book = xlrd.open_workbook(file_contents=raw, on_demand=True)
    except Exception as exc:  # xlrd raises many kinds for a damaged file
        raise FileUnreadable(f"not a readable .xls workbook ({exc})") from None
    try:
        if sheet is not None and sheet not in book.sheet_names():
            raise FileUnreadable(f"no sheet {sheet!r}; sheets: {', '.join(book.sheet_names())}")
        ws = book.sheet_by_name(sheet) if sheet else book.sheet_by_index(0)
        rows: list[Row] = []
        for index in range(ws.nrows):
            cells = [cell_text(v) for v in ws.row_values(index)]
            if any(cells):
                rows.append((index + 1, cells))
    finally:
        book.release_resources()
    return Table("xls", rows)
