"""The print queue through the HTTP API, against a network printer on a real TCP socket."""

from __future__ import annotations

import json
from collections.abc import AsyncIterator

import pytest

from bridge import keys
from bridge.auth.roles import Role
from tests.bridge.printing.helpers import job_events, printed_text, raw, receipt, submit, wait_state
from tests.conftest import Api, make_token
from tests.drivers.printer.peers import TcpPrinter


@pytest.fixture
async def printer() -> AsyncIterator[TcpPrinter]:
    async with TcpPrinter() as peer:
        yield peer


@pytest.fixture
def config_text(printer: TcpPrinter) -> str:
    return f"""
[server]
port = 0

[drawers]
roles = ["technician"]
max_per_token = 2
rate_window_s = 600

[devices.receipt]
driver = "escpos-network"
host = "127.0.0.1"
port = {printer.port}
status_timeout_s = 0.5
status_poll_s = 0.05
"""


async def test_receipt_prints_and_every_state_is_an_event(api: Api, printer: TcpPrinter) -> None:
    ws = await api.ws_authed(["job"])
    status, body = await submit(api, "receipt", receipt("Žluťoučký kůň", "Total 12.50"), "k-1")
    assert status == 202, body
    job = body["job"]
    assert job["state"] == "queued" and job["printer"] == "receipt"
    assert await job_events(ws, job["id"], "done") == ["queued", "printing", "done"]
    done = await wait_state(api, job["id"], "done")
    assert done["attempts"] == 1
    text = printed_text(printer.printed)
    assert "Total 12.50" in text and "[CUT partial]" in text
    await ws.close()


async def test_same_key_returns_the_first_job_and_prints_once(
    api: Api, printer: TcpPrinter
) -> None:
    body = receipt("once only")
    first_status, first = await submit(api, "receipt", body, "sale-42")
    again_status, again = await submit(api, "receipt", body, "sale-42")
    assert first_status == again_status == 202
    assert again["job"]["id"] == first["job"]["id"]
    await wait_state(api, first["job"]["id"], "done")
    third_status, third = await submit(api, "receipt", body, "sale-42")
    assert third["job"]["id"] == first["job"]["id"] and third["job"]["state"] == "done"
    assert printed_text(printer.printed).count("once only") == 1

    status, conflict = await submit(api, "receipt", receipt("another receipt"), "sale-42")
    assert status == 409 and conflict["error"]["code"] == "job.idempotency_conflict"
    assert conflict["error"]["details"]["job"]["id"] == first["job"]["id"]


async def test_jobs_print_in_the_order_they_came(api: Api, printer: TcpPrinter) -> None:
    ids = []
    for n in range(5):
        status, body = await submit(api, "receipt", receipt(f"receipt number {n}"), f"o-{n}")
        assert status == 202
        ids.append(body["job"]["id"])
    for job_id in ids:
        await wait_state(api, job_id, "done")
    text = printed_text(printer.printed)
    positions = [text.index(f"receipt number {n}") for n in range(5)]
    assert positions == sorted(positions)
    status, listing, _ = await api.call("GET", "/api/v1/printers/receipt/jobs")
    assert status == 200 and [j["id"] for j in listing["jobs"]] == ids[::-1]


async def test_paper_out_waits_and_resumes_when_paper_is_back(
    api: Api, printer: TcpPrinter
) -> None:
    printer.set_condition(paper_out=True)
    status, body = await submit(api, "receipt", receipt("after the new roll"), "p-1")
    assert status == 202
    waiting = await wait_state(api, body["job"]["id"], "waiting")
    assert waiting["reason"] == "paper_out" and "load a new roll" in waiting["message"]
    assert b"after the new roll" not in printer.printed
    printer.recover()
    done = await wait_state(api, body["job"]["id"], "done")
    assert done["reason"] is None
    assert printed_text(printer.printed).count("after the new roll") == 1


async def test_cover_open_waits_and_a_waiting_job_can_be_cancelled(
    api: Api, printer: TcpPrinter
) -> None:
    printer.set_condition(cover_open=True)
    _, body = await submit(api, "receipt", receipt("never printed"), "c-1")
    job_id = body["job"]["id"]
    assert (await wait_state(api, job_id, "waiting"))["reason"] == "cover_open"
    status, cancelled, _ = await api.call(
        "POST", f"/api/v1/jobs/{job_id}/cancel", token=api.cashier
    )
    assert status == 200 and cancelled["job"]["state"] == "cancelled"
    printer.recover()
    _, later = await submit(api, "receipt", receipt("printed instead"), "c-2")
    await wait_state(api, later["job"]["id"], "done")
    assert b"never printed" not in printer.printed
    status, refused, _ = await api.call("POST", f"/api/v1/jobs/{job_id}/cancel")
    assert status == 409 and refused["error"]["code"] == "job.wrong_state"


async def test_printer_vanishing_mid_job_is_uncertain_never_retried_and_reprints_on_request(
    api: Api, printer: TcpPrinter
) -> None:
    body = receipt(*(f"line {n:03d} of a long receipt" for n in range(200)))
    printer.vanish_after(300)
    _, first = await submit(api, "receipt", body, "v-1")
    job_id = first["job"]["id"]
    failed = await wait_state(api, job_id, "failed")
    assert failed["reason"] == "uncertain" and "Check the paper" in failed["message"]
    partial = len(printer.printed)
    # the printer comes back (the driver reconnects); the job is not sent again on its own
    _, probe = await submit(api, "receipt", receipt("probe after reconnect"), "v-2")
    await wait_state(api, probe["job"]["id"], "done", limit_s=10)
    assert printed_text(printer.printed).count("line 199 of a long receipt") == 0
    assert (await wait_state(api, job_id, "failed"))["attempts"] == 1

    status, refused, _ = await api.call("POST", f"/api/v1/jobs/{job_id}/reprint", token=api.cashier)
    assert status == 403
    status, again, _ = await api.call("POST", f"/api/v1/jobs/{job_id}/reprint")
    assert status == 202 and again["job"]["reprint_of"] == job_id
    await wait_state(api, again["job"]["id"], "done")
    assert printed_text(printer.printed[partial:]).count("line 199 of a long receipt") == 1


async def test_raw_jobs_lose_drawer_kicks_unless_the_role_may_open_and_asks(
    api: Api, printer: TcpPrinter
) -> None:
    """A kept kick is a drawer open: policy, rate limit, audit row and outbox event."""
    kick = b"\x1bp\x00\x19\xfa"
    data = b"\x1b@RAW " + kick + b"\x07" + b"\x10\x14\x01\x00\x01" + b"END\n"
    technician = await make_token(api.daemon, Role.TECHNICIAN)
    float_kick = {"open_drawer": True, "drawer_reason": "float"}

    cases = [
        (api.cashier, float_kick, 202, False),  # cashier may not open drawers on this till
        (technician, {}, 202, False),  # allowed role, but the job did not ask
        (technician, float_kick, 202, True),
        (technician, {"open_drawer": True}, 422, False),  # no reason given
        (technician, float_kick, 202, True),
        (technician, float_kick, 429, False),  # max_per_token = 2
    ]
    jobs = []
    for n, (token, extra, expected, kept) in enumerate(cases):
        before = len(printer.printed)
        status, body = await submit(api, "receipt", raw(data, **extra), f"raw-{n}", token=token)
        assert status == expected, body
        if status != 202:
            jobs.append(None)
            continue
        jobs.append(body["job"]["id"])
        await wait_state(api, body["job"]["id"], "done")
        printed = printer.printed[before:]
        assert b"RAW " in printed and b"END" in printed
        assert (kick in printed) is kept
        assert (b"\x10\x14" in printed) is kept
        assert (b"\x07" in printed) is kept
    assert body["error"]["code"] == "drawer.rate_limited"
    # A repeat of an accepted job is not a new attempt: not audited, not counted, not printed.
    status, again = await submit(api, "receipt", raw(data, **float_kick), "raw-2", token=technician)
    assert status == 202 and again["job"]["id"] == jobs[2]

    store = api.daemon.app[keys.STORE]
    rows = await store.fetchall(
        "SELECT target, result, details FROM audit_log WHERE action = 'drawer.open' ORDER BY id"
    )
    details = [json.loads(row["details"]) for row in rows]
    assert [row["result"] for row in rows] == [
        "refused",
        "attempted",
        "refused",
        "attempted",
        "refused",
    ]
    assert [d["code"] for d in details] == [
        "drawer.forbidden_role",
        None,
        "drawer.reason_required",
        None,
        "drawer.rate_limited",
    ]
    assert all(
        row["target"] == "receipt" and d["via"] == "raw_print"
        for row, d in zip(rows, details, strict=True)
    )
    assert [details[1]["job"], details[3]["job"]] == [jobs[2], jobs[4]]
    events = [
        json.loads(row["payload"])
        for row in await store.fetchall(
            "SELECT payload FROM outbox WHERE type = 'drawer_open' ORDER BY seq"
        )
    ]
    assert [e["result"] for e in events] == [row["result"] for row in rows]
    assert events[1]["reason"] == "float" and events[1]["actor"]["role"] == "technician"
    assert events[1]["job"] == jobs[2]


async def test_bad_requests_are_refused_with_their_own_codes(api: Api) -> None:
    status, body = await submit(api, "nope", receipt("x"))
    assert status == 404 and body["error"]["code"] == "printer.not_found"
    status, body = await submit(api, "receipt", {"receipt": {"blocks": []}})
    assert status == 422 and body["error"]["code"] == "body.invalid"
    assert body["error"]["details"]["problems"][0]["field"] == "receipt.blocks"
    bad_block = {"receipt": {"blocks": [{"text": "ok"}, {"text": "x", "size": "huge"}]}}
    status, body = await submit(api, "receipt", bad_block)
    assert status == 422 and body["error"]["code"] == "body.invalid"
    [problem] = body["error"]["details"]["problems"]
    assert problem["field"] == "receipt.blocks.1.size" and "huge" in problem["problem"]
    status, body = await submit(api, "receipt", {"receipt": {"blocks": [{"colour": "red"}]}})
    assert body["error"]["details"]["problems"][0]["field"] == "receipt.blocks.0"
    assert "exactly one of the keys" in body["error"]["message"]
    status, body = await submit(api, "receipt", {"raw": "!!"})
    assert status == 422 and "base64" in body["error"]["message"]
    status, body = await submit(api, "receipt", receipt("x"), key="bad key with spaces")
    assert status == 400 and body["error"]["code"] == "job.bad_idempotency_key"
    status, body, _ = await api.call("GET", "/api/v1/jobs/0000")
    assert status == 404 and body["error"]["code"] == "job.not_found"
    status, body, _ = await api.call(
        "POST", "/api/v1/printers/receipt/condition", json_body={"paper_out": True}
    )
    assert status == 409 and body["error"]["code"] == "printer.not_simulated"
