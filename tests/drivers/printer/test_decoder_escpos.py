"""The decoder reads jobs built by others (python-escpos) and shows what the printer would print."""

from __future__ import annotations

import pytest

from drivers.printer.escpos_commands import tokenize
from drivers.printer.escpos_decoder import decode
from drivers.printer.profiles import ProfileCatalog


@pytest.fixture(scope="module")
def catalog(tmp_path_factory: pytest.TempPathFactory) -> ProfileCatalog:
    return ProfileCatalog()


def test_reads_python_escpos_code_pages_qr_barcode_and_cut(catalog: ProfileCatalog) -> None:
    from escpos.printer import Dummy

    printer = Dummy(profile="TM-T88V")
    printer.textln("Привет, мир")
    printer.textln("Příliš žluťoučký kůň")
    printer.textln("Grüße")
    printer.qr("https://example.com/q", native=True)
    printer.barcode("4006381333931", "EAN13")
    printer.cashdraw(2)
    printer.cut()
    text = decode(printer.output, catalog.get("TM-T88V"))
    assert text.startswith("Привет, мир\nPříliš žluťoučký kůň\nGrüße\n")
    assert "[QR https://example.com/q]\n" in text
    assert "[BARCODE EAN13 4006381333931]\n" in text
    assert "[DRAWER pin 2 100ms]\n" in text
    assert text.endswith("[CUT full]\n")


def test_python_escpos_images_are_one_marker(catalog: ProfileCatalog) -> None:
    from escpos.printer import Dummy
    from PIL import Image

    printer = Dummy(profile="TM-T88V")
    printer.image(Image.new("1", (100, 40)), fragment_height=16)
    assert decode(printer.output, catalog.get("TM-T88V")) == "[IMAGE 104x40]\n"


def test_chinese_mode_and_unknown_slots(catalog: ProfileCatalog) -> None:
    profile = catalog.get("POS-5890-chinese")
    job = b"\x1c&" + "谢谢 ok".encode("gb18030") + b"\x1c.\x1bt\x11\x8f\n\x1bt\xfe\x8f"
    assert decode(job, profile) == "谢谢 okП\n?"


def test_truncated_and_real_time_commands_are_shown(catalog: ProfileCatalog) -> None:
    profile = catalog.get("TM-T88V")
    assert decode(b"ok\x10\x14\x01\x01\x03\x07\x1dv0\x00\x01", profile) == (
        "ok\n[DRAWER realtime pin 5 300ms]\n[BEL]\n[TRUNCATED GS v]\n"
    )


def test_tokens_cover_every_byte_in_order() -> None:
    job = (
        b"\x1b@A\x1bt\x11\x8f\n\x1d(k\x05\x001P0ab\x1dv0\x00\x01\x00\x02\x00\x1b\x70"
        b"\x1dk\x02123\x00\x1dkI\x03{B1\x1b*\x21\x01\x00abc\x1bD\x08\x10\x00\x1bX"
    )
    tokens = list(tokenize(job))
    assert [t.name for t in tokens if t.kind == "command"] == [
        "ESC @",
        "ESC t",
        "GS ( k",
        "GS v",
        "GS k",
        "GS k",
        "ESC *",
        "ESC D",
        "ESC X",
    ]
    assert b"".join(t.bytes_of(job) for t in tokens) == job
    gs_v = next(t for t in tokens if t.name == "GS v")
    assert gs_v.bytes_of(job) == b"\x1dv0\x00\x01\x00\x02\x00\x1b\x70"  # 2 data bytes, no ESC p
