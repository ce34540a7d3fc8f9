"""The receipt wire format of ``local-api.md``: a list of blocks, each an object with one main key.

These models are shared by the HTTP API (and its generated OpenAPI document) and the renderer, so
everything a printer cannot print is refused here, with a message that names the problem, rather
than failing half-way through a job.

A block is told apart by its main key (``{"text": ...}``, ``{"qr": ...}``), not by a tag value, so
msgspec's tagged unions cannot pick it: :class:`Receipt` decodes each block by that key itself and
reports errors at ``$.blocks[i].field`` like msgspec would. Drivers never import bridge, so
validation here is plain msgspec (``msgspec.convert(data, Receipt)``, or bridge.wire's ``convert``).
"""

from __future__ import annotations

import base64
import binascii
import functools
import re
import struct
import unicodedata
from typing import Annotated, Any, ClassVar, Literal

import msgspec
from msgspec import Meta

MAX_BLOCKS = 500
MAX_TEXT_CHARS = 4096
MAX_ROW_CHARS = 1024
MAX_QR_BYTES = 2953  # QR version 40-L, the largest code there is
MAX_BARCODE_CHARS = 80
MAX_IMAGE_BYTES = 1024 * 1024
MAX_IMAGE_SIDE = 4096
MAX_IMAGE_PIXELS = 4096 * 2048

_PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"


class _Block(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """Base of the block kinds; ``main`` is the key that names the kind on the wire."""

    main: ClassVar[str]


class TextBlock(_Block):
    """A paragraph; ``\\n`` starts a new line and long lines wrap at word boundaries."""

    main = "text"

    text: Annotated[str, Meta(max_length=MAX_TEXT_CHARS, description="Any Unicode text.")]
    align: Annotated[Literal["left", "center", "right"], Meta(description="Alignment.")] = "left"
    bold: Annotated[bool, Meta(description="Emphasised print.")] = False
    underline: Annotated[bool, Meta(description="Underlined print.")] = False
    size: Annotated[
        Literal["normal", "wide", "tall", "double"],
        Meta(description="wide and double halve the characters per line."),
    ] = "normal"


_RowText = Annotated[str, Meta(max_length=MAX_ROW_CHARS)]


class RowBlock(_Block):
    """Left text and right text justified on one line, wrapped when they do not fit."""

    main = "row"

    row: Annotated[tuple[_RowText, _RowText], Meta(description='["left text", "right text"]')]


class RuleBlock(_Block):
    """A full-width line of one character."""

    main = "rule"

    rule: Annotated[str, Meta(min_length=1, max_length=1, description="The character.")]

    def __post_init__(self) -> None:
        if not self.rule.isprintable() or unicodedata.east_asian_width(self.rule) in "WF":
            raise ValueError("rule must be one printable, single-width character such as '-'")


class QrBlock(_Block):
    """A QR code; printed by the printer where it can, as an image otherwise."""

    main = "qr"

    qr: Annotated[str, Meta(min_length=1, description="The data to encode (UTF-8).")]
    size: Annotated[int, Meta(ge=1, le=16, description="Module size in dots, 1-16.")] = 6

    def __post_init__(self) -> None:
        if len(self.qr.encode("utf-8")) > MAX_QR_BYTES:
            raise ValueError(f"qr data is longer than a QR code can hold ({MAX_QR_BYTES} bytes)")


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

    main = "barcode"

    barcode: Annotated[
        str, Meta(min_length=1, max_length=MAX_BARCODE_CHARS, description="The data to encode.")
    ]
    symbology: Annotated[Symbology, Meta(description="The barcode type.")]

    def __post_init__(self) -> None:
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

    @property
    def full_data(self) -> str:
        """The data with the EAN/UPC check digit appended where the client left it out."""
        body = _GTIN_LENGTHS.get(self.symbology)
        if body is not None and len(self.barcode) == body:
            return self.barcode + gtin_check_digit(self.barcode)
        return self.barcode


class ImageBlock(_Block, dict=True):
    """A PNG picture (a logo); scaled down to the paper width and dithered to black and white."""

    # dict=True: the frozen struct keeps the PNG it decoded while checking, not a wire field.

    main = "image"

    image: Annotated[
        str,
        Meta(
            description="Base64 PNG.",
            extra_json_schema={"contentEncoding": "base64", "contentMediaType": "image/png"},
        ),
    ]

    def __post_init__(self) -> None:
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
        self.__dict__["png"] = png  # what the cached property below would compute

    @functools.cached_property
    def png(self) -> bytes:
        return base64.b64decode(self.image)


class FeedBlock(_Block):
    """Blank lines."""

    main = "feed"

    feed: Annotated[int, Meta(ge=1, le=255, description="Number of lines to feed, 1-255.")]


class CutBlock(_Block):
    """Feed to the cutter and cut; on a printer without a cutter only the feed happens."""

    main = "cut"

    cut: Annotated[Literal["full", "partial"], Meta(description="full or partial cut.")]


Block = (
    TextBlock | RowBlock | RuleBlock | QrBlock | BarcodeBlock | ImageBlock | FeedBlock | CutBlock
)
BLOCK_TYPES: tuple[type[_Block], ...] = (
    TextBlock,
    RowBlock,
    RuleBlock,
    QrBlock,
    BarcodeBlock,
    ImageBlock,
    FeedBlock,
    CutBlock,
)
_MAIN_KEYS: dict[str, type[_Block]] = {kind.main: kind for kind in BLOCK_TYPES}
_KIND_PROBLEM = "each block must be an object with exactly one of the keys " + ", ".join(_MAIN_KEYS)
_PATH = re.compile(r" - at `\$([^`]*)`$")


def _block(value: object, index: int) -> _Block:
    """One wire block as its kind's struct; errors located at ``$.blocks[index]...``."""
    if isinstance(value, _Block):
        return value
    where = f"$.blocks[{index}]"
    kind = _kind(value)
    if kind is None:
        raise ValueError(f"{_KIND_PROBLEM} - at `{where}`")
    try:
        return msgspec.convert(value, kind)
    except msgspec.ValidationError as exc:
        text = str(exc)
        inner = _PATH.search(text)
        if inner is None:
            raise ValueError(f"{text} - at `{where}`") from None
        raise ValueError(f"{text[: inner.start()]} - at `{where}{inner[1]}`") from None


def _kind(value: object) -> type[_Block] | None:
    """The block kind named by the one main key among the object's keys, if exactly one."""
    if not isinstance(value, dict):
        return None
    kind = None
    for key in value:  # a block has a few keys; looking up each is cheaper than eight lookups
        found = _MAIN_KEYS.get(key)
        if found is not None:
            if kind is not None:
                return None
            kind = found
    return kind


def _blocks_schema(ref_template: str) -> dict[str, Any]:
    return {"oneOf": [{"$ref": ref_template.format(name=kind.__name__)} for kind in BLOCK_TYPES]}


#: Where Receipt's schema looks for the block kinds' schemas: the OpenAPI document lists
#: :data:`BLOCK_TYPES` among its components (bridge/api/openapi.py), named by class.
OPENAPI_REF_TEMPLATE = "#/components/schemas/{name}"


class Receipt(msgspec.Struct, forbid_unknown_fields=True, frozen=True):
    """``{"blocks": [...]}``: printed top to bottom."""

    # blocks arrive as plain objects and become block structs in __post_init__ (see the module
    # docstring); a Receipt built in code may be given block structs directly.

    blocks: Annotated[
        list[Any],
        Meta(
            min_length=1,
            max_length=MAX_BLOCKS,
            description="The blocks.",
            extra_json_schema={"items": _blocks_schema(OPENAPI_REF_TEMPLATE)},
        ),
    ]

    def __post_init__(self) -> None:
        if not all(isinstance(block, _Block) for block in self.blocks):
            blocks = [_block(value, index) for index, value in enumerate(self.blocks)]
            msgspec.structs.force_setattr(self, "blocks", blocks)
