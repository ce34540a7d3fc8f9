"""Fixtures for the real-browser tests: one daemon, one second origin and one Chromium for the package.

Package scope (not session): the browser and daemon are gone before other packages' asyncio tests.
"""

from __future__ import annotations

import os
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest

from tests.web.browser import (
    CHROMIUM,
    LAUNCH_ARGS,
    OtherOrigin,
    Till,
    demo_files,
    free_port,
    start_till,
    stop_till,
)

ARTIFACTS = Path(__file__).resolve().parents[2] / "test-artifacts"
EVIL_PAGE = b"<!doctype html><title>free coupons</title><p>nothing to see</p>"


def _need_browser() -> Any:
    if not os.path.exists(CHROMIUM):
        pytest.skip(
            f"browser tests need Debian's chromium at {CHROMIUM} (apt-get install chromium)"
        )
    try:
        from playwright.sync_api import sync_playwright
    except ImportError:
        pytest.skip("browser tests need the playwright package (pip install playwright)")
    return sync_playwright


@pytest.fixture(scope="package")
def browser() -> Iterator[Any]:
    sync_playwright = _need_browser()
    with sync_playwright() as p:
        chromium = p.chromium.launch(executable_path=CHROMIUM, headless=True, args=LAUNCH_ARGS)
        try:
            yield chromium
        finally:
            chromium.close()


@pytest.fixture(scope="package")
def till(tmp_path_factory: pytest.TempPathFactory, browser: Any) -> Iterator[Till]:
    work = tmp_path_factory.mktemp("till")
    pos_port = free_port()
    pages = {**demo_files(), "/evil.html": (EVIL_PAGE, "text/html")}
    with OtherOrigin(pos_port, pages):
        running = start_till(work, pos_port)
        try:
            yield running
        finally:
            stop_till(running)


@pytest.fixture
def page(browser: Any) -> Iterator[Any]:
    context = browser.new_context(viewport={"width": 1024, "height": 768})
    context.set_default_timeout(10_000)
    page = context.new_page()
    errors: list[str] = []
    page.on("pageerror", lambda exc: errors.append(str(exc)))
    # A CSP violation or an invalid policy shows only on the console: count it as an error.
    page.on(
        "console",
        lambda msg: errors.append(msg.text) if "Content Security Policy" in msg.text else None,
    )
    page.errors = errors  # type: ignore[attr-defined]
    try:
        yield page
    finally:
        context.close()


def screenshot(page: Any, name: str) -> None:
    ARTIFACTS.mkdir(exist_ok=True)
    page.screenshot(path=str(ARTIFACTS / f"{name}.png"))
