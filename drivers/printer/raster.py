"""Black-and-white bitmaps for ``GS v 0``: PNG pictures, QR codes and barcodes drawn on the host.

Used where a printer lacks native QR or barcode commands, and for every picture. Pillow, qrcode
and python-barcode are imported on first use: a receipt without pictures never loads them.
"""

from __future__ import annotations

import io
from dataclasses import dataclass

GS_V0 = b"\x1dv0"
# Pillow's mode "1" stores white as 1; ESC/POS wants 1 for a black dot.
_INVERT = bytes(255 - b for b in range(256))
_SYMBOLOGY_CLASSES = {
    "EAN13": "ean13",
    "EAN8": "ean8",
    "UPCA": "upca",
    "ITF": "itf",
    "CODE39": "code39",
    "CODE128": "code128",
}


@dataclass(frozen=True, slots=True)
class Bitmap:
    """``height`` rows of ``width_bytes`` packed bytes, most significant bit leftmost, 1 = black."""

    width_bytes: int
    height: int
    data: bytes

    def raster_bands(self, band_rows: int) -> bytes:
        """``GS v 0`` commands, one per band of at most ``band_rows`` rows."""
        out = bytearray()
        step = self.width_bytes * band_rows
        for top in range(0, self.height, band_rows):
            rows = min(band_rows, self.height - top)
            out += GS_V0 + bytes((0, self.width_bytes & 0xFF, self.width_bytes >> 8))
            out += bytes((rows & 0xFF, rows >> 8))
            start = top * self.width_bytes
            out += self.data[start : start + min(step, rows * self.width_bytes)]
        return bytes(out)


def picture(png: bytes, max_width: int) -> Bitmap:
    """A PNG scaled down to ``max_width`` dots and dithered (Floyd-Steinberg) to one bit."""
    from PIL import Image

    with Image.open(io.BytesIO(png)) as source:
        source.load()
        image = source
        if image.mode in ("RGBA", "LA", "PA") or "transparency" in image.info:
            rgba = image.convert("RGBA")
            image = Image.new("RGBA", rgba.size, "white")
            image.alpha_composite(rgba)
        image = image.convert("L")
    if image.width > max_width:
        height = max(1, round(image.height * max_width / image.width))
        image = image.resize((max_width, height), Image.Resampling.LANCZOS)
    mono = image.convert("1")
    return Bitmap((mono.width + 7) // 8, mono.height, mono.tobytes().translate(_INVERT))


def _from_matrix(rows: list[list[bool]] | list[str], scale_x: int, scale_y: int) -> Bitmap:
    """A bitmap of 0/1 module rows, each module ``scale_x`` dots wide, ``scale_y`` high."""
    width = len(rows[0]) * scale_x
    width_bytes = (width + 7) // 8
    pad = width_bytes * 8 - width
    out = bytearray()
    for row in rows:
        bits = "".join(("1" if cell in (True, "1") else "0") * scale_x for cell in row)
        packed = int(bits + "0" * pad, 2).to_bytes(width_bytes, "big")
        out += packed * scale_y
    return Bitmap(width_bytes, len(rows) * scale_y, bytes(out))


def qr_code(data: str, module: int, max_width: int) -> Bitmap:
    """A QR code (error correction M) with a 2-module quiet zone, shrunk to fit the paper."""
    import qrcode

    code = qrcode.QRCode(border=2, error_correction=qrcode.constants.ERROR_CORRECT_M)
    code.add_data(data.encode("utf-8"))
    code.make(fit=True)
    matrix = code.get_matrix()
    module = max(1, min(module, max_width // len(matrix)))
    return _from_matrix(matrix, module, module)


def barcode_modules(symbology: str, data: str) -> str:
    """The bar/space pattern ("1" = bar) of a 1D code, without quiet zones."""
    import barcode

    cls = barcode.get_barcode_class(_SYMBOLOGY_CLASSES[symbology])
    if symbology in ("EAN13", "EAN8", "UPCA"):
        data = data[:-1]  # python-barcode computes the check digit itself
    if symbology == "CODE39":
        code = cls(data, writer=None, add_checksum=False)
    else:
        code = cls(data, writer=None)
    return "".join(code.build())


def barcode(symbology: str, data: str, height: int, max_width: int) -> Bitmap:
    """A 1D barcode with 10-module quiet zones, modules as wide as the paper allows (max 3 dots)."""
    modules = "0" * 10 + barcode_modules(symbology, data) + "0" * 10
    module = max(1, min(3, max_width // len(modules)))
    return _from_matrix([modules], module, height)
