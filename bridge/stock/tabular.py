"""Reading an import file into rows of text cells: CSV in any delimiter and in UTF-8, UTF-16,
Windows-1251 or Windows-1250 (BOM or not) here; `.xlsx` and the older `.xls` in `workbooks`."""

from __future__ import annotations

import codecs
import csv
import io
from dataclasses import dataclass, field

Row = tuple[int, list[str]]  # line number as a person would count it, cells

_DELIMITERS = ";,\t|"


class FileUnreadable(ValueError):
    """The file as a whole cannot be read; nothing is imported."""


@dataclass
class Table:
    format: str
    rows: list[Row]
    encoding: str | None = None
    delimiter: str | None = None
    notes: list[str] = field(default_factory=list)


def _ascii_letter(byte: int) -> bool:
    return 0x41 <= byte <= 0x5A or 0x61 <= byte <= 0x7A


def _cyrillic_or_central(raw: bytes) -> str:
    """Windows-1251 or -1250: Russian words are runs of high bytes; Czech and Hungarian put
    single accented letters between ASCII ones."""
    high = mixed = 0
    for i, byte in enumerate(raw[:200_000]):
        if byte < 0x80:
            continue
        high += 1
        before = raw[i - 1] if i else 0x20
        after = raw[i + 1] if i + 1 < len(raw) else 0x20
        if _ascii_letter(before) or _ascii_letter(after):
            mixed += 1
    return "cp1250" if high and mixed / high > 0.35 else "cp1251"


def decode(raw: bytes, encoding: str | None = None) -> tuple[str, str]:
    """Text and the encoding used."""
    if encoding:
        try:
            return raw.decode(encoding), encoding
        except LookupError:
            raise FileUnreadable(f"unknown encoding {encoding!r}") from None
        except UnicodeDecodeError as exc:
            raise FileUnreadable(
                f"the file is not {encoding}: byte {exc.start} cannot be decoded"
            ) from None
    if raw.startswith(codecs.BOM_UTF8):
        try:
            return raw[len(codecs.BOM_UTF8) :].decode("utf-8"), "utf-8-sig"
        except UnicodeDecodeError as exc:
            raise FileUnreadable(
                f"the file starts with a UTF-8 mark but byte {exc.start + 3} is not UTF-8"
            ) from None
    if raw.startswith((codecs.BOM_UTF16_LE, codecs.BOM_UTF16_BE)):
        try:
            return raw.decode("utf-16"), "utf-16"
        except UnicodeDecodeError:
            raise FileUnreadable("the file starts with a UTF-16 mark but is not UTF-16") from None
    if b"\x00" in raw[:4096]:
        raise FileUnreadable("the file has NUL bytes: it is not a CSV text file")
    try:
        return raw.decode("utf-8"), "utf-8"
    except UnicodeDecodeError:
        pass
    guess = _cyrillic_or_central(raw)
    try:
        return raw.decode(guess), guess
    except UnicodeDecodeError as exc:
        raise FileUnreadable(
            f"the file is neither UTF-8 nor {guess} (byte {exc.start}); give --encoding"
        ) from None


def _delimiter(text: str, forced: str | None) -> str:
    if forced:
        return "\t" if forced in ("tab", "\\t") else forced
    lines = [line for line in text.splitlines()[:50] if line.strip()]
    sample = "\n".join(lines)
    try:
        return csv.Sniffer().sniff(sample, delimiters=_DELIMITERS).delimiter
    except csv.Error:
        pass
    # Fall back to the candidate seen most often on the first line that has any.
    counts = {d: lines[0].count(d) for d in _DELIMITERS} if lines else {}
    best = max(counts, key=lambda d: counts[d], default=",")
    return best if counts.get(best) else ","


def read_csv(raw: bytes, encoding: str | None, delimiter: str | None) -> Table:
    text, used = decode(raw, encoding)
    sep = _delimiter(text, delimiter)
    reader = csv.reader(io.StringIO(text, newline=""), delimiter=sep)
    rows: list[Row] = []
    try:
        for cells in reader:
            if any(c.strip() for c in cells):
                rows.append((reader.line_num, [c.strip() for c in cells]))
    except csv.Error as exc:
        raise FileUnreadable(f"line {reader.line_num}: {exc}") from None
    return Table("csv", rows, used, sep)


def read_table(
    raw: bytes,
    *,
    encoding: str | None = None,
    delimiter: str | None = None,
    sheet: str | None = None,
) -> Table:
    """Rows of the file, the format told by its first bytes rather than its name."""
    if not raw.strip():
        raise FileUnreadable("the file is empty")
    if raw.startswith(b"PK\x03\x04"):
        from bridge.stock.workbooks import read_xlsx

        return read_xlsx(raw, sheet)
    if raw.startswith(b"\xd0\xcf\x11\xe0\xa1\xb1\x1a\xe1"):
        from bridge.stock.workbooks import read_xls

        return read_xls(raw, sheet)
    return read_csv(raw, encoding, delimiter)
