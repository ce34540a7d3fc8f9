"""The technician page in headless Chromium: PIN login, live device state, test print, sync now,
escaped device and scan strings, and screenshots at the till's 1024×768."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from playwright.sync_api import expect

from tests.web.browser import PIN, Till
from tests.web.conftest import screenshot

HOSTILE = '<img src=x onerror="window.__pwned=1">'
HOSTILE_NAME = "<script>window.__pwned=2</script><b onmouseover=alert(1)>Evil</b>"


def login(page: Any, till: Till) -> None:
    page.goto(till.base + "/")
    expect(page.locator("#login")).to_be_visible()
    page.fill("#pin", PIN)
    page.click("#pin-form button[type=submit]")
    page.wait_for_selector("body[data-ready=true]")
    expect(page.locator("#conn")).to_have_text("live")
    assert page.evaluate("document.cookie") == ""
    assert page.evaluate("sessionStorage.getItem('tillbridge.token')").startswith("tb_")


def state_of(page: Any, device: str) -> Any:
    return page.locator(f'[data-device="{device}"] [data-role=state]')


def test_wrong_pin_is_refused_on_the_page(page: Any, till: Till) -> None:
    page.goto(till.base + "/")
    page.fill("#pin", "999999")
    page.click("#pin-form button[type=submit]")
    expect(page.locator("#login-error")).to_have_text("Wrong PIN.")
    expect(page.locator("#panel")).to_be_hidden()


def test_device_goes_out_of_paper_and_back_live(page: Any, till: Till) -> None:
    login(page, till)
    receipt = state_of(page, "receipt")
    expect(receipt).to_have_text("ready")
    expect(state_of(page, "drawer")).to_contain_text("drawer closed")
    till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": True})
    expect(receipt).to_have_text("paper out")
    screenshot(page, "technician-devices-paper-out")
    till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": False})
    expect(receipt).to_have_text("ready")
    # The page's own button does the same for a simulated printer.
    page.locator('[data-device="receipt"] button', has_text="Take paper out").click()
    expect(receipt).to_have_text("paper out")
    assert till.device("receipt")["status"]["paper_out"] is True
    page.locator('[data-device="receipt"] button', has_text="Put paper back").click()
    expect(receipt).to_have_text("ready")
    assert page.evaluate("document.documentElement.scrollWidth") <= 1024
    assert page.errors == []


def test_test_print_shows_what_was_sent_decoded(page: Any, till: Till) -> None:
    login(page, till)
    page.locator('[data-device="receipt"] button', has_text="Test print").click()
    preview = page.locator('[data-device="receipt"] .preview')
    expect(preview).to_contain_text("TEST PRINT")
    jobs = till.ok("GET", "/api/v1/printers/receipt/jobs")["jobs"]
    assert jobs[0]["kind"] == "test"
    screenshot(page, "technician-test-print")
    page.click("nav button[data-tab=printing]")
    expect(page.locator("table.jobs")).to_contain_text("test")
    screenshot(page, "technician-print-queue")


def test_drawer_opens_only_after_confirming(page: Any, till: Till) -> None:
    login(page, till)
    kicks = till.device("drawer")["status"]["kicks"]
    card = page.locator('[data-device="drawer"]')
    card.locator("button", has_text="Open drawer").click()
    card.locator("button", has_text="No").click()
    assert till.device("drawer")["status"]["kicks"] == kicks
    card.locator("button", has_text="Open drawer").click()
    card.locator("button", has_text="Yes").click()
    expect(card.locator(".result")).to_have_text("Drawer opened.")
    expect(state_of(page, "drawer")).to_contain_text("drawer open for")
    assert till.device("drawer")["status"]["kicks"] == kicks + 1


def test_sync_now_pushes_to_the_cloud(page: Any, till: Till) -> None:
    # Something to push: stock received on the till (a document whose event goes upstream).
    till.ok(
        "PUT",
        "/api/v1/products/SYNC-1",
        {"sku": "SYNC-1", "name": "Sync me", "barcodes": [], "price": "1.00", "currency": "EUR"},
    )
    till.ok(
        "POST",
        "/api/v1/documents",
        {
            "id": "6f1c2a7e-0000-4000-8000-000000000001",
            "type": "stock_receipt",
            "lines": [{"sku": "SYNC-1", "quantity": "5"}],
        },
    )
    login(page, till)
    page.click("nav button[data-tab=sync]")
    section = page.locator("[data-panel=sync]")
    facts = section.locator("dl.facts")
    expect(facts).to_contain_text("Documents waiting to go up")
    expect(
        facts.locator("dt", has_text="Sync").locator("xpath=following-sibling::dd[1]")
    ).to_have_text("on")
    section.locator("button", has_text="Sync now").click()
    expect(section.locator("[data-role=sync-note]")).to_contain_text("Sync started")
    last_push = facts.locator("dt", has_text="Last upload OK").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(last_push).not_to_have_text("—")
    pending = facts.locator("dt", has_text="Documents waiting").locator(
        "xpath=following-sibling::dd[1]"
    )
    expect(pending).to_have_text("0")
    assert till.ok("GET", "/api/v1/sync")["last_push_ok"]
    screenshot(page, "technician-sync")


def test_scanned_and_device_strings_are_shown_as_text(page: Any, till: Till) -> None:
    till.ok(
        "PUT",
        "/api/v1/products/EVIL-1",
        {
            "sku": "EVIL-1",
            "name": HOSTILE_NAME,
            "barcodes": ["6660001"],
            "price": "1.00",
            "currency": "EUR",
        },
    )
    login(page, till)
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": HOSTILE})
    till.ok("POST", "/api/v1/scanners/scanner/scans", {"code": "6660001"})
    scans = page.locator("ol.scans li")
    expect(scans).to_have_count(2)
    expect(scans.nth(1).locator("code")).to_have_text(HOSTILE)
    expect(scans.nth(0)).to_contain_text(HOSTILE_NAME)
    assert page.locator("ol.scans img, ol.scans script, ol.scans b[onmouseover]").count() == 0
    assert page.evaluate("window.__pwned") is None
    screenshot(page, "technician-scans-escaped")


def test_every_panel_renders_at_till_size(page: Any, till: Till) -> None:
    login(page, till)
    for tab in ("devices", "printing", "sync", "stock", "pairing", "logs"):
        page.click(f"nav button[data-tab={tab}]")
        section = page.locator(f"[data-panel={tab}]")
        expect(section).to_be_visible()
        assert page.evaluate("document.documentElement.scrollWidth") <= 1024, tab
        screenshot(page, f"technician-{tab}")
    page.click("nav button[data-tab=pairing]")
    page.locator("button", has_text="New pairing code").click()
    code = page.locator("[data-role=pairing-code]")
    expect(code).to_have_text(re.compile(r"^\d{4} \d{4}$"))
    page.locator("button", has_text="Print code").click()
    expect(page.locator("[data-panel=pairing]")).to_contain_text("Printing (job")
    page.click("nav button[data-tab=logs]")
    expect(page.locator(".logs")).to_contain_text("device.online")
    with page.expect_download() as download:
        page.locator("button", has_text="Download support bundle").click()
    assert download.value.suggested_filename.startswith("tillbridge-support-")
    bundle = json.loads(Path(download.value.path()).read_text())
    assert bundle["config"]["settings"]["cloud"]["token"] == "***"
    assert till.cloud_token not in json.dumps(bundle)
    assert {d["id"] for d in bundle["devices"]} == {"receipt", "drawer", "scanner"}
    assert bundle["sync"]["enabled"] is True and bundle["logs"]
    assert page.errors == []


def test_print_queue_shows_a_waiting_job_and_cancels_it(page: Any, till: Till) -> None:
    login(page, till)
    page.click("nav button[data-tab=printing]")
    till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": True})
    try:
        job = till.ok(
            "POST", "/api/v1/printers/receipt/jobs", {"receipt": {"blocks": [{"text": "x"}]}}
        )
        row = page.locator(f'tr[data-job="{job["job"]["id"]}"]')
        expect(row).to_contain_text("waiting")
        expect(row).to_contain_text("paper_out")
        row.locator("button", has_text="Cancel").click()
        expect(row).to_contain_text("cancelled")
        expect(row.locator("button")).to_have_count(0)
        assert till.ok("GET", f"/api/v1/jobs/{job['job']['id']}")["job"]["state"] == "cancelled"
    finally:
        till.ok("POST", "/api/v1/printers/receipt/condition", {"paper_out": False})


def test_stock_import_dry_run_reports_and_changes_nothing(page: Any, till: Till) -> None:
    till.ok(
        "PUT",
        "/api/v1/products/COUNT-1",
        {
            "sku": "COUNT-1",
            "name": "Counted",
            "barcodes": ["8591111"],
            "price": "1.00",
            "currency": "EUR",
        },
    )
    before = till.call("GET", "/api/v1/stock/COUNT-1")
    login(page, till)
    page.click("nav button[data-tab=stock]")
    section = page.locator("[data-panel=stock]")
    section.locator("input[type=file]").set_input_files(
        {"name": "count.csv", "mimeType": "text/csv", "buffer": b"code;quantity\n8591111;7\n"}
    )
    section.locator("button", has_text="Import").click()
    report = section.locator(".report")
    expect(report).to_contain_text("Dry run: nothing was changed.")
    assert till.call("GET", "/api/v1/stock/COUNT-1") == before
    section.locator("button", has_text="Back up now").click()
    expect(section.locator("[data-role=backups] table")).to_contain_text("api")
    screenshot(page, "technician-stock-import")
