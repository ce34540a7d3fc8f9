"""The receipt wire models: what the API accepts, what it refuses and what it says."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import pytest
from PIL import Image
from pydantic import ValidationError

from drivers.printer.receipt import (
    MAX_BLOCKS,
    BarcodeBlock,
    ImageBlock,
    QrBlock,
    Receipt,
    RuleBlock,
    TextBlock,
    gtin_check_digit,
)


def png(width: int = 8, height: int = 8) -> str:
    buf = io.BytesIO()
    Image.new("L", (width, height), 255).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


def png_header_only(width: int, height: int) -> str:
    """A PNG whose header claims a size; enough to be refused before any decoding."""
    ihdr = struct.pack(">IIBBBBB", width, height, 8, 0, 0, 0, 0)
    chunk = struct.pack(">I", 13) + b"IHDR" + ihdr + struct.pack(">I", zlib.crc32(b"IHDR" + ihdr))
    return base64.b64encode(b"\x89PNG\r\n\x1a\n" + chunk).decode()


def errors(payload: object) -> list[dict]:
    with pytest.raises(ValidationError) as caught:
        Receipt.model_validate(payload)
    return caught.value.errors()


def test_every_block_kind_parses_with_its_defaults() -> None:
    receipt = Receipt.model_validate(
        {
            "blocks": [
                {"text": "Hello"},
                {"row": ["Milk", "1.20"]},
                {"rule": "="},
                {"qr": "https://example.com"},
                {"barcode": "400638133393", "symbology": "EAN13"},
                {"image": png()},
                {"feed": 3},
                {"cut": "partial"},
            ]
        }
    )
    text, _, rule, qr, barcode, image, *_ = receipt.blocks
    assert isinstance(text, TextBlock)
    assert (text.align, text.bold, text.underline, text.size) == ("left", False, False, "normal")
    assert isinstance(rule, RuleBlock) and rule.rule == "="
    assert isinstance(qr, QrBlock) and qr.size == 6
    assert isinstance(barcode, BarcodeBlock) and barcode.full_data == "4006381333931"
    assert isinstance(image, ImageBlock) and image.png.startswith(b"\x89PNG")


@pytest.mark.parametrize(
    ("block", "location", "words"),
    [
        ({"text": "a", "row": ["a", "b"]}, ("blocks", 0), "exactly one of the keys"),
        ({"colour": "red"}, ("blocks", 0), "exactly one of the keys"),
        ({"text": "a", "colour": "red"}, ("blocks", 0, "text", "colour"), "Extra inputs"),
        ({"text": "a", "size": "huge"}, ("blocks", 0, "text", "size"), "normal"),
        ({"row": ["only left"]}, ("blocks", 0, "row", "row", 1), "Field required"),
        ({"rule": "--"}, ("blocks", 0, "rule", "rule"), "at most 1"),
        ({"rule": "中"}, ("blocks", 0, "rule", "rule"), "single-width"),
        ({"qr": "x", "size": 17}, ("blocks", 0, "qr", "size"), "16"),
        ({"qr": "x" * 3000}, ("blocks", 0, "qr", "qr"), "longer than a QR code"),
        ({"feed": 0}, ("blocks", 0, "feed", "feed"), "greater than or equal to 1"),
        ({"cut": "half"}, ("blocks", 0, "cut", "cut"), "'full' or 'partial'"),
        ({"text": "x" * 5000}, ("blocks", 0, "text", "text"), "at most 4096"),
    ],
)
def test_bad_blocks_are_refused_with_a_located_message(
    block: dict, location: tuple, words: str
) -> None:
    [error] = errors({"blocks": [block]})
    assert error["loc"] == location
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("data", "symbology", "words"),
    [
        ("4006381333932", "EAN13", "check digit of '4006381333932' is wrong: expected 1"),
        ("40063813339", "EAN13", "12 digits, or 13 with the check digit"),
        ("96385075", "EAN8", "expected 4"),
        ("03600029145X", "UPCA", "11 digits"),
        ("036000291453", "UPCA", "expected 2"),
        ("12345", "ITF", "even number of digits"),
        ("abc", "CODE39", "0-9, A-Z"),
        ("Grüße", "CODE128", "printable ASCII"),
        ("1234", "QR", "EAN13"),
    ],
)
def test_barcode_data_is_checked_per_symbology(data: str, symbology: str, words: str) -> None:
    [error] = errors({"blocks": [{"barcode": data, "symbology": symbology}]})
    assert words in error["msg"]


@pytest.mark.parametrize(
    ("data", "symbology", "full"),
    [
        ("4006381333931", "EAN13", "4006381333931"),
        ("9638507", "EAN8", "96385074"),
        ("03600029145", "UPCA", "036000291452"),
        ("1234567890", "ITF", "1234567890"),
        ("ABC-123 $", "CODE39", "ABC-123 $"),
        ("Hello {World}", "CODE128", "Hello {World}"),
    ],
)
def test_valid_barcodes_and_computed_check_digits(data: str, symbology: str, full: str) -> None:
    block = BarcodeBlock.model_validate({"barcode": data, "symbology": symbology})
    assert block.full_data == full


def test_gtin_check_digit_matches_known_codes() -> None:
    assert gtin_check_digit("590123412345") == "7"  # GS1's own example
    assert gtin_check_digit("400638133393") == "1"
    assert gtin_check_digit("03600029145") == "2"


@pytest.mark.parametrize(
    ("image", "words"),
    [
        ("not base64!", "not valid base64"),
        (base64.b64encode(b"GIF89a" + b"\0" * 40).decode(), "not a PNG"),
        (png_header_only(5000, 10), "each side must be 1-4096"),
        (png_header_only(4096, 4096), "more than"),
        ("A" * 2_000_000, "larger than 1024 KiB"),
    ],
)
def test_bad_images_are_refused_before_decoding(image: str, words: str) -> None:
    [error] = errors({"blocks": [{"image": image}]})
    assert words in error["msg"]


def test_receipt_needs_between_one_and_max_blocks() -> None:
    assert "at least 1" in errors({"blocks": []})[0]["msg"]
    assert f"at most {MAX_BLOCKS}" in errors({"blocks": [{"feed": 1}] * (MAX_BLOCKS + 1)})[0]["msg"]
    assert errors({"blocks": [], "extra": 1})


def test_json_schema_is_clean_for_openapi() -> None:
    schema = Receipt.model_json_schema()
    variants = schema["properties"]["blocks"]["items"]["oneOf"]
    assert len(variants) == 8
    for name, definition in schema["$defs"].items():
        assert definition["additionalProperties"] is False, name
        main = name.removesuffix("Block").lower()
        assert main in definition["required"], name
        assert all("description" in p for p in definition["properties"].values()), name
    image = schema["$defs"]["ImageBlock"]["properties"]["image"]
    assert image["contentEncoding"] == "base64"
