"""The journey in a real browser (Debian's chromium via Playwright): the application's request,
dev_eid's page, the capacity page, and the assertion POSTed to the application."""
import socket
import threading
from urllib.parse import parse_qs

import pytest
from support import BART, MERELBEKE
from support.bridge import BridgeHarness, TestSp, attributes_of
from werkzeug.serving import make_server

pytestmark = pytest.mark.browser


@pytest.fixture
def served(tmp_path, bridge_engine, bridge_keys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    harness = BridgeHarness(tmp_path, bridge_engine, bridge_keys, config_overrides={"base_url": base})
    server = make_server("127.0.0.1", port, harness.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield harness, base
    server.shutdown()


@pytest.fixture
def chromium():
    try:
        from playwright.sync_api import sync_playwright
    except ImportError as exc:
        pytest.fail(f"Playwright is needed for browser tests: {exc}")
    with sync_playwright() as p:
        try:
            browser = p.chromium.launch(executable_path="/usr/bin/chromium", args=[
                "--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        except Exception as exc:  # noqa: BLE001 - say clearly what is missing
            pytest.fail(f"Debian chromium could not start (apt-get install -y chromium): {exc}")
        yield browser
        browser.close()


@pytest.mark.parametrize("method", ["eid", "token"])
def test_sign_in_in_chromium(served, chromium, method):
    harness, base = served
    sp = TestSp("demo-app", harness.metadata_dir, harness.keys["testsp"],
                harness.app.test_client().get("/idp/metadata").data, harness.tmp,
                idp_entity_id=base + "/idp/metadata")
    page = chromium.new_page()
    posted = {}

    def application(route):  # the application's ACS: take the POSTed form
        posted.update({k: v[0] for k, v in parse_qs(route.request.post_data).items()})
        route.fulfill(status=200, body="ok")

    page.route(sp.acs, application)
    page.goto(base + sp.login_url())
    assert "Aanmelden met eID of federaal token" in page.content()
    page.select_option("select[name=rrn]", BART)
    page.check(f"input[name=method][value={method}]")
    page.click("button[type=submit]")
    page.wait_for_url("**/idp/capacity")
    page.check(f"input[name=capacity][value='{MERELBEKE}']")
    page.click("button[type=submit]")
    page.wait_for_url(sp.acs)
    attributes = attributes_of(sp.consume(posted["SAMLResponse"]))
    assert attributes["rrn"] == [BART] and attributes["authnMethod"] == [method]
    assert attributes["right"] == [f"demo-app-reader@{MERELBEKE}"]
    cookie = [c for c in page.context.cookies() if c["name"] == "idbeheer_bridge"][0]
    assert cookie["httpOnly"] and cookie["sameSite"] == "Lax"
