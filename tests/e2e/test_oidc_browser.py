"""OpenID Connect in Debian's chromium (Playwright), against the all-in-one server on a port of
its own: an OIDC application -> the bridge -> dev_eid -> the capacity page -> back with a code
-> tokens -> userinfo, as employee and as citizen; demo-app's OIDC mode showing the claims and
/oidc/rights; single sign-on across demo-app's SAML and OIDC modes in one browser session; and
signing out of either ends both."""
from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
from support import BART, DINA, MERELBEKE
from werkzeug.serving import make_server

from attribute_authority import authz, oidc_clients
from attribute_authority.db import make_engine, session_factory, unit_of_work
from examples.demo_app.oidc_client import RelyingParty, public_jwks
from idbeheer.app import create_app
from idbeheer.demo_mode import register_demo_clients
from idbeheer.settings import from_env
from samlkit.keys import ensure_dev_keypair

pytestmark = [pytest.mark.browser]
CALLBACK = "https://oidc-any.example.test/callback"  # routed inside the browser, never served


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory):
    """The all-in-one app, demo-app registered in both modes (as `idbeheer run` does) and an
    application `oidc-any` (employees and citizens) whose redirect URI the browser routes."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    home = tmp_path_factory.mktemp("e2e-oidc")
    settings = from_env({"IDBEHEER_HOME": str(home / "var"), "IDBEHEER_BASE_URL": base,
                         "IDBEHEER_DATABASE_URL": databases.seeded(register),
                         "IDBEHEER_METADATA_DIR": str(home / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(home / "certs")})
    engine = make_engine(settings.database_url)
    keypair = ensure_dev_keypair(home / "rp", "oidc-any", "oidc-any test RP")
    with unit_of_work(session_factory(engine)) as session:
        register_demo_clients(session, settings)
        oidc_clients.register_oidc_client(
            session, authz.actor_for(session, DINA), "oidc-any", name="Toepassing voor iedereen",
            capacity="any", redirect_uris=[CALLBACK], auth=oidc_clients.ClientAuth(jwks=public_jwks(keypair)),
            scopes=["openid", "profile", "capacity", "rights"])
    engine.dispose()
    httpd = make_server("127.0.0.1", port, create_app(settings), threaded=True)
    thread = threading.Thread(target=httpd.serve_forever, daemon=True)
    thread.start()
    rp = RelyingParty(issuer=base + "/oidc", client_id="oidc-any", keypair=keypair, redirect_uri=CALLBACK)
    yield base, rp
    httpd.shutdown()


@pytest.fixture(scope="module")
def browser():
    from playwright.sync_api import sync_playwright
    with sync_playwright() as p:
        b = p.chromium.launch(executable_path="/usr/bin/chromium",
                              args=["--no-sandbox", "--disable-gpu", "--disable-background-networking"])
        yield b
        b.close()


@pytest.fixture
def page(browser, server):
    base, _rp = server
    context = browser.new_context(base_url=base)  # JavaScript on: the hand-over pages post themselves
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.visited = []
    pg.on("request", lambda r: pg.visited.append(r.url))
    yield pg
    context.close()


def sign_in_at_dev_eid(page, rrn: str, capacity: str | None, done: str) -> None:
    """dev_eid's form, then the capacity page if it comes, until the URL matches `done`."""
    page.wait_for_url("**/dev-eid/**")
    page.select_option("select[name=rrn]", rrn)
    page.check("input[name=method][value=eid]")
    page.get_by_role("button", name="Aanmelden").click()
    page.wait_for_url(lambda url: "/idp/capacity" in url or done in url)
    if "/idp/capacity" in page.url:
        page.check(f"input[name=capacity][value='{capacity}']")
        page.get_by_role("button", name="Verder").click()
    page.wait_for_url(lambda url: done in url)


@pytest.mark.parametrize("capacity, claims", [
    (MERELBEKE, {"capacity": "employee", "government": MERELBEKE}),
    ("citizen", {"capacity": "citizen"}),
])
def test_an_oidc_application_signs_in_employee_and_citizen(page, server, capacity, claims):
    base, rp = server
    arrived: list[str] = []

    def application(route):  # the application's redirect URI: take the code
        arrived.append(route.request.url)
        route.fulfill(status=200, body="ok")

    page.route(CALLBACK + "**", application)
    asked = rp.authorization_request()
    page.goto(asked.url)
    sign_in_at_dev_eid(page, BART, capacity, CALLBACK)
    assert arrived, page.url
    done = rp.finish(dict(parse_qsl(urlsplit(arrived[0]).query)), asked)  # state, iss, code, ID token
    assert done.claims["given_name"] == "Bart" and done.claims["family_name"] == "Claes"
    assert {k: done.claims.get(k) for k in claims} == claims
    assert done.claims["rights"] == []  # oidc-any: nobody holds its rights
    userinfo = rp.userinfo(done.access_token)
    assert userinfo["sub"] == done.claims["sub"] and userinfo["capacity"] == claims["capacity"]
    assert "code=" not in "".join(u for u in page.visited if u.startswith(base))  # no code at us


def _sign_in_demo_app_saml(page) -> None:
    page.goto("/demo-app/")
    page.get_by_role("link", name="Aanmelden via lb-idbeheer (eID of federaal token)").click()
    sign_in_at_dev_eid(page, BART, MERELBEKE, "/demo-app/me")
    assert "Bart Claes" in page.content()


def test_demo_app_oidc_mode_shows_claims_and_rights(page):
    page.goto("/demo-app-oidc/")
    page.get_by_role("link", name="Aanmelden met eID of federaal token (OpenID Connect)").click()
    sign_in_at_dev_eid(page, BART, MERELBEKE, "/demo-app-oidc/")
    content = page.content()
    assert "Bart Claes" in content and f"demo-app-reader@{MERELBEKE}" in content
    assert "Volgens <code>/oidc/rights</code>, nu" in content
    assert content.count(f"demo-app-reader@{MERELBEKE}") >= 2  # the ID token's and /oidc/rights'


def test_sso_from_saml_to_oidc_then_oidc_sign_out_ends_both(page):
    _sign_in_demo_app_saml(page)
    before = len(page.visited)
    page.goto("/demo-app-oidc/login")
    page.wait_for_url("**/demo-app-oidc/")
    assert not any("/dev-eid/" in u for u in page.visited[before:]), "SSO: no second eID sign-in"
    assert "Bart Claes" in page.content() and f"bestuur <code>{MERELBEKE}</code>" in page.content()
    page.get_by_role("button", name="Afmelden bij demo-app").click()  # OIDC side
    page.wait_for_url("**/demo-app-oidc/signed-out**")
    assert "U bent afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    page.goto("/demo-app/me")
    assert "U bent niet aangemeld" in page.content()  # the bridge signed the SAML side out too
    page.goto("/demo-app/login")
    page.wait_for_url("**/dev-eid/**")


def test_sso_then_saml_sign_out_ends_the_oidc_session_too(page):
    _sign_in_demo_app_saml(page)
    page.goto("/demo-app-oidc/login")
    page.wait_for_url("**/demo-app-oidc/")
    page.goto("/demo-app/me")
    page.get_by_role("button", name="Afmelden bij demo-app").click()  # SAML side
    page.wait_for_url("**/demo-app/slo?**")
    assert "afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    page.goto("/demo-app-oidc/")  # the bridge's logout_token reached demo-app-oidc's back channel
    assert "U bent niet aangemeld" in page.content()
    page.goto("/demo-app-oidc/login")
    page.wait_for_url("**/dev-eid/**")


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(page, server):
    _base, rp = server
    asked = rp.authorization_request()
    response = page.goto(asked.url.replace("oidc-any.example.test", "evil.example.test"))
    assert response.status == 400 and urlsplit(page.url).path == "/oidc/authorize"  # no redirect
