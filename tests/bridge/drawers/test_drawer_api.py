"""Cash drawers through the HTTP API: policy, rate limit, audit and outbox, sensor events."""

from __future__ import annotations

import asyncio
import json
from typing import Any

import pytest

from bridge import keys
from bridge.auth.roles import Role
from drivers.simulated.printer import SimulatedPrinter
from tests.bridge.catalog_helpers import post, product, put_products, refund, sale
from tests.conftest import Api, make_token


@pytest.fixture
def config_text() -> str:
    return """
[server]
port = 0
allowed_origins = ["http://pos.example.test:8080"]

[drawers]
max_per_token = 2
max_per_till = 3
rate_window_s = 600
open_too_long_s = 0.3

[devices.receipt]
driver = "simulated-printer"
drawer_auto_close_s = 3600

[devices.drawer]
driver = "printer-drawer"
printer = "receipt"
pin = 2
pulse_ms = 100

[devices.spare]
driver = "simulated-drawer"
auto_close_s = 3600
"""


async def open_drawer(
    api: Api, body: dict[str, Any], token: str, drawer: str = "drawer"
) -> tuple[int, Any, Any]:
    return await api.call(
        "POST",
        f"/api/v1/drawers/{drawer}/open",
        json_body=body,
        headers=api.auth(token, Origin="http://pos.example.test:8080"),
    )


async def audit_rows(api: Api) -> list[Any]:
    return await api.daemon.app[keys.STORE].fetchall(
        "SELECT actor, origin, action, target, result, details FROM audit_log "
        "WHERE action = 'drawer.open' ORDER BY id"
    )


async def outbox_events(api: Api) -> list[dict[str, Any]]:
    rows = await api.daemon.app[keys.STORE].fetchall(
        "SELECT payload FROM outbox WHERE type = 'drawer_open' ORDER BY seq"
    )
    return [json.loads(row["payload"]) for row in rows]


async def recorded_sale(api: Api, *payments: tuple[str, str]) -> dict[str, Any]:
    """A sale of 100.00 recorded on the till, paid as ``payments`` (method, amount)."""
    await put_products(api, product("A1", "Apple", "100.00"))
    doc = sale([("A1", "1", "100.00")])
    if payments:
        doc["payments"] = [{"method": m, "amount": a} for m, a in payments]
    status, body = await post(api, doc)
    assert status == 201, body
    return doc


def simulated_printer(api: Api) -> SimulatedPrinter:
    device = api.daemon.app[keys.DEVICES].get("receipt").device  # type: ignore[union-attr]
    assert isinstance(device, SimulatedPrinter)
    return device


async def drawer_events(ws: Any, count: int, limit_s: float = 5.0) -> list[dict[str, Any]]:
    seen: list[dict[str, Any]] = []
    async with asyncio.timeout(limit_s):
        while len(seen) < count:
            frame = await ws.receive_json()
            if frame.get("topic") == "drawer" and frame["data"]["drawer"] == "drawer":
                seen.append(frame["data"])
    return seen


async def test_sale_opens_the_drawer_through_its_printer_and_the_sensor_reports_it(
    api: Api,
) -> None:
    doc = await recorded_sale(api)
    ws = await api.ws_authed(["drawer"])
    status, body, _ = await api.call(
        "POST",
        "/api/v1/drawers/drawer/open",
        json_body={"reason": "sale", "document_id": doc["id"]},
        token=api.cashier,
    )
    assert status == 200 and body == {"opened": True, "drawer": "drawer"}
    printer = simulated_printer(api)
    assert b"\x1bp\x00" in printer.jobs[-1]  # ESC p on pin 2 went to the printer
    events = await drawer_events(ws, 3)
    names = [e["event"] for e in events]
    assert sorted(names) == ["kicked", "open_too_long", "opened"]
    assert names.index("opened") < names.index("open_too_long")
    kicked = events[names.index("kicked")]
    assert kicked["reason"] == "sale" and kicked["document_id"] == doc["id"]
    status, state, _ = await api.call("GET", "/api/v1/drawers/drawer", token=api.cashier)
    assert status == 200 and state["open"] is True and state["open_for_s"] >= 0.3
    printer.close_drawer()
    closed = await drawer_events(ws, 1)
    assert closed == [{"drawer": "drawer", "event": "closed", "open": False}]
    status, state, _ = await api.call("GET", "/api/v1/drawers/drawer", token=api.cashier)
    assert state["open"] is False
    await ws.close()


async def test_offline_printer_still_opens_the_drawer_with_a_realtime_kick(api: Api) -> None:
    printer = simulated_printer(api)
    printer.set_condition(paper_out=True)
    status, body, _ = await api.call(
        "POST",
        "/api/v1/drawers/drawer/open",
        json_body={"reason": "float"},
        token=api.cashier,
    )
    assert status == 200, body
    status, state, _ = await api.call("GET", "/api/v1/drawers/drawer")
    assert state["open"] is True


async def test_policy_refusals_and_every_attempt_is_audited_with_an_outbox_event(
    api: Api,
) -> None:
    technician = await make_token(api.daemon, Role.TECHNICIAN)
    cash = await recorded_sale(api)
    card = await recorded_sale(api, ("card", "100.00"))
    mixed = await recorded_sale(api, ("card", "60.00"), ("cash", "40.00"))
    cash_refund = refund(cash, [("A1", "1")])
    assert (await post(api, cash_refund))[0] == 201
    cases = [
        (api.cashier, {"reason": "sale"}, 422, "drawer.document_required"),
        (api.cashier, {"reason": "no_sale"}, 403, "drawer.needs_technician"),
        (api.cashier, {"reason": "party"}, 422, "drawer.unknown_reason"),
        (api.cashier, {"reason": "sale", "document_id": "d-9"}, 422, "drawer.document_unknown"),
        (api.cashier, {"reason": "sale", "document_id": card["id"]}, 422, "drawer.not_cash"),
        (
            api.cashier,
            {"reason": "refund", "document_id": cash["id"]},
            422,
            "drawer.document_mismatch",
        ),
        (api.cashier, {"reason": "sale", "document_id": mixed["id"]}, 200, None),
        (technician, {"reason": "no_sale"}, 200, None),
        (technician, {"reason": "refund", "document_id": cash_refund["id"]}, 200, None),
    ]
    for token, body, expected, code in cases:
        status, answer, _ = await open_drawer(api, body, token)
        assert status == expected, answer
        if code is not None:
            assert answer["error"]["code"] == code
    status, _, _ = await open_drawer(api, {"reason": "x"}, api.cashier, drawer="ghost")
    assert status == 404

    rows = await audit_rows(api)
    assert [row["result"] for row in rows] == [*["refused"] * 6, *["opened"] * 3, "refused"]
    assert all(row["origin"] == "http://pos.example.test:8080" for row in rows)
    assert json.loads(rows[6]["details"])["document_id"] == mixed["id"]
    assert json.loads(rows[1]["details"])["code"] == "drawer.needs_technician"
    assert json.loads(rows[4]["details"])["code"] == "drawer.not_cash"
    events = await outbox_events(api)
    # one event per attempt, written before the kick: an allowed open is "attempted" upstream
    assert [e["result"] for e in events] == [*["refused"] * 6, *["attempted"] * 3, "refused"]
    assert events[7]["actor"]["role"] == "technician" and events[7]["reason"] == "no_sale"
    assert [e["code"] for e in events[3:6]] == [
        "drawer.document_unknown",
        "drawer.not_cash",
        "drawer.document_mismatch",
    ]


async def test_rate_limit_per_token_and_per_till_gives_429_and_is_audited(api: Api) -> None:
    other = await make_token(api.daemon, Role.CASHIER)
    sale = {"reason": "float"}
    for _ in range(2):
        assert (await open_drawer(api, sale, api.cashier))[0] == 200
    status, body, resp = await open_drawer(api, sale, api.cashier)
    assert status == 429 and body["error"]["code"] == "drawer.rate_limited"
    assert int(resp.headers["Retry-After"]) >= 1
    assert (await open_drawer(api, sale, other))[0] == 200  # another till user: own budget
    status, body, _ = await open_drawer(api, sale, other)  # but the till's 3 are used up
    assert status == 429
    rows = await audit_rows(api)
    assert [row["result"] for row in rows] == ["opened", "opened", "refused", "opened", "refused"]
    assert [e["result"] for e in await outbox_events(api)] == [
        "attempted",
        "attempted",
        "refused",
        "attempted",
        "refused",
    ]


async def test_simulated_drawer_and_an_unavailable_printer(api: Api) -> None:
    status, body, _ = await open_drawer(api, {"reason": "float"}, api.cashier, drawer="spare")
    assert status == 200
    status, state, _ = await api.call("GET", "/api/v1/drawers/spare")
    assert state["open"] is True and state["driver"] == "simulated-drawer"
    await api.daemon.app[keys.DEVICES].get("receipt").device.close()  # type: ignore[union-attr]
    status, body, _ = await open_drawer(api, {"reason": "float"}, api.cashier)
    assert status == 503 and body["error"]["code"] == "printer.offline"
    assert (await audit_rows(api))[-1]["result"] == "failed"  # tried: the printer did not take it
    assert json.loads((await audit_rows(api))[-1]["details"])["code"] == "printer.offline"
    assert (await outbox_events(api))[-1]["result"] == "attempted"
