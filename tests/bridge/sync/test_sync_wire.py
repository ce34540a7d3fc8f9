"""Sync messages at the wire: what each side accepts, refuses, and what the till makes of a bad answer."""

from __future__ import annotations

import json
import subprocess
import sys
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import web
from aiohttp.test_utils import TestClient, TestServer

from bridge.catalog.changes import CloudStock, PulledChange
from bridge.cloud.admin import CloudAdmin
from bridge.cloud.backends import backend_for
from bridge.cloud.faults import Faults
from bridge.cloud.server import create_cloud_app
from bridge.cloud.service import CloudService
from bridge.cloud.signing import Signer
from bridge.config.models import CloudConfig
from bridge.store import Store
from bridge.sync.client import CloudClient, SeqConflict, SeqGap, Transient
from bridge.sync.protocol import ChangesPage, EventBatch, PushResult, read_changes
from bridge.sync.pull import PullLoop
from bridge.sync.routes import SyncStatusModel
from bridge.sync.signed_config import ConfigRejected, verify
from bridge.sync.state import CURSOR, Alert, SyncStatus, read_state
from bridge.wire import WireError, convert, decode_json, to_builtins

EVENT = {"seq": 1, "id": "d1", "type": "sale", "occurred_at": "2026-01-01T00:00:00Z", "payload": {}}


def batch(**changes: Any) -> bytes:
    return json.dumps({"events": [{**EVENT, **changes}]}).encode()


@pytest.mark.parametrize(
    ("body", "field"),
    [
        (batch(extra=1), "events.0.extra"),  # what the till sends is strict
        (batch(seq="1"), "events.0.seq"),  # no coercion of a string to an int
        (batch(seq=0), "events.0.seq"),
        (batch(id=""), "events.0.id"),
        (batch(type="x" * 65), "events.0.type"),
        (b'{"events": []}', "events"),
        (b'{"events": [{"seq": 1}]}', "events.0.id"),
    ],
)
def test_event_batch_refusals_name_the_field(body: bytes, field: str) -> None:
    with pytest.raises(WireError) as exc:
        decode_json(body, EventBatch)
    assert exc.value.problems[0].field == field


def test_cloud_answers_ignore_keys_a_newer_cloud_adds() -> None:
    raw = b'{"acked_through": 3, "results": [{"seq": 3, "status": "accepted", "new": 1}], "x": 2}'
    result = decode_json(raw, PushResult)
    assert result.acked_through == 3 and result.results[0].status == "accepted"
    page = decode_json(
        b'{"changes": [{"kind": "later", "key": "k", "op": "upsert", "version": 1, "more": {}}],'
        b' "next_cursor": "c1", "has_more": false, "hint": "x"}',
        ChangesPage,
    )
    changes, malformed = read_changes(page.changes)
    assert changes[0].kind == "later" and changes[0].data is None and malformed == []
    with pytest.raises(WireError):  # but what it says is still checked
        decode_json(b'{"acked_through": -1}', PushResult)


def test_cloud_stock_and_pulled_change() -> None:
    stock = convert({"sku": "A", "warehouse": "main", "physical": "7.50", "x": 1}, CloudStock)
    assert str(stock.physical) == "7.50" and str(stock.reserved) == "0" and stock.includes == {}
    with pytest.raises(WireError) as exc:
        convert({"sku": "A", "warehouse": "main", "physical": 7.5}, CloudStock)
    assert exc.value.problems[0].field == "physical"
    with pytest.raises(WireError) as exc:
        convert({"kind": "stock", "key": "", "op": "upsert", "version": 1}, PulledChange)
    assert exc.value.problems[0].field == "key"


def test_faults_refuse_bad_rates_and_unknown_keys() -> None:
    assert convert({"error_rate": 1, "seed": 3}, Faults).error_rate == 1.0
    assert Faults().retry_after == ["1"]
    for body, field in [({"error_rate": 1.5}, "error_rate"), ({"eror_rate": 0.1}, "eror_rate")]:
        with pytest.raises(WireError) as exc:
            convert(body, Faults)
        assert exc.value.problems[0].field == field


BAD = '{"html_rate": 2}'


def test_cloud_refuses_bad_faults_on_the_command_line(tmp_path: Path) -> None:
    done = subprocess.run(
        [sys.executable, "-m", "bridge", "cloud", "--data-dir", str(tmp_path), "--faults", BAD],
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2 and "html_rate" in done.stderr


def test_status_model_declares_every_key_the_service_gives() -> None:
    status = SyncStatus()
    status.update(alert=Alert("sync.credentials", "check the token"))
    status.skip("product", "BAD", 4, "price: expected a decimal")
    data = {
        **status.public(),
        "pending": 2,
        "oldest_pending_age_s": 1.5,
        "cursor": None,
        "lock_held": True,
        "quarantined": [
            {"seq": 1, "id": "d", "type": "sale", "reason": "r", "reported_at": "2026-01-01"}
        ],
    }
    model = convert(data, SyncStatusModel)
    assert to_builtins(model) == data
    with pytest.raises(WireError):
        convert({**data, "undeclared": 1}, SyncStatusModel)


def test_malformed_signed_envelope_is_rejected(tmp_path: Path) -> None:
    signer = Signer.load_or_create(tmp_path)
    now = datetime(2026, 5, 1, tzinfo=UTC)
    envelope = signer.sign(
        {
            "till_id": "t1",
            "version": "3",  # signed, but not the protocol's shape
            "issued_at": now.isoformat(),
            "expires_at": (now + timedelta(days=1)).isoformat(),
            "config": {},
        }
    )
    with pytest.raises(ConfigRejected) as exc:
        verify(envelope, [signer.public_key_b64()], "t1", 0, now)
    assert exc.value.code == "config.malformed" and "version" in str(exc.value)


Answer = Callable[[web.Request], Awaitable[web.StreamResponse]]


async def client_against(answer: Answer) -> tuple[CloudClient, TestServer]:
    app = web.Application()
    app.router.add_route("*", "/{tail:.*}", answer)
    server = TestServer(app, host="127.0.0.1")
    await server.start_server()
    client = CloudClient(
        CloudConfig(url=str(server.make_url("")).rstrip("/"), till_id="t1", token="x"), "i1"
    )
    await client.open()
    return client, server


@pytest.mark.parametrize(
    ("answer", "expected", "text"),
    [
        (web.json_response({"acked_through": "3"}), Transient, "acked_through"),
        (web.json_response([1, 2]), Transient, "wrong shape"),
        (web.Response(text="<html>", content_type="text/html"), Transient, "not JSON"),
        (web.json_response({"error": "seq_gap", "expected_seq": 4}, status=409), SeqGap, "4"),
        (
            web.json_response({"error": "seq_conflict", "seq": 2, "x": 1}, status=409),
            SeqConflict,
            "",
        ),
        (
            web.json_response({"error": "seq_gap", "expected_seq": "4"}, status=409),
            Transient,
            "409",
        ),
    ],
)
async def test_client_turns_bad_answers_into_clear_errors(
    answer: web.Response, expected: type[Exception], text: str
) -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return answer

    client, server = await client_against(handler)
    try:
        with pytest.raises(expected) as exc:
            await client.stream_state()
        assert text in str(exc.value)
    finally:
        await client.close()
        await server.close()


async def test_client_reads_a_good_answer() -> None:
    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"acked_through": 9, "later_field": True})

    client, server = await client_against(handler)
    try:
        assert await client.stream_state() == 9
    finally:
        await client.close()
        await server.close()


async def test_reference_cloud_answers_bad_input_with_the_field(tmp_path: Path) -> None:
    admin = CloudAdmin(
        CloudService(backend_for(f"sqlite://{tmp_path / 'c.sqlite3'}")),
        Signer.load_or_create(tmp_path),
    )
    app = create_cloud_app(admin, "admin-token")
    async with TestClient(TestServer(app)) as http:
        token = await admin.service.add_till("t1", "till-token")
        till = {"Authorization": f"Bearer {token}"}
        path = "/v1/tills/t1/streams/i1/events"
        response = await http.post(path, data=batch(seq="1"), headers=till)
        assert response.status == 400
        body = await response.json()
        assert body["error"] == "bad_batch" and body["problems"][0]["field"] == "events.0.seq"
        good = {**till, "Idempotency-Key": "i1:1-1"}
        sold = {"movements": [{"sku": "A", "warehouse": "main", "quantity": "-1"}]}
        response = await http.post(path, data=batch(payload=sold), headers=good)
        assert response.status == 200
        assert await response.json() == {
            "acked_through": 1,
            "results": [{"seq": 1, "status": "accepted"}],
        }
        admin_auth = {"Authorization": "Bearer admin-token"}
        response = await http.post("/admin/faults", json={"reset_rate": -1}, headers=admin_auth)
        assert response.status == 400 and (await response.json())["problems"][0]["field"] == (
            "reset_rate"
        )
        response = await http.post("/admin/faults", json={"seed": 1}, headers=admin_auth)
        assert (await response.json())["seed"] == 1
        page = await http.get("/v1/tills/t1/changes", headers=till)
        assert (await page.json())["changes"][0]["kind"] == "stock"


LOCAL = """
[server]
port = 8099

[devices.receipt]
driver = "simulated-printer"
keep_jobs = 7

[printing]
recent_jobs = 20
"""


def test_signed_config_builds_on_the_local_file_round_tripped() -> None:
    from bridge.config.loader import parse_config
    from bridge.sync.signed_config import build

    base = parse_config(LOCAL, "till.toml")
    kept = build(base, {"printing": {"recent_jobs": 9}})
    assert kept.settings.printing.recent_jobs == 9 and kept.settings.server.port == 8099
    assert to_builtins(kept.device_options["receipt"])["keep_jobs"] == 7
    swapped = build(base, {"devices": {"kitchen": {"driver": "simulated-printer"}}})
    assert set(swapped.device_options) == {"kitchen"}
    for cloud_config, code in [
        ({"server": {"port": 1}}, "config.forbidden_section"),
        ({"printing": {"recent_jobs": 0}}, "config.invalid"),
        ({"devices": {"k": {"driver": "simulated-printer", "keep_jobz": 1}}}, "config.invalid"),
    ]:
        with pytest.raises(ConfigRejected) as exc:
            build(base, cloud_config)
        assert exc.value.code == code


def test_a_malformed_change_is_named_and_the_rest_of_its_page_still_reads() -> None:
    page = decode_json(
        b'{"changes": [{"kind": "product", "key": "A", "op": "upsert", "version": 1},'
        b' {"kind": "stock", "key": "B@main", "op": "frobnicate", "version": 2}, 5],'
        b' "next_cursor": "c2", "has_more": false}',
        ChangesPage,
    )
    changes, malformed = read_changes(page.changes)
    assert [c.key for c in changes] == ["A"]
    assert [(m.index, m.kind, m.key, m.version) for m in malformed] == [
        (1, "stock", "B@main", 2),
        (2, "?", "?", 0),
    ]
    assert "op" in malformed[0].problem and "frobnicate" in malformed[0].problem


async def test_a_malformed_change_is_skipped_and_the_feed_moves_on(tmp_path: Path) -> None:
    """A page with an item that is not a change: the good ones apply, the cursor moves past the
    page, and the status names the bad item (before, the whole page failed again and again)."""
    product = {"sku": "GOOD", "name": "Dobré", "price": "1.00", "currency": "CZK"}
    good = {"kind": "product", "key": "GOOD", "op": "upsert", "version": 1, "data": product}
    bad = {"kind": "product", "key": "BAD", "op": "replace", "version": 2}

    async def handler(request: web.Request) -> web.StreamResponse:
        return web.json_response({"changes": [bad, good], "next_cursor": "c9", "has_more": False})

    client, server = await client_against(handler)
    store = Store(tmp_path / "till.sqlite3")
    await store.open()
    status = SyncStatus()

    async def no_config(change: Any) -> Any:
        raise AssertionError("no config change on this page")

    async def no_backup() -> None:
        return None

    try:
        pull = PullLoop(store, client, client.config, status, no_config, no_backup)
        assert await pull.pull_page(0) is False
        assert await read_state(store, CURSOR) == "c9"
        row = await store.fetchone("SELECT name FROM products WHERE sku = 'GOOD'")
        assert row is not None and row[0] == "Dobré"
        (skipped,) = status.skipped
        assert (skipped["kind"], skipped["key"], skipped["version"]) == ("product", "BAD", 2)
        assert "replace" in skipped["error"]
    finally:
        await store.close()
        await client.close()
        await server.close()
