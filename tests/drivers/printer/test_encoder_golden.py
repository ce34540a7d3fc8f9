"""Receipt blocks to ESC/POS bytes: golden bytes per block, and whole receipts decoded back."""

from __future__ import annotations

import base64
import io

import msgspec
import pytest
from PIL import Image

from drivers.printer.escpos_decoder import decode
from drivers.printer.escpos_encoder import (
    ReceiptRenderer,
    ReceiptTooWide,
    drawer_kick,
    realtime_drawer_kick,
)
from drivers.printer.profiles import CHINESE_PROFILE, ProfileCatalog, ProfileOverrides
from drivers.printer.receipt import Receipt

INIT = b"\x1b@"


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> ProfileCatalog:
    return ProfileCatalog()


def render(catalog: ProfileCatalog, profile: str, *blocks: dict, **overrides: object) -> bytes:
    chosen = catalog.get(profile, ProfileOverrides(**overrides) if overrides else None)
    return ReceiptRenderer(chosen).render(msgspec.convert({"blocks": list(blocks)}, Receipt))


def png(width: int, height: int, color: str = "black") -> str:
    buf = io.BytesIO()
    Image.new("RGB", (width, height), color).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


@pytest.mark.parametrize(
    ("block", "body"),
    [
        ({"text": "Hi"}, b"Hi\n"),
        ({"text": "Hi\nthere"}, b"Hi\nthere\n"),
        (
            {"text": "Total", "align": "center", "bold": True, "underline": True, "size": "double"},
            b"\x1ba\x01\x1bE\x01\x1b-\x01\x1d!\x11Total\n",
        ),
        ({"text": "T", "size": "tall"}, b"\x1d!\x01T\n"),
        ({"text": "W", "size": "wide", "align": "right"}, b"\x1ba\x02\x1d!\x10W\n"),
        ({"row": ["Milk", "1.20"]}, b"Milk" + b" " * 34 + b"1.20\n"),
        ({"rule": "="}, b"=" * 42 + b"\n"),
        ({"rule": "─"}, b"\xc4" * 42 + b"\n"),  # box drawing from CP437
        ({"feed": 3}, b"\x1bd\x03"),
        ({"cut": "full"}, b"\x1bd\x04\x1dV\x00"),
        ({"cut": "partial"}, b"\x1bd\x04\x1dV\x01"),
        (
            {"qr": "hello", "size": 5},
            b"\x1ba\x01"
            b"\x1d(k\x04\x001A2\x00"  # model 2
            b"\x1d(k\x03\x001C\x05"  # module size 5
            b"\x1d(k\x03\x001E1"  # error correction M
            b"\x1d(k\x08\x001P0hello"  # store
            b"\x1d(k\x03\x001Q0",  # print
        ),
        (
            {"barcode": "400638133393", "symbology": "EAN13"},
            b"\x1ba\x01\x1dhP\x1dw\x03\x1dH\x02\x1df\x00\x1dkC\x0d4006381333931",
        ),
        (
            {"barcode": "AB{12", "symbology": "CODE128"},
            b"\x1ba\x01\x1dhP\x1dw\x03\x1dH\x02\x1df\x00\x1dkI\x08{BAB{{12",
        ),
    ],
)
def test_golden_bytes_per_block_on_tm_t88v(
    catalog: ProfileCatalog, block: dict, body: bytes
) -> None:
    assert render(catalog, "TM-T88V", block) == INIT + body


def test_styles_are_sent_only_when_they_change(catalog: ProfileCatalog) -> None:
    raw = render(
        catalog,
        "TM-T88V",
        {"text": "A", "bold": True},
        {"text": "B", "bold": True},
        {"row": ["C", "D"]},
    )
    assert raw == INIT + b"\x1bE\x01A\nB\n\x1bE\x00C" + b" " * 40 + b"D\n"


def test_long_rows_wrap_and_keep_the_amount_right_aligned(catalog: ProfileCatalog) -> None:
    raw = render(
        catalog,
        "TM-T88V",
        {"row": ["Extra long product name with many words to wrap", "1 234,50"]},
        {"row": ["Short", "an amount far too long to fit beside any text at all, wrapped"]},
    )
    lines = decode(raw, catalog.get("TM-T88V")).splitlines()
    assert lines[0] == "Extra long product name with many words to"
    assert lines[1] == "wrap" + " " * 30 + "1 234,50"
    assert lines[2] == "Short"
    assert all(len(line) <= 42 for line in lines)
    assert lines[-1].endswith("wrapped") and len(lines[-1]) == 42


def test_rows_justify_by_display_width_with_chinese(catalog: ProfileCatalog) -> None:
    profile = catalog.get(CHINESE_PROFILE)
    raw = render(catalog, CHINESE_PROFILE, {"row": ["绿茶 500ml", "6,00"]})
    assert decode(raw, profile) == "绿茶 500ml" + " " * 18 + "6,00\n"  # 10 + 18 + 4 = 32 columns
    assert raw == INIT + b"\x1c.\x1c&" + "绿茶 500ml".encode("gb18030") + b" " * 18 + b"6,00\n"


def test_text_wraps_chinese_anywhere_and_latin_at_spaces(catalog: ProfileCatalog) -> None:
    profile = catalog.get(CHINESE_PROFILE)
    text = "谢谢光临" * 5 + " and some words"
    lines = decode(render(catalog, CHINESE_PROFILE, {"text": text}), profile).splitlines()
    assert lines == ["谢谢光临" * 4, "谢谢光临 and some words"]


FULL_RECEIPT = [
    {"text": "Крамниця «Зоря»", "align": "center", "bold": True, "size": "double"},
    {"row": ["Молоко 1 л", "32,50"]},
    {"row": ["Хліб житній", "21,00"]},
    {"row": ["Příliš žluťoučký kůň", "129,00"]},
    {"row": ["Őszibarack ízű üdítő", "459"]},
    {"row": ["Grüner Tee, Bio", "3,49"]},
    {"row": ["绿茶", "6,00"]},
    {"rule": "-"},
    {"qr": "https://example.com/r/1"},
    {"barcode": "96385074", "symbology": "EAN8"},
    {"cut": "full"},
]


def test_whole_receipt_on_epson_decodes_back(catalog: ProfileCatalog) -> None:
    profile = catalog.get("TM-T88V")
    text = decode(render(catalog, "TM-T88V", *FULL_RECEIPT), profile)
    assert text.splitlines()[:8] == [
        "Крамниця «Зоря»",
        "Молоко 1 л" + " " * 27 + "32,50",
        "Хліб житній" + " " * 26 + "21,00",
        "Příliš žluťoučký kůň" + " " * 16 + "129,00",
        "Őszibarack ízű üdítő" + " " * 19 + "459",
        "Grüner Tee, Bio" + " " * 23 + "3,49",
        "??" + " " * 36 + "6,00",
        "-" * 42,
    ]
    assert text.endswith(
        "[QR https://example.com/r/1]\n[BARCODE EAN8 96385074]\n\n\n\n\n[CUT full]\n"
    )


def test_whole_receipt_on_rongta_uses_its_own_slots(catalog: ProfileCatalog) -> None:
    raw = render(catalog, "RP326", *FULL_RECEIPT)
    assert b"\x1bt\x06" in raw and b"\x1bt\x11" not in raw  # CP1251 is slot 6 there
    text = decode(raw, catalog.get("RP326"))
    assert "Хліб житній" in text and "Őszibarack ízű üdítő" in text


def test_whole_receipt_on_a_chinese_printer_without_codes_or_cutter(
    catalog: ProfileCatalog,
) -> None:
    profile = catalog.get(CHINESE_PROFILE)
    raw = render(catalog, CHINESE_PROFILE, *FULL_RECEIPT)
    assert raw.startswith(INIT + b"\x1c.")
    assert b"\x1d(k" not in raw and b"\x1dk" not in raw and b"\x1dV" not in raw
    lines = decode(raw, profile).splitlines()
    assert "绿茶" + " " * 24 + "6,00" in lines  # 4 columns + 24 + 4
    assert "Příliš žluťoučký kůň" + " " * 6 + "129,00" in lines
    # QR and barcode drawn as pictures; the barcode's digits printed under it.
    images = [line for line in lines if line.startswith("[IMAGE ")]
    assert len(images) == 2
    assert lines[lines.index(images[1]) + 1] == "96385074"
    assert "[CUT" not in "".join(lines)


def test_raster_qr_fits_the_paper(catalog: ProfileCatalog) -> None:
    raw = render(catalog, CHINESE_PROFILE, {"qr": "x" * 500, "size": 16})
    header = raw.index(b"\x1dv0")
    width_bytes = raw[header + 4] | raw[header + 5] << 8
    assert width_bytes * 8 <= catalog.get(CHINESE_PROFILE).width_dots


def test_images_are_scaled_dithered_and_banded(catalog: ProfileCatalog) -> None:
    profile = catalog.get("TM-T88V")
    raw = render(catalog, "TM-T88V", {"image": png(1024, 600)})
    # 1024x600 scaled to 512x300, sent as bands of 256 + 44 rows, all black.
    band1 = b"\x1dv0\x00\x40\x00\x00\x01" + b"\xff" * (64 * 256)
    band2 = b"\x1dv0\x00\x40\x00\x2c\x00" + b"\xff" * (64 * 44)
    assert raw == INIT + b"\x1ba\x01" + band1 + band2
    assert decode(raw, profile) == "[IMAGE 512x300]\n"
    grey = render(catalog, "TM-T88V", {"image": png(64, 8, "#808080")})
    dots = grey[-64:]
    assert 0.3 < sum(bin(b).count("1") for b in dots) / (64 * 8) < 0.7  # dithered, not a threshold


def test_transparent_png_prints_on_white(catalog: ProfileCatalog) -> None:
    buf = io.BytesIO()
    Image.new("RGBA", (16, 2), (0, 0, 0, 0)).save(buf, "PNG")
    raw = render(catalog, "TM-T88V", {"image": base64.b64encode(buf.getvalue()).decode()})
    assert raw.endswith(b"\x1dv0\x00\x02\x00\x02\x00" + b"\x00" * 4)


def test_cut_follows_the_cutter(catalog: ProfileCatalog) -> None:
    only_full = render(catalog, "TM-T88V", {"cut": "partial"}, partial_cut=False)
    assert only_full.endswith(b"\x1dV\x00")
    assert (
        render(catalog, "TM-T88V", {"cut": "full"}, cut_feed_lines=0)
        == INIT + b"\x1bd\x00\x1dV\x00"
    )
    assert render(catalog, CHINESE_PROFILE, {"cut": "full"}) == INIT + b"\x1c.\x1bd\x04"


def test_function_a_barcodes_and_raster_when_a_symbology_is_missing(
    catalog: ProfileCatalog,
) -> None:
    ean = render(
        catalog, "TM-T88V", {"barcode": "9638507", "symbology": "EAN8"}, barcode_functions="A"
    )
    assert ean.endswith(b"\x1dk\x0396385074\x00")
    code128 = render(
        catalog, "TM-T88V", {"barcode": "ABC", "symbology": "CODE128"}, barcode_functions="A"
    )
    assert b"\x1dk" not in code128 and code128.endswith(b"ABC\n")
    assert decode(code128, catalog.get("TM-T88V")).startswith("[IMAGE ")


def test_barcode_too_wide_for_the_paper_is_a_clear_error(catalog: ProfileCatalog) -> None:
    with pytest.raises(ReceiptTooWide, match=r"needs .* dots but the paper has 384"):
        render(catalog, CHINESE_PROFILE, {"barcode": "A" * 60, "symbology": "CODE128"})


def test_drawer_kick_commands() -> None:
    assert drawer_kick(2, 100) == b"\x1bp\x00\x32\x32"
    assert drawer_kick(5, 200) == b"\x1bp\x01\x64\x64"
    assert drawer_kick(2, 20) == b"\x1bp\x00\x0a\x32"  # off time never shorter than 100 ms
    assert realtime_drawer_kick(2, 100) == b"\x10\x14\x01\x00\x01"
    assert realtime_drawer_kick(5, 5000) == b"\x10\x14\x01\x01\x08"
    with pytest.raises(ValueError, match="2 or 5"):
        drawer_kick(3, 100)
