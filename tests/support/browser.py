"""Browser tests' shared parts: Debian's chromium through Playwright, the artifacts folder for
screenshots, and signing in through the bridge as a person does."""
from __future__ import annotations

import os
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from werkzeug.serving import make_server

from attribute_authority.db import make_engine, session_factory, unit_of_work
from idbeheer.app import create_app
from idbeheer.demo_mode import register_demo_clients
from idbeheer.settings import Settings, from_env

from . import free_port

CHROMIUM = Path("/usr/bin/chromium")
ARGS = ["--no-sandbox", "--disable-gpu", "--disable-background-networking"]
ROOT = Path(__file__).resolve().parents[2]


def artifacts() -> Path:
    """Where screenshots go: IDBEHEER_ARTIFACTS, default var/test-artifacts (CI keeps it)."""
    folder = Path(os.environ.get("IDBEHEER_ARTIFACTS") or ROOT / "var" / "test-artifacts")
    folder.mkdir(parents=True, exist_ok=True)
    return folder


@contextmanager
def serving(database_url: str, home: Path) -> Iterator[tuple[str, Settings]]:
    """The all-in-one app (bridge, dev_eid, admin UI, account pages, demo-app in its SAML and
    OIDC modes, registered as `idbeheer run` does) on a loopback port; yields its base URL and
    settings."""
    port = free_port()
    base = f"http://127.0.0.1:{port}"
    settings = from_env({"IDBEHEER_HOME": str(home / "var"), "IDBEHEER_BASE_URL": base,
                         "IDBEHEER_DATABASE_URL": database_url,
                         "IDBEHEER_METADATA_DIR": str(home / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(home / "certs")})
    engine = make_engine(settings.database_url)
    with unit_of_work(session_factory(engine)) as session:
        register_demo_clients(session, settings)
    engine.dispose()
    httpd = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    try:
        yield base, settings
    finally:
        httpd.shutdown()


def shot(page, name: str) -> Path:
    path = artifacts() / f"{name}.png"
    page.screenshot(path=str(path), full_page=True)
    return path


@contextmanager
def chromium() -> Iterator[object]:
    if not CHROMIUM.exists():
        raise RuntimeError("Debian's chromium is missing: apt-get install -y chromium "
                           "(scripts/dev.sh test installs it)")
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        browser = p.chromium.launch(executable_path=str(CHROMIUM), args=ARGS)
        try:
            yield browser
        finally:
            browser.close()


def sign_in(page, rrn: str, government: str | None, start: str | None = "/admin/",
            name: str | None = None, method: str = "eid", javascript: bool = False) -> None:
    """Through the bridge, as a person does: dev_eid's page, the capacity page. Without
    JavaScript the two hand-over pages (to the bridge, to the application) need one click;
    with it (`javascript=True`, as the page's context has it) they submit themselves.
    government None: stop on the capacity page."""
    if start:
        page.goto(start)
    page.wait_for_url("**/dev-eid/**")
    if name:
        shot(page, f"{name}-1-dev-eid")
    page.select_option("select[name=rrn]", rrn)
    page.check(f"input[name=method][value={method}]")
    page.get_by_role("button", name="Aanmelden").click()
    if not javascript:
        page.get_by_role("button", name="Verder").click()  # the hand-over to the bridge
    page.wait_for_url("**/idp/capacity")
    if name:
        shot(page, f"{name}-2-capacity")
    if government is None:
        return
    page.check(f"input[name=capacity][value='{government}']")
    page.get_by_role("button", name="Verder").click()
    if not javascript:
        page.get_by_role("button", name="Verder").click()  # the hand-over to the application
