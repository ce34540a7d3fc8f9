"""The technician's test print: one line in every script the tills print, plus a code of each kind."""

from __future__ import annotations

from drivers.printer.receipt import Receipt

SCRIPT_LINES: dict[str, str] = {
    "Latin": "Latin: The quick brown fox 0123456789 äöüß éèç",
    "Czech": "Czech: Příliš žluťoučký kůň úpěl ďábelské ódy",
    "Hungarian": "Hungarian: Árvíztűrő tükörfúrógép őű",
    "Cyrillic": "Cyrillic: Съешь же ещё этих мягких булок, ґ є і ї",
    "Chinese": "Chinese: 收据打印测试 谢谢惠顾 ￥12.50",
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
        {"barcode": "590123412345", "symbology": "EAN13"},
        {"cut": "partial"},
    ]
    return Receipt.model_validate({"blocks": blocks})
