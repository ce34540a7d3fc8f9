"""The demo POS on an allowlisted origin sells end to end through /client.js; a page on another
origin cannot print, open the drawer or read scans, by fetch, form post or WebSocket."""

from __future__ import annotations

import json
from typing import Any

from playwright.sync_api import expect

from tests.web.browser import Till
from tests.web.conftest import screenshot


def product(till: Till, sku: str, name: str, barcode: str, price: str) -> None:
    till.ok(
        "PUT",
        f"/api/v1/products/{sku}",
        {"sku": sku, "name": name, "barcodes": [barcode], "price": price, "currency": "EUR"},
    )


def cashier_token(till: Till, name: str) -> str:
    code = till.ok("POST", "/api/v1/pairing/codes")["code"]
    status, answer = till.call("POST", "/api/v1/pairing", {"code": code, "name": name})
    assert status == 201, answer
    return str(answer["token"])


def receipt_jobs(till: Till) -> list[dict[str, Any]]:
    return [
        j for j in till.ok("GET", "/api/v1/printers/receipt/jobs")["jobs"] if j["kind"] != "test"
    ]


def test_demo_pos_sells_end_to_end_from_an_allowlisted_origin(page: Any, till: Till) -> None:
    product(till, "MILK-1", "Milk 1 l", "8590001", "1.25")
    product(till, "BREAD-1", "<b>Rye bread</b>", "8590002", "2.10")
    page.goto(f"{till.pos_origin}/demo/?bridge={till.base}")
    expect(page.locator("#pairing")).to_be_visible()
    code = till.ok("POST", "/api/v1/pairing/codes")["code"]
    page.fill("#pair-code", code)
    page.click("#pair-form button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#status")).to_have_text("till connected")

    lines = page.locator("#lines tbody tr")
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": "8590001"})  # the scanner
    expect(lines).to_have_count(1)
    page.fill("#scan-code", "8590002")  # typed by hand
    page.press("#scan-code", "Enter")
    expect(lines).to_have_count(2)
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": "8590001"})
    expect(lines.nth(0)).to_contain_text("2")
    expect(lines.nth(1).locator("td").first).to_have_text("<b>Rye bread</b>")
    expect(page.locator("#total")).to_have_text("4.60 EUR")

    # The printer runs out of paper mid-sale: the receipt waits, then prints once paper is back.
    jobs_before = len(receipt_jobs(till))
    kicks = till.device("drawer")["status"]["kicks"]
    till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": True})
    page.fill("#cash", "10")
    page.click("#pay")
    expect(page.locator("#message")).to_contain_text("prints when it is fixed")
    screenshot(page, "demo-pos-paper-out")
    till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": False})
    page.wait_for_selector("body[data-sale-done]")
    expect(page.locator("#change")).to_have_text("Change: 5.40 EUR")
    screenshot(page, "demo-pos-sale-done")

    sale_id = page.get_attribute("body", "data-sale-done")
    document = till.ok("GET", f"/api/v1/documents/{sale_id}")
    assert json.dumps(document).count("MILK-1") >= 1
    jobs = receipt_jobs(till)
    assert len(jobs) == jobs_before + 1 and jobs[0]["state"] == "done"
    assert till.device("drawer")["status"]["kicks"] == kicks + 1
    names = [t["name"] for t in till.ok("GET", "/api/v1/tokens")["tokens"]]
    assert "demo POS" in names
    assert page.errors == []


ATTACK = """async ({ base, token }) => {
  const out = {};
  const attempt = async (name, path, init) => {
    try {
      const response = await fetch(base + path, init);
      out[name] = `status ${response.status}`;
    } catch (error) {
      out[name] = "blocked";
    }
  };
  const json = { "Content-Type": "application/json", Authorization: `Bearer ${token}` };
  await attempt("print", "/api/v1/printers/receipt/jobs", { method: "POST",
    headers: { ...json, "Idempotency-Key": "evil-1" },
    body: JSON.stringify({ receipt: { blocks: [{ text: "pwned" }] } }) });
  await attempt("drawer", "/api/v1/drawers/drawer/open", { method: "POST", headers: json,
    body: JSON.stringify({ reason: "no_sale" }) });
  await attempt("drawer_no_cors", "/api/v1/drawers/drawer/open", { method: "POST", mode: "no-cors",
    headers: { "Content-Type": "text/plain" }, body: JSON.stringify({ reason: "no_sale" }) });
  await attempt("devices", "/api/v1/devices", { headers: { Authorization: `Bearer ${token}` } });
  out.client = await import(base + "/client.js").then(() => "loaded", () => "blocked");
  out.ws = await new Promise((resolve) => {
    const frames = [];
    const ws = new WebSocket(base.replace("http", "ws") + "/api/v1/events");
    ws.onopen = () => {
      ws.send(JSON.stringify({ type: "auth", token }));
      setTimeout(() => ws.send(JSON.stringify({ type: "subscribe", topics: ["scan"] })), 200);
    };
    ws.onmessage = (message) => frames.push(JSON.parse(message.data).type ?? "event");
    ws.onclose = () => resolve(`closed:${frames.join(",")}`);
    setTimeout(() => resolve(`open:${frames.join(",")}`), 3000);
  });
  return out;
}"""

FORM_POST = """({ action, enctype, name, value }) => {
  const form = document.createElement("form");
  Object.assign(form, { method: "POST", action, enctype });
  const input = document.createElement("input");
  Object.assign(input, { name, value });
  form.append(input);
  document.body.append(form);
  form.submit();
}"""


def test_a_foreign_origin_cannot_print_open_the_drawer_or_read_scans(page: Any, till: Till) -> None:
    # Even holding a valid cashier token, a page on another origin gets nothing done.
    token = cashier_token(till, "leaked token")
    jobs_before = len(receipt_jobs(till))
    kicks = till.device("drawer")["status"]["kicks"]
    page.goto(f"{till.evil_origin}/evil.html")
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": "4006381333931"})
    result = page.evaluate(ATTACK, {"base": till.base, "token": token})
    assert result["print"] == "blocked"
    assert result["drawer"] == "blocked"
    assert result["devices"] == "blocked"
    assert result["drawer_no_cors"] == "status 0"  # opaque: sent, refused, unreadable
    assert result["client"] == "blocked"
    assert result["ws"] == "closed:", result["ws"]  # refused before the upgrade: no frame at all

    for action, enctype, name, value in [
        ("/api/v1/drawers/drawer/open", "text/plain", '{"reason":"no_sale","x":"', '"}'),
        ("/api/v1/printers/receipt/jobs", "application/x-www-form-urlencoded", "raw", "G3A="),
    ]:
        with page.expect_navigation() as navigation:
            page.evaluate(
                FORM_POST,
                {"action": till.base + action, "enctype": enctype, "name": name, "value": value},
            )
        assert navigation.value.status == 403
        assert "origin.forbidden" in page.content()
        page.goto(f"{till.evil_origin}/evil.html")

    assert len(receipt_jobs(till)) == jobs_before
    assert till.device("drawer")["status"]["kicks"] == kicks
