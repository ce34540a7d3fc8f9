"""Receipt rendering speed: ours against python-escpos's ``Dummy`` printer, same receipt, one run.

A 40-line receipt in mixed scripts (Russian, Ukrainian, Czech, Hungarian, German, Chinese) with a
QR code and a cut, on the Epson TM-T88V profile. Measured twice: with the printer's native QR
command (the fair comparison, and the goal: at least 10x) and with the QR drawn as a picture.
Run: ``.venv/bin/python bench/bench_render.py``
"""

from __future__ import annotations

import os
import sys
import tempfile
import time
from collections.abc import Callable

import msgspec

from drivers.printer.escpos_encoder import ReceiptRenderer
from drivers.printer.profiles import ProfileCatalog, ProfileOverrides
from drivers.printer.receipt import Receipt

PROFILE = "TM-T88V"
QR_DATA = "https://receipts.example.com/r/2024-000123?sig=9f8e7d6c5b4a"
ITEMS = [
    ("Молоко 3,2% 1 л", "89,90"),
    ("Хліб житній", "32,50"),
    ("Příliš žluťoučký kůň", "129,00"),
    ("Őszibarack ízű üdítő", "459"),
    ("Grüner Tee, Bio", "3,49"),
    ("绿茶 500ml", "6,00"),
    ("Сир твердий «Український»", "210,40"),
    ("Müsli mit Früchten", "4,99"),
    ("Česnek — 3 ks", "24,90"),
    ("Kenyér (félbarna)", "599"),
]


def receipt_json() -> dict:
    blocks: list[dict] = [
        {
            "text": "ТОВ «Крамниця» / Obchod s.r.o.",
            "align": "center",
            "bold": True,
            "size": "double",
        },
        {"text": "вул. Шевченка 1, Київ · 商店", "align": "center"},
        {"rule": "-"},
    ]
    for index in range(30):
        left, right = ITEMS[index % len(ITEMS)]
        blocks.append({"row": [f"{index + 1:2d} {left}", right]})
    blocks += [
        {"rule": "="},
        {"row": ["РАЗОМ / CELKEM / 合计", "1 234,56"]},
        {"row": ["Готівка", "1 300,00"]},
        {"row": ["Решта", "65,44"]},
        {"text": "Köszönjük a vásárlást! Děkujeme! Дякуємо! 谢谢!", "align": "center"},
        {"text": "Ціни з ПДВ", "align": "center", "underline": True},
        {"qr": QR_DATA, "size": 6},
        {"cut": "partial"},
    ]
    return {"blocks": blocks}


def escpos_dummy(receipt: dict, native_qr: bool) -> Callable[[], bytes]:
    """The same receipt built with python-escpos: its own text encoding, rows padded by len()."""
    from escpos.printer import Dummy

    columns = 42

    def build() -> bytes:
        printer = Dummy(profile=PROFILE)
        for block in receipt["blocks"]:
            if "text" in block:
                size = block.get("size", "normal")
                printer.set(
                    align=block.get("align", "left"),
                    bold=block.get("bold", False),
                    underline=1 if block.get("underline") else 0,
                    double_width=size in ("wide", "double"),
                    double_height=size in ("tall", "double"),
                    normal_textsize=size == "normal",
                )
                printer.textln(block["text"])
            elif "row" in block:
                left, right = block["row"]
                printer.set(align="left", bold=False, underline=0, normal_textsize=True)
                printer.textln(left + " " * max(1, columns - len(left) - len(right)) + right)
            elif "rule" in block:
                printer.set(align="left", normal_textsize=True)
                printer.textln(block["rule"] * columns)
            elif "qr" in block:
                printer.set(align="center")
                printer.qr(block["qr"], size=block["size"], native=native_qr)
            elif "cut" in block:
                printer.cut(mode="PART")
        return printer.output

    return build


def rate(build: Callable[[], object], seconds: float = 1.5) -> float:
    """Receipts per second, best of three runs of about ``seconds / 3`` each."""
    build()
    best = 0.0
    for _ in range(3):
        count, start = 0, time.perf_counter()
        while (elapsed := time.perf_counter() - start) < seconds / 3:
            build()
            count += 1
        best = max(best, count / elapsed)
    return best


def main() -> None:
    os.environ.setdefault("ESCPOS_CAPABILITIES_PICKLE_DIR", tempfile.gettempdir())
    catalog = ProfileCatalog()
    data = receipt_json()
    receipt = msgspec.convert(data, Receipt)
    lines = sum(1 for b in data["blocks"] if {"text", "row", "rule"} & b.keys())
    print(
        f"receipt: {len(data['blocks'])} blocks, {lines} text lines + QR + cut; profile {PROFILE}"
    )
    print(f"{'QR':<8} {'ours/s':>10} {'ours+validate/s':>16} {'Dummy/s':>10} {'ratio':>7}")
    for native in (True, False):
        profile = catalog.get(PROFILE, ProfileOverrides(native_qr=native))
        renderer = ReceiptRenderer(profile)
        ours = rate(lambda r=renderer: r.render(receipt))
        ours_validated = rate(lambda r=renderer: r.render(msgspec.convert(data, Receipt)))
        theirs = rate(escpos_dummy(data, native))
        label = "native" if native else "picture"
        print(
            f"{label:<8} {ours:>10.0f} {ours_validated:>16.0f} {theirs:>10.0f} {ours / theirs:>6.1f}x"
        )
    sys.stdout.flush()


if __name__ == "__main__":
    main()
