"""A print job's Idempotency-Key digest stays what earlier versions stored: a POS retrying a job
submitted before an upgrade must get its first job back, not a 409.

The digests below were computed by the models of the version before msgspec for the
same bodies: every default included, the row as a list, the image's decoded PNG left out.
"""

from __future__ import annotations

import base64
import io
from typing import Any

import pytest
from PIL import Image

from bridge.printing.models import PrintRequest
from bridge.printing.queue import request_digest
from bridge.wire import convert


def png() -> str:
    buf = io.BytesIO()
    Image.new("L", (8, 8), 255).save(buf, "PNG")
    return base64.b64encode(buf.getvalue()).decode()


CASES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "receipt": {
                "blocks": [
                    {"text": "Obchod · 商店", "align": "center", "bold": True},
                    {"row": ["Mléko", "19.90"]},
                    {"rule": "-"},
                    {"qr": "https://x.example/r/1"},
                    {"barcode": "9638507", "symbology": "EAN8"},
                    {"feed": 2},
                    {"cut": "partial"},
                ]
            }
        },
        "b701bbd01a74a04f1e09160fffec6a45b5793dd736a221883fb92c7756cf2916",
    ),
    (
        {
            "receipt": {
                "blocks": [{"image": png()}, {"text": "a\nb", "size": "double", "underline": True}]
            }
        },
        "1b914543ac449dfb7fab1f7f7e50306a6f6e273223f2fa5af5a1e085fbf8f893",
    ),
    (
        {
            "raw": base64.b64encode(b"\x1b@hello\n\x1bp\x00\x19\xfa").decode(),
            "open_drawer": True,
            "drawer_reason": "float",
        },
        "4f639c636e47029d25e0b81d703fd38704edc720788c32b923add67ecd284f27",
    ),
    (
        {"raw": "AA==", "open_drawer": True, "drawer_reason": "sale", "document_id": "d-1"},
        "2fd291cbc2449b8379cdc6aeea70de1a8e0af00fcb56d9b60f9c9575a2a894ec",
    ),
]


@pytest.mark.parametrize(("body", "digest"), CASES)
def test_digest_matches_what_the_previous_version_stored(body: dict[str, Any], digest: str) -> None:
    assert request_digest(convert(body, PrintRequest)).hex() == digest


def test_a_changed_body_changes_the_digest() -> None:
    body, digest = CASES[0]
    changed = {"receipt": {"blocks": [*body["receipt"]["blocks"][:-1], {"cut": "full"}]}}
    assert request_digest(convert(changed, PrintRequest)).hex() != digest
