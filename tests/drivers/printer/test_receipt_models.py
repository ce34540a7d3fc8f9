"""The receipt wire models: what the API accepts, what it refuses and what it says."""

from __future__ import annotations

import base64
import io
import struct
import zlib

import msgspec
import pytest
from PIL import Image

from drivers.printer.receipt import (
    BLOCK_TYPES,
    MAX_BLOCKS,
    OPENAPI_REF_TEMPLATE,
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


def error(payload: object) -> str:
    """msgspec's message, which ends with where the problem is: "... - at `$.blocks[0].size`"."""
    with pytest.raises(msgspec.ValidationError) as caught:
        msgspec.convert(payload, Receipt)
    return str(caught.value)


def test_every_block_kind_parses_with_its_defaults() -> None:
    receipt = msgspec.convert(
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
        },
        Receipt,
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
        ({"text": "a", "row": ["a", "b"]}, "$.blocks[0]", "exactly one of the keys"),
        ({"colour": "red"}, "$.blocks[0]", "exactly one of the keys"),
        (["text", "a"], "$.blocks[0]", "exactly one of the keys"),
        ({"text": "a", "colour": "red"}, "$.blocks[0]", "unknown field `colour`"),
        ({"text": 5}, "$.blocks[0].text", "Expected `str`"),
        ({"text": "a", "size": "huge"}, "$.blocks[0].size", "'huge'"),
        ({"row": ["only left"]}, "$.blocks[0].row", "length 2"),
        ({"rule": "--"}, "$.blocks[0].rule", "length <= 1"),
        ({"rule": "中"}, "$.blocks[0]", "single-width"),
        ({"qr": "x", "size": 17}, "$.blocks[0].size", "<= 16"),
        ({"qr": "x" * 3000}, "$.blocks[0]", "longer than a QR code"),
        ({"feed": 0}, "$.blocks[0].feed", ">= 1"),
        ({"cut": "half"}, "$.blocks[0].cut", "'half'"),
        ({"text": "x" * 5000}, "$.blocks[0].text", "length <= 4096"),
    ],
)
def test_bad_blocks_are_refused_with_a_located_message(
    block: object, location: str, words: str
) -> None:
    message = error({"blocks": [block]})
    assert message.endswith(f" - at `{location}`"), message
    assert words in message


def test_the_location_counts_blocks_from_zero() -> None:
    message = error({"blocks": [{"feed": 1}, {"feed": 2}, {"cut": "half"}]})
    assert message.endswith(" - at `$.blocks[2].cut`")


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
        ("1234", "QR", "'QR'"),
    ],
)
def test_barcode_data_is_checked_per_symbology(data: str, symbology: str, words: str) -> None:
    assert words in error({"blocks": [{"barcode": data, "symbology": symbology}]})


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
    block = msgspec.convert({"barcode": data, "symbology": symbology}, BarcodeBlock)
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
    assert words in error({"blocks": [{"image": image}]})


def test_receipt_needs_between_one_and_max_blocks() -> None:
    assert "length >= 1" in error({"blocks": []})
    assert f"length <= {MAX_BLOCKS}" in error({"blocks": [{"feed": 1}] * (MAX_BLOCKS + 1)})
    assert "unknown field `extra`" in error({"blocks": [{"feed": 1}], "extra": 1})


def test_a_receipt_built_in_code_keeps_its_blocks_and_round_trips() -> None:
    blocks = [TextBlock("Hi", bold=True), RuleBlock("-")]
    receipt = Receipt(blocks=list(blocks))
    assert receipt.blocks == blocks
    wire = msgspec.to_builtins(receipt)
    assert wire["blocks"][0] == {
        "text": "Hi",
        "align": "left",
        "bold": True,
        "underline": False,
        "size": "normal",
    }
    assert msgspec.convert(wire, Receipt) == receipt
    assert msgspec.json.decode(msgspec.json.encode(receipt), type=Receipt) == receipt


def test_json_schema_is_clean_for_openapi() -> None:
    refs, schemas = msgspec.json.schema_components(
        [Receipt, *BLOCK_TYPES], ref_template=OPENAPI_REF_TEMPLATE
    )
    variants = schemas["Receipt"]["properties"]["blocks"]["items"]["oneOf"]
    assert len(variants) == 8
    assert {v["$ref"].rsplit("/", 1)[-1] for v in variants} <= schemas.keys()
    for kind in BLOCK_TYPES:
        definition = schemas[kind.__name__]
        assert definition["additionalProperties"] is False, kind
        assert kind.main in definition["required"], kind
        assert all("description" in p for p in definition["properties"].values()), kind
    image = schemas["ImageBlock"]["properties"]["image"]
    assert image["contentEncoding"] == "base64"
