"""Vocabulary of the browser tests: the all-in-one app served on a loopback port of its own,
Debian's chromium through Playwright (JavaScript off: no page needs it), screenshots under
IDBEHEER_ARTIFACTS (default test-artifacts/), and signing in through dev_eid and the bridge
as a person does."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

import pytest
from werkzeug.serving import make_server

from idbeheer.app import create_app
from idbeheer.settings import Settings, from_env

from . import free_port

CHROMIUM = Path("/usr/bin/chromium")
CHROMIUM_ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]


def artifacts() -> Path:
    folder = Path(os.environ.get("IDBEHEER_ARTIFACTS")
                  or Path(__file__).resolve().parents[2] / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def serving(database_url: str, home: Path) -> Iterator[tuple[str, Settings]]:
    """The all-in-one app (bridge, dev_eid, admin UI, account pages, demo-app) on a loopback
    port; yields its base URL and settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = from_env({"IDBEHEER_HOME": str(home / "var"), "IDBEHEER_BASE_URL": base,
                         "IDBEHEER_DATABASE_URL": database_url,
                         "IDBEHEER_METADATA_DIR": str(home / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(home / "certs")})
    httpd = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, settings
    finally:
        httpd.shutdown()


@contextmanager
def chromium():
    if not CHROMIUM.exists():
        pytest.fail("Debian's chromium is missing: apt-get install -y chromium "
                    "(scripts/dev.sh test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=CHROMIUM_ARGS)
        try:
            yield browser
        finally:
            browser.close()


def shot(page, name: str) -> None:
    page.screenshot(path=str(artifacts() / f"{name}.png"), full_page=True)


def sign_in_at_dev_eid(page, rrn: str, capacity: str) -> None:
    """From dev_eid's page on: the person, eID card, the capacity; without JavaScript the two
    hand-over pages (to the bridge, to the application) need one click each."""
    page.wait_for_url("**/dev-eid/**")
    page.select_option("select[name=rrn]", rrn)
    page.check("input[name=method][value=eid]")
    page.get_by_role("button", name="Aanmelden").click()
    page.get_by_role("button", name="Verder").click()  # the hand-over to the bridge
    page.wait_for_url("**/idp/capacity")
    page.check(f"input[name=capacity][value='{capacity}']")
    page.get_by_role("button", name="Verder").click()
    page.get_by_role("button", name="Verder").click()  # the hand-over to the application
