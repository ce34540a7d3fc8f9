"""The receipt wire format of ``local-api.md``: a list of blocks, each an object with one main key.

These models are shared by the HTTP API (and its generated OpenAPI document) and the renderer, so
everything a printer cannot print is refused here, with a message that names the problem, rather
than failing half-way through a job.
"""

from __future__ import annotations

import base64
import binascii
import re
import struct
import unicodedata
from typing import Annotated, Literal

from pydantic import (
    BaseModel,
    ConfigDict,
    Discriminator,
    Field,
    PrivateAttr,
    Tag,
    field_validator,
    model_validator,
)

MAX_BLOCKS = 500
MAX_TEXT_CHARS = 4096
MAX_ROW_CHARS = 1024
MAX_QR_BYTES = 2953  # QR version 40-L, the largest code there is
MAX_BARCODE_CHARS = 80
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 4096 * 2048

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Block(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class TextBlock(_Block):
    """A paragraph; ``\\n`` starts a new line and long lines wrap at word boundaries."""

    text: str = Field(max_length=MAX_TEXT_CHARS, description="Any Unicode text.")
    align: Literal["left", "center", "right"] = Field(default="left", description="Alignment.")
    bold: bool = Field(default=False, description="Emphasised print.")
    underline: bool = Field(default=False, description="Underlined print.")
    size: Literal["normal", "wide", "tall", "double"] = Field(
        default="normal", description="wide and double halve the characters per line."
    )


class RowBlock(_Block):
    """Left text and right text justified on one line, wrapped when they do not fit."""

    row: tuple[
        Annotated[str, Field(max_length=MAX_ROW_CHARS)],
        Annotated[str, Field(max_length=MAX_ROW_CHARS)],
    ] = Field(description='["left text", "right text"]')


class RuleBlock(_Block):
    """A full-width line of one character."""

    rule: str = Field(min_length=1, max_length=1, description="The character.")

    @field_validator("rule")
    @classmethod
    def _one_printable_narrow_char(cls, value: str) -> str:
        if not value.isprintable() or unicodedata.east_asian_width(value) in "WF":
            raise ValueError("rule must be one printable, single-width character such as '-'")
        return value


class QrBlock(_Block):
    """A QR code; printed by the printer where it can, as an image otherwise."""

    qr: str = Field(min_length=1, description="The data to encode (UTF-8).")
    size: int = Field(default=6, ge=1, le=16, description="Module size in dots, 1-16.")

    @field_validator("qr")
    @classmethod
    def _fits_a_qr_code(cls, value: str) -> str:
        if len(value.encode("utf-8")) > MAX_QR_BYTES:
            raise ValueError(f"qr data is longer than a QR code can hold ({MAX_QR_BYTES} bytes)")
        return value


Symbology = Literal["EAN13", "EAN8", "CODE128", "CODE39", "UPCA", "ITF"]

_DIGITS = re.compile(r"[0-9]+")
_CODE39 = re.compile(r"[0-9A-Z \-.$/+%]+")
_CODE128 = re.compile(r"[\x20-\x7e]+")
# symbology -> (lengths without check digit, lengths with it)
_GTIN_LENGTHS = {"EAN13": 12, "EAN8": 7, "UPCA": 11}


def gtin_check_digit(digits: str) -> str:
    """The EAN/UPC check digit of ``digits`` (weights 3,1,3,... from the right)."""
    total = sum(int(d) * (3 if i % 2 == 0 else 1) for i, d in enumerate(reversed(digits)))
    return str((10 - total % 10) % 10)


class BarcodeBlock(_Block):
    """A 1D barcode; EAN/UPC data may omit the check digit, which is then computed."""

    barcode: str = Field(
        min_length=1, max_length=MAX_BARCODE_CHARS, description="The data to encode."
    )
    symbology: Symbology = Field(description="The barcode type.")

    @model_validator(mode="after")
    def _valid_for_symbology(self) -> BarcodeBlock:
        data, kind = self.barcode, self.symbology
        if kind in _GTIN_LENGTHS:
            body = _GTIN_LENGTHS[kind]
            if not _DIGITS.fullmatch(data) or len(data) not in (body, body + 1):
                raise ValueError(f"{kind} needs {body} digits, or {body + 1} with the check digit")
            if len(data) == body + 1 and data[-1] != gtin_check_digit(data[:-1]):
                raise ValueError(
                    f"{kind} check digit of {data!r} is wrong: expected "
                    f"{gtin_check_digit(data[:-1])}"
                )
        elif kind == "ITF":
            if not _DIGITS.fullmatch(data) or len(data) % 2:
                raise ValueError("ITF needs an even number of digits")
        elif kind == "CODE39":
            if not _CODE39.fullmatch(data):
                raise ValueError("CODE39 allows only 0-9, A-Z, space and - . $ / + %")
        elif not _CODE128.fullmatch(data):
            raise ValueError("CODE128 allows only printable ASCII characters")
        return self

    @property
    def full_data(self) -> str:
        """The data with the EAN/UPC check digit appended where the client left it out."""
        body = _GTIN_LENGTHS.get(self.symbology)
        if body is not None and len(self.barcode) == body:
            return self.barcode + gtin_check_digit(self.barcode)
        return self.barcode


class ImageBlock(_Block):
    """A PNG picture (a logo); scaled down to the paper width and dithered to black and white."""

    image: str = Field(
        description="Base64 PNG.",
        json_schema_extra={"contentEncoding": "base64", "contentMediaType": "image/png"},
    )
    _png: bytes = PrivateAttr(default=b"")

    @model_validator(mode="after")
    def _valid_png(self) -> ImageBlock:
        if len(self.image) > (MAX_IMAGE_BYTES * 4) // 3 + 4:
            raise ValueError(f"image is larger than {MAX_IMAGE_BYTES // 1024} KiB")
        try:
            png = base64.b64decode(self.image, validate=True)
        except (binascii.Error, ValueError):
            raise ValueError("image is not valid base64") from None
        if len(png) < 33 or not png.startswith(_PNG_SIGNATURE) or png[12:16] != b"IHDR":
            raise ValueError("image is not a PNG file")
        width, height = struct.unpack(">II", png[16:24])
        if not (0 < width <= MAX_IMAGE_SIDE and 0 < height <= MAX_IMAGE_SIDE):
            raise ValueError(f"image is {width}x{height}; each side must be 1-{MAX_IMAGE_SIDE}")
        if width * height > MAX_IMAGE_PIXELS:
            raise ValueError(f"image has more than {MAX_IMAGE_PIXELS} pixels")
        self._png = png
        return self

    @property
    def png(self) -> bytes:
        return self._png


class FeedBlock(_Block):
    """Blank lines."""

    feed: int = Field(ge=1, le=255, description="Number of lines to feed, 1-255.")


class CutBlock(_Block):
    """Feed to the cutter and cut; on a printer without a cutter only the feed happens."""

    cut: Literal["full", "partial"] = Field(description="full or partial cut.")


_MAIN_KEYS: dict[str, type[_Block]] = {
    "text": TextBlock,
    "row": RowBlock,
    "rule": RuleBlock,
    "qr": QrBlock,
    "barcode": BarcodeBlock,
    "image": ImageBlock,
    "feed": FeedBlock,
    "cut": CutBlock,
}


def _block_kind(value: object) -> str | None:
    """Pick the block model by its main key, so errors speak of one block kind, not eight."""
    if isinstance(value, _Block):
        return next(k for k, v in _MAIN_KEYS.items() if isinstance(value, v))
    if isinstance(value, dict):
        keys = [k for k in _MAIN_KEYS if k in value]
        if len(keys) == 1:
            return keys[0]
    return None


Block = Annotated[
    Annotated[TextBlock, Tag("text")]
    | Annotated[RowBlock, Tag("row")]
    | Annotated[RuleBlock, Tag("rule")]
    | Annotated[QrBlock, Tag("qr")]
    | Annotated[BarcodeBlock, Tag("barcode")]
    | Annotated[ImageBlock, Tag("image")]
    | Annotated[FeedBlock, Tag("feed")]
    | Annotated[CutBlock, Tag("cut")],
    Discriminator(
        _block_kind,
        custom_error_type="block_kind",
        custom_error_message="each block must be an object with exactly one of the keys "
        + ", ".join(_MAIN_KEYS),
    ),
]


class Receipt(BaseModel):
    """``{"blocks": [...]}``: printed top to bottom."""

    model_config = ConfigDict(extra="forbid", frozen=True)

    blocks: list[Block] = Field(min_length=1, max_length=MAX_BLOCKS, description="The blocks.")
