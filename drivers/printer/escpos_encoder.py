"""Receipt blocks to ESC/POS bytes for one printer profile, plus the drawer-kick commands.

Styles and code pages are tracked and only changes are sent, which keeps jobs small on slow
serial lines. Keep one :class:`ReceiptRenderer` per printer: building the code page tables costs
more than rendering a receipt.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from drivers.base import DeviceError
from drivers.printer import raster
from drivers.printer.profiles import PrinterProfile
from drivers.printer.receipt import (
    BarcodeBlock,
    Block,
    CutBlock,
    FeedBlock,
    ImageBlock,
    QrBlock,
    Receipt,
    RowBlock,
    RuleBlock,
    TextBlock,
)
from drivers.printer.text_encoder import FS_KANJI_OFF, EncoderState, TextEncoder

ESC_INIT = b"\x1b@"
LF = b"\n"
_ALIGN = {"left": 0, "center": 1, "right": 2}
_SIZE = {"normal": 0x00, "wide": 0x10, "tall": 0x01, "double": 0x11}
_BARCODE_B = {"UPCA": 65, "EAN13": 67, "EAN8": 68, "CODE39": 69, "ITF": 70, "CODE128": 73}
_BARCODE_A = {"UPCA": 0, "EAN13": 2, "EAN8": 3, "CODE39": 4, "ITF": 5}
BARCODE_HEIGHT_DOTS = 80


class ReceiptTooWide(DeviceError):
    """A barcode or code cannot fit the paper of this printer."""

    code = "printer.too_wide"


def drawer_kick(pin: int = 2, pulse_ms: int = 100) -> bytes:
    """``ESC p m t1 t2``: pulse drawer connector ``pin`` (2 or 5) for ``pulse_ms``."""
    if pin not in (2, 5):
        raise ValueError("drawer pin must be 2 or 5")
    on = max(1, min(255, (pulse_ms + 1) // 2))
    return b"\x1bp" + bytes((0 if pin == 2 else 1, on, max(on, 50)))


def realtime_drawer_kick(pin: int = 2, pulse_ms: int = 100) -> bytes:
    """``DLE DC4 1 m t``: the kick a printer obeys even while offline (pulse in 100 ms steps)."""
    if pin not in (2, 5):
        raise ValueError("drawer pin must be 2 or 5")
    return b"\x10\x14\x01" + bytes((0 if pin == 2 else 1, max(1, min(8, round(pulse_ms / 100)))))


@dataclass(frozen=True, slots=True)
class _Style:
    align: int = 0
    bold: bool = False
    underline: bool = False
    size: int = 0


_PLAIN = _Style()
_CENTERED = _Style(align=1)


class ReceiptRenderer:
    """Renders receipts for one printer profile."""

    def __init__(self, profile: PrinterProfile, encoder: TextEncoder | None = None) -> None:
        self.profile = profile
        self.text = encoder or TextEncoder(profile)

    def render(self, receipt: Receipt) -> bytes:
        """The whole job: initialise, every block, nothing after the last block."""
        job = _Job(self)
        for block in receipt.blocks:
            job.block(block)
        return bytes(job.out)


def render(receipt: Receipt, profile: PrinterProfile) -> bytes:
    """One-off rendering; a printer that prints many receipts should keep a ReceiptRenderer."""
    return ReceiptRenderer(profile).render(receipt)


class _Job:
    """The printer state while one receipt is rendered."""

    def __init__(self, renderer: ReceiptRenderer) -> None:
        self.profile = renderer.profile
        self.text = renderer.text
        self.state = EncoderState()
        self.style = _PLAIN
        self.out = bytearray(ESC_INIT)
        if self.profile.chinese:
            self.out += FS_KANJI_OFF  # these printers may power on in Chinese mode

    def block(self, block: Block) -> None:
        _HANDLERS[type(block)](self, block)

    def _rule(self, block: RuleBlock) -> None:
        self._set_style(_PLAIN)
        self._line(self.text.prepare(block.rule) * self.profile.columns_a)

    def _image(self, block: ImageBlock) -> None:
        self._set_style(_CENTERED)
        bitmap = raster.picture(block.png, self.profile.width_dots)
        self.out += bitmap.raster_bands(self.profile.raster_band_rows)

    def _feed(self, block: FeedBlock) -> None:
        self.out += b"\x1bd" + bytes((block.feed,))

    # -- text ----------------------------------------------------------------------------

    def _set_style(self, want: _Style) -> None:
        have, out = self.style, self.out
        if want is have:
            return
        if want.align != have.align:
            out += b"\x1ba" + bytes((want.align,))
        if want.bold != have.bold:
            out += b"\x1bE" + (b"\x01" if want.bold else b"\x00")
        if want.underline != have.underline:
            out += b"\x1b-" + (b"\x01" if want.underline else b"\x00")
        if want.size != have.size:
            out += b"\x1d!" + bytes((want.size,))
        self.style = want

    def _line(self, prepared: str) -> None:
        self.out += self.text.encode(prepared, self.state)
        self.out += LF

    def _text(self, block: TextBlock) -> None:
        size = _SIZE[block.size]
        self._set_style(_Style(_ALIGN[block.align], block.bold, block.underline, size))
        columns = self.profile.columns_a // (2 if size & 0x10 else 1)
        for paragraph in block.text.split("\n"):
            prepared = self.text.prepare(paragraph)
            for line in self._wrap(prepared, columns):
                self._line(line)

    def _row(self, block: RowBlock) -> None:
        left, right = block.row
        self._set_style(_PLAIN)
        columns = self.profile.columns_a
        width = self.text.width
        left_p, right_p = self.text.prepare(left), self.text.prepare(right)
        left_w, right_w = width(left_p), width(right_p)
        if not right_w:
            for line in self._wrap(left_p, columns):
                self._line(line)
            return
        if left_w + right_w + 1 <= columns:
            self._line(left_p + " " * (columns - left_w - right_w) + right_p)
            return
        lines = self._wrap(left_p, columns) if left_p else []
        last = lines.pop() if lines else ""
        for line in lines:
            self._line(line)
        last_w = width(last)
        if right_w <= columns - last_w - 1:
            self._line(last + " " * (columns - last_w - right_w) + right_p)
            return
        if last:
            self._line(last)
        for line in self._wrap(right_p, columns):
            self._line(" " * (columns - width(line)) + line)

    def _wrap(self, prepared: str, columns: int) -> list[str]:
        """Greedy word wrap by display width; over-long words (and CJK) break anywhere."""
        if self.text.width(prepared) <= columns:
            return [prepared]
        char_width = self.text.char_width
        lines: list[str] = []
        line, line_w = "", 0
        for word in prepared.split(" "):
            word_w = self.text.width(word)
            gap = 1 if line else 0
            if line_w + gap + word_w <= columns:
                line, line_w = line + " " * gap + word, line_w + gap + word_w
                continue
            if line and word_w <= columns:
                lines.append(line)
                line, line_w = word, word_w
                continue
            if line and line_w + 1 < columns:
                line, line_w = line + " ", line_w + 1
            elif line:
                lines.append(line)
                line, line_w = "", 0
            for char in word:
                cw = char_width(char)
                if line_w + cw > columns:
                    lines.append(line)
                    line, line_w = "", 0
                line, line_w = line + char, line_w + cw
        lines.append(line)
        return lines

    # -- codes and pictures --------------------------------------------------------------

    def _qr(self, block: QrBlock) -> None:
        self._set_style(_CENTERED)
        if not self.profile.native_qr:
            bitmap = raster.qr_code(block.qr, block.size, self.profile.width_dots)
            self.out += bitmap.raster_bands(self.profile.raster_band_rows)
            return
        data = block.qr.encode("utf-8")
        store = len(data) + 3
        self.out += b"\x1d(k\x04\x001A2\x00"  # model 2
        self.out += b"\x1d(k\x03\x001C" + bytes((block.size,))
        self.out += b"\x1d(k\x03\x001E1"  # error correction M
        self.out += b"\x1d(k" + bytes((store & 0xFF, store >> 8)) + b"1P0" + data
        self.out += b"\x1d(k\x03\x001Q0"

    def _barcode(self, block: BarcodeBlock) -> None:
        self._set_style(_CENTERED)
        data = block.full_data
        symbology = block.symbology
        functions = self.profile.barcode_functions
        command = (_BARCODE_B if functions == "B" else _BARCODE_A if functions == "A" else {}).get(
            symbology
        )
        modules = len(raster.barcode_modules(symbology, data)) + 20
        if command is not None and modules * 2 <= self.profile.width_dots:
            module = 3 if modules * 3 <= self.profile.width_dots else 2
            self.out += b"\x1dh" + bytes((BARCODE_HEIGHT_DOTS,)) + b"\x1dw" + bytes((module,))
            self.out += b"\x1dH\x02\x1df\x00"  # human-readable text below, font A
            payload = data.encode("ascii")
            if symbology == "CODE128":
                payload = b"{B" + payload.replace(b"{", b"{{")
            if functions == "B":
                self.out += b"\x1dk" + bytes((command, len(payload))) + payload
            else:
                self.out += b"\x1dk" + bytes((command,)) + payload + b"\x00"
            return
        if modules > self.profile.width_dots:
            raise ReceiptTooWide(
                f"{symbology} barcode {data!r} needs {modules} dots but the paper has "
                f"{self.profile.width_dots}: shorten the data or use a QR code"
            )
        bitmap = raster.barcode(symbology, data, BARCODE_HEIGHT_DOTS, self.profile.width_dots)
        self.out += bitmap.raster_bands(self.profile.raster_band_rows)
        self._line(data)

    def _cut(self, block: CutBlock) -> None:
        kind, profile = block.cut, self.profile
        self.out += b"\x1bd" + bytes((profile.cut_feed_lines,))
        partial = (kind == "partial" and profile.partial_cut) or not profile.full_cut
        if profile.full_cut or profile.partial_cut:
            self.out += b"\x1dV\x01" if partial else b"\x1dV\x00"


_HANDLERS: dict[type, Callable[[_Job, Any], None]] = {
    TextBlock: _Job._text,
    RowBlock: _Job._row,
    RuleBlock: _Job._rule,
    QrBlock: _Job._qr,
    BarcodeBlock: _Job._barcode,
    ImageBlock: _Job._image,
    FeedBlock: _Job._feed,
    CutBlock: _Job._cut,
}
