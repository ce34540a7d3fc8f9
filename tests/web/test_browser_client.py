"""/client.js in a page on the POS origin: resume by seq after a dropped socket, print resolving with
the finished job, typed errors; and the demo as the daemon serves it, under its strict CSP."""

from __future__ import annotations

from typing import Any

from playwright.sync_api import expect

from tests.web.browser import Till
from tests.web.test_browser_pos import cashier_token

CONNECT = """async ({ base, token }) => {
  const client = await import(base + "/client.js");
  const till = await client.connect({ token, baseUrl: base });
  window.client = client;
  window.till = till;
  window.scans = [];
  window.ups = [];
  till.onScan((scan) => window.scans.push(scan.code));
  till.onConnection((up) => window.ups.push(up));
  return till.role;
}"""


def test_client_resumes_events_by_seq_after_a_dropped_socket(page: Any, till: Till) -> None:
    token = cashier_token(till, "client test")
    page.goto(f"{till.pos_origin}/evil.html".replace("evil.html", "demo/"))  # any POS-origin page
    assert page.evaluate(CONNECT, {"base": till.base, "token": token}) == "cashier"
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": "before"})
    page.wait_for_function("window.scans.includes('before')")
    page.evaluate("window.till._socket.close()")
    page.wait_for_function("window.ups.includes(false)")
    for code in ("while-away-1", "while-away-2"):  # sent while the client is reconnecting
        till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": code})
    page.wait_for_function("window.scans.length >= 3", timeout=15000)
    assert page.evaluate("window.scans") == ["before", "while-away-1", "while-away-2"]
    assert page.evaluate("window.ups") == [False, True]


def test_print_resolves_with_the_finished_job_and_errors_are_typed(page: Any, till: Till) -> None:
    token = cashier_token(till, "client test 2")
    page.goto(f"{till.pos_origin}/demo/")
    page.evaluate(CONNECT, {"base": till.base, "token": token})
    job = page.evaluate(
        """() => window.till.print("receipt", { blocks: [{ text: "Hello" }, { cut: "full" }] },
                                  { idempotencyKey: "client-test-1" })"""
    )
    assert job["state"] == "done" and job["printer"] == "receipt"
    again = page.evaluate(
        """() => window.till.print("receipt", { blocks: [{ text: "Hello" }, { cut: "full" }] },
                                  { idempotencyKey: "client-test-1" })"""
    )
    assert again["id"] == job["id"]  # the same key never prints twice
    errors = page.evaluate(
        """async () => {
      const kinds = {};
      const grab = async (name, promise) => {
        try { await promise; kinds[name] = "resolved"; }
        catch (e) { kinds[name] = [e.constructor.name, e.code, e.status, e instanceof window.client.TillbridgeError]; }
      };
      await grab("reused_key", window.till.print("receipt", { blocks: [{ text: "Other" }] },
                                                 { idempotencyKey: "client-test-1" }));
      await grab("printer", window.till.print("nope", { blocks: [{ text: "x" }] }));
      await grab("shape", window.till.print("receipt", { blocks: [{ nonsense: 1 }] }));
      await grab("technician_only", window.till.openDrawer({ reason: "no_sale" }));
      await grab("token", window.client.connect({ token: "tb_wrong", baseUrl: window.till.baseUrl }));
      kinds.lookup = await window.till.lookup("0000000000000");
      return kinds;
    }"""
    )
    assert errors["reused_key"][:3] == ["ConflictError", "job.idempotency_conflict", 409]
    assert errors["printer"][0] == "NotFoundError" and errors["printer"][3] is True
    assert errors["shape"][0] == "ValidationError" and errors["shape"][2] == 422
    assert errors["technician_only"][0] == "ForbiddenError"
    assert errors["token"][0] == "AuthError"
    assert errors["lookup"] is None


def test_demo_served_by_the_daemon_runs_under_its_csp(page: Any, till: Till) -> None:
    token = cashier_token(till, "demo on the till")
    page.goto(f"{till.base}/demo/#token={token}")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#status")).to_have_text("till connected")
    assert page.errors == []  # including CSP reports (see the page fixture)
