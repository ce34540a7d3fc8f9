"""ESC/POS bytes back to readable text, for the simulated printer, the technician page and tests.

Text is decoded through the profile's code pages as ``ESC t`` and ``FS &`` / ``FS .`` select
them. Things that are not text show as bracketed markers on their own line: ``[QR ...]``,
``[BARCODE EAN13 ...]``, ``[IMAGE 384x120]``, ``[CUT full]``, ``[DRAWER pin 2 100ms]``.
"""

from __future__ import annotations

from drivers.printer.escpos_commands import Token, tokenize
from drivers.printer.profiles import PrinterProfile

_BARCODE_NAMES = {
    0: "UPCA",
    1: "UPCE",
    2: "EAN13",
    3: "EAN8",
    4: "CODE39",
    5: "ITF",
    6: "CODABAR",
    65: "UPCA",
    66: "UPCE",
    67: "EAN13",
    68: "EAN8",
    69: "CODE39",
    70: "ITF",
    71: "CODABAR",
    72: "CODE93",
    73: "CODE128",
}


class EscposDecoder:
    """Decodes jobs for one profile; reusable, keeps no state between jobs."""

    def __init__(self, profile: PrinterProfile) -> None:
        self.profile = profile
        self._tables = {
            page.slot: {0x80 + i: (c if c != "\0" else "?") for i, c in enumerate(page.upper)}
            for page in profile.code_pages
        }

    def decode(self, data: bytes) -> str:
        return _Reader(self, data).run()


def decode(data: bytes, profile: PrinterProfile) -> str:
    """Readable text of an ESC/POS job as the printer with ``profile`` would print it."""
    return EscposDecoder(profile).decode(data)


class _Reader:
    def __init__(self, decoder: EscposDecoder, data: bytes) -> None:
        self.tables = decoder._tables
        self.data = data
        self.parts: list[str] = []
        self.slot = 0
        self.chinese = False
        self.pending_qr = ""
        self.image: list[int] | None = None  # [width dots, height] of consecutive bands

    def run(self) -> str:
        for token in tokenize(self.data):
            if token.name != "GS v" and self.image is not None:
                self._flush_image()
            if token.kind == "text":
                self._text(token.bytes_of(self.data))
            elif token.kind == "control":
                self._control(token.name)
            elif token.kind == "truncated":
                self._marker(f"TRUNCATED {token.name}")
            else:
                self._command(token)
        if self.image is not None:
            self._flush_image()
        return "".join(self.parts)

    def _text(self, raw: bytes) -> None:
        if self.chinese:
            self.parts.append(raw.decode("gb18030", errors="replace"))
            return
        table = self.tables.get(self.slot)
        text = raw.decode("latin-1")
        if raw.isascii():
            self.parts.append(text)
        elif table is None:
            self.parts.append("".join(c if c < "\x80" else "?" for c in text))
        else:
            self.parts.append(text.translate(table))

    def _control(self, name: str) -> None:
        if name == "LF":
            self.parts.append("\n")
        elif name == "HT":
            self.parts.append("\t")
        elif name == "BEL":
            self._marker("BEL")
        elif name == "FF":
            self.parts.append("\n")

    def _marker(self, text: str) -> None:
        if self.parts and not self.parts[-1].endswith("\n"):
            self.parts.append("\n")
        self.parts.append(f"[{text}]\n")

    def _command(self, token: Token) -> None:
        body = self.data[token.start + 2 : token.end]
        name = token.name
        if name == "ESC t":
            self.slot = body[0]
        elif name == "FS &":
            self.chinese = True
        elif name == "FS .":
            self.chinese = False
        elif name == "ESC @":
            self.slot, self.chinese = 0, False
        elif name == "ESC d":
            self.parts.append("\n" * body[0])
        elif name == "GS ( k":
            self._two_d_code(body[3:])
        elif name == "GS k":
            self._barcode(body)
        elif name == "GS v":
            width_bytes = body[2] | body[3] << 8
            height = body[4] | body[5] << 8
            if self.image is not None and self.image[0] != width_bytes * 8:
                self._flush_image()
            if self.image is None:
                self.image = [width_bytes * 8, 0]
            self.image[1] += height
        elif name == "GS V":
            self._marker("CUT partial" if body[0] in (1, 49, 66, 98) else "CUT full")
        elif name == "ESC p":
            self._marker(f"DRAWER pin {2 if body[0] in (0, 48) else 5} {body[1] * 2}ms")
        elif name == "DLE DC4":
            if body[0] == 1:
                self._marker(f"DRAWER realtime pin {2 if body[1] == 0 else 5} {body[2] * 100}ms")
            else:
                self._marker(f"DLE DC4 {body[0]}")
        elif name in ("ESC *", "GS ( L", "GS 8", "FS p", "GS *", "GS /", "GS Q"):
            self._marker(f"GRAPHICS {name}")

    def _flush_image(self) -> None:
        assert self.image is not None
        width, height = self.image
        self.image = None
        self._marker(f"IMAGE {width}x{height}")

    def _two_d_code(self, payload: bytes) -> None:
        """GS ( k cn fn ...: remember the stored QR data, show it when printed."""
        if len(payload) < 2 or payload[0] != 0x31:
            return
        fn = payload[1]
        if fn == 0x50:  # store
            self.pending_qr = payload[3:].decode("utf-8", errors="replace")
        elif fn == 0x51:  # print
            self._marker(f"QR {self.pending_qr}")

    def _barcode(self, body: bytes) -> None:
        kind = body[0]
        data = body[2 : 2 + body[1]] if kind >= 65 else body[1:-1]
        text = data.decode("ascii", errors="replace")
        if kind == 73 and text[:1] == "{":
            text = text[2:].replace("{{", "{")
        self._marker(f"BARCODE {_BARCODE_NAMES.get(kind, kind)} {text}")
