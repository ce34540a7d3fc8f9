"""Request hashes stay what earlier versions recorded: a POS retrying a document recorded before
an upgrade must still get "same id, same body: 200", and a changed body 409.

The digests below were computed for the same bodies by the models before the move to msgspec
(commit fa4cbd4); decimals keep the client's digits, UUIDs are lower-cased, times keep
their offset ("Z" for UTC) and six-digit fractions, defaults are included, and the print and drawer
wishes are left out.
"""

from __future__ import annotations

import json
from typing import Any

import pytest

from bridge.documents.models import Document
from bridge.documents.recorder import request_hash
from bridge.wire import decode_json

CASES: list[tuple[dict[str, Any], str]] = [
    (
        {
            "id": "0b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "sale",
            "currency": "CZK",
            "occurred_at": "2026-01-01T10:00:00Z",
            "note": "Stůl 4",
            "lines": [
                {"sku": "A", "quantity": "1.500", "unit_price": "19.90", "total": "29.85"},
                {
                    "sku": "B",
                    "name": "Hruška",
                    "quantity": " 2 ",
                    "unit_price": "5",
                    "discount": "0.50",
                    "total": "9.50",
                },
            ],
            "total": "39.35",
            "payments": [{"method": "cash", "amount": "39.35"}],
            "print": {"printer": "front"},
            "open_drawer": {"drawer": "main"},
        },
        "510e1adc2dcf034cd598312383a725c8053c309e4b0daafb0bbe811f7152336a",
    ),
    (
        {
            "id": "0B6F2A3C-5D1E-4F7A-9C2B-1A2B3C4D5E60",
            "type": "sale",
            "currency": "CZK",
            "occurred_at": "2026-01-01T10:00:00.123456+01:00",
            "lines": [{"sku": "A", "quantity": "1", "unit_price": "19.90", "total": "19.90"}],
            "total": "19.90",
            "payments": [{"method": "card", "amount": "19.90"}],
        },
        "f7eb9961b23434776a376eda0e2d66c5c0686d5519e87d0efb0015f304936cfb",
    ),
    (
        {
            "id": "1b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "sale",
            "currency": "CZK",
            "occurred_at": "2026-01-01T10:00:00.120+00:00",
            "lines": [{"sku": "A", "quantity": "1", "unit_price": "19.90", "total": "19.90"}],
            "total": "19.90",
            "payments": [{"method": "card", "amount": "19.90"}],
        },
        "5cc87cb1bfe589cf34fc911358518a81c8ede3ef7519913655d231de0eb7c689",
    ),
    (
        {
            "id": "2b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "refund",
            "sale_id": "0b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "currency": "CZK",
            "lines": [
                {
                    "sku": "A",
                    "quantity": "1",
                    "unit_price": "19.90",
                    "total": "19.90",
                    "restock": False,
                }
            ],
            "total": "19.90",
            "payments": [{"method": "cash", "amount": "19.90"}],
            "reason": "broken",
        },
        "a4adccc827c5e1d588093ab0544223884bc649c6c4e87ac31f87054d0ae70ade",
    ),
    (
        {
            "id": "3b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "cash_in",
            "currency": "EUR",
            "amount": "100.00",
        },
        "f8834a7ba7ad7458633f128766a72da8f3190605f286eda2e29932ce0d7f2d96",
    ),
    (
        {"id": "5b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f", "type": "shift_open", "currency": "CZK"},
        "d686d31ea537709eb6cab283559a4fb3ecf9eed371910418fe325014bb3cc42c",
    ),
    (
        {
            "id": "6b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "shift_close",
            "counted_cash": "1000.00",
        },
        "f1241f3e21b91ee9873f347a3c4ce032c325fbb5dac389a79607a7efa73b95a0",
    ),
    (
        {
            "id": "9b6f2a3c-5d1e-4f7a-9c2b-1a2b3c4d5e6f",
            "type": "inventory_count",
            "source": "f.csv",
            "lines": [{"sku": "A", "counted": "0"}, {"sku": "B", "counted": "12.5"}],
        },
        "534571c2d8899fe4ff0fd61295af8594ad7840298c36dbc34df8829d183c7696",
    ),
]


@pytest.mark.parametrize(("body", "digest"), CASES, ids=[c[0]["type"] for c in CASES])
def test_request_hash_is_what_earlier_versions_recorded(body: dict[str, Any], digest: str) -> None:
    assert request_hash(decode_json(json.dumps(body).encode(), Document)) == digest


def test_print_and_drawer_wishes_are_not_part_of_the_hash() -> None:
    body, digest = CASES[0]
    plain = {k: v for k, v in body.items() if k not in ("print", "open_drawer")}
    assert request_hash(decode_json(json.dumps(plain).encode(), Document)) == digest
    changed = {**plain, "note": "another"}
    assert request_hash(decode_json(json.dumps(changed).encode(), Document)) != digest
