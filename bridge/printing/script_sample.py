"""The technician's test print: one short line per script the tills print, plus a code of each kind.

Lines fit 32 columns (58 mm paper), so the preview can be checked line by line.
"""

from __future__ import annotations

from bridge.wire import convert
from drivers.printer.receipt import Receipt

SCRIPT_LINES: dict[str, str] = {
    "Latin": "Latin: Quick brown fox äöüß",
    "Czech": "Czech: Příliš žluťoučký kůň",
    "Hungarian": "Hungarian: Árvíztűrő őű",
    "Cyrillic": "Cyrillic: Съешь же ещё булок",
    "Chinese": "Chinese: 收据打印测试 谢谢",
}


def script_sample(printer_id: str, profile_name: str) -> Receipt:
    blocks: list[dict[str, object]] = [
        {"text": "TEST PRINT", "align": "center", "bold": True, "size": "double"},
        {"text": f"printer {printer_id} · profile {profile_name}", "align": "center"},
        {"rule": "-"},
        *({"text": line} for line in SCRIPT_LINES.values()),
        {"rule": "-"},
        {"row": ["Total", "12.50"]},
        {"qr": "https://example.com/tillbridge-test", "size": 4},
        {"barcode": "9638507", "symbology": "EAN8"},
        {"cut": "partial"},
    ]
    return convert({"blocks": blocks}, Receipt)
