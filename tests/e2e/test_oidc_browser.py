"""OpenID Connect in Debian's chromium (Playwright), against the all-in-one server on a port of
its own (issue 12, "Tests that must exist"): an OIDC application -> the bridge -> dev_eid ->
the capacity page -> back with a code -> tokens -> userinfo, with the eID card and the federal
token, as employee and as citizen (`acr`/`amr` in the ID token); the capacity mismatch/switch
page for OIDC, ending in a code in the new capacity while the session's SAML application is
signed out of the old one (R13); demo-app's OIDC mode showing the claims and /oidc/rights;
single sign-on across SAML and OIDC applications in one browser session; and signing out of
either side (the SAML application, an OIDC application's RP-initiated logout, the bridge's
own page) ends both.

The pages run with JavaScript and under their Content-Security-Policy, as a person's browser
has them (the hand-over pages post themselves); every page a person stops at (dev_eid, the
capacity and mismatch pages, the signed-out pages, demo-app) passes the axe check."""
from __future__ import annotations

from typing import NamedTuple
from urllib.parse import urlsplit

import pytest
from support import BART, CHRIS, DINA, MERELBEKE, NAZARETH
from support.axe import assert_accessible
from support.browser import serving, sign_in
from support.oidc import ApplicationPages, LogoutReceiver

from attribute_authority import authz, oidc_clients
from attribute_authority.db import make_engine, session_factory, unit_of_work
from examples.demo_app.oidc_client import RelyingParty, SignInRefused, public_jwks
from samlkit.keys import ensure_dev_keypair

pytestmark = [pytest.mark.browser]
ACR = "urn:lb-idbeheer:acr:"
AMR = {"eid": ["sc", "pin"], "token": ["otp"]}  # RFC 8176: smart card + PIN; one-time codes
MISMATCH = "Deze toepassing vraagt een andere hoedanigheid"


class Setup(NamedTuple):
    base: str
    rp: RelyingParty  # oidc-any's relying party
    pages: ApplicationPages  # oidc-any's redirect URI and signed-out page
    backchannel: LogoutReceiver  # oidc-any's back-channel logout endpoint


@pytest.fixture(scope="module")
def server(databases, register, tmp_path_factory):
    """The all-in-one app (demo-app in both modes, as `support.browser.serving` has it) and an
    application `oidc-any` (employees and citizens) with real loopback pages and back
    channel, registered while the server runs (a new client works on the next request)."""
    home = tmp_path_factory.mktemp("e2e-oidc")
    with serving(databases.seeded(register), home) as (base, settings), ApplicationPages() as pages, \
            LogoutReceiver() as backchannel:
        engine = make_engine(settings.database_url)
        keypair = ensure_dev_keypair(home / "rp", "oidc-any", "oidc-any test RP")
        with unit_of_work(session_factory(engine)) as session:
            oidc_clients.register_oidc_client(
                session, authz.actor_for(session, DINA), "oidc-any", name="Toepassing voor iedereen",
                capacity="any", redirect_uris=[pages.callback], post_logout_redirect_uris=[pages.signed_out],
                backchannel_logout_uri=backchannel.url,
                auth=oidc_clients.ClientAuth(jwks=public_jwks(keypair)),
                scopes=["openid", "profile", "capacity", "rights"])
        engine.dispose()
        rp = RelyingParty(issuer=base + "/oidc", client_id="oidc-any", keypair=keypair,
                          redirect_uri=pages.callback)
        yield Setup(base, rp, pages, backchannel)


@pytest.fixture
def page(browser, server):
    """A page with JavaScript (the hand-over pages post themselves), under the pages' own CSP;
    `visited` lists every URL requested."""
    context = browser.new_context(base_url=server.base)
    context.set_default_timeout(10_000)
    pg = context.new_page()
    pg.visited = []
    pg.on("request", lambda r: pg.visited.append(r.url))
    yield pg
    context.close()


def _arrived(page, server, path: str = "/callback") -> dict[str, str]:
    """Wait until the browser is on oidc-any's page `path`; what arrived there."""
    page.wait_for_url(lambda url: url.startswith(server.pages.callback.rsplit("/", 1)[0] + path))
    return server.pages.last(path)


def _sign_in_oidc(page, server, script, rrn: str, capacity: str, method: str = "eid", **extra):
    """oidc-any's sign-in through dev_eid and the capacity page, each checked with axe; the
    code exchanged (state, iss, PKCE, ID token verified)."""
    asked = server.rp.authorization_request(**extra)
    page.goto(asked.url)
    page.wait_for_url("**/dev-eid/**")
    assert_accessible(page, script)
    sign_in(page, rrn, None, start=None, method=method, javascript=True)
    assert_accessible(page, script)
    page.check(f"input[name=capacity][value='{capacity}']")
    page.get_by_role("button", name="Verder").click()
    return server.rp.finish(_arrived(page, server), asked)


def _sso_oidc(page, server, **extra):
    """oidc-any's sign-in answered by the session at once (no dev_eid, no capacity page)."""
    before = len(page.visited)
    asked = server.rp.authorization_request(**extra)
    page.goto(asked.url)
    done = server.rp.finish(_arrived(page, server), asked)
    assert not any("/dev-eid/" in u or "/idp/capacity" in u for u in page.visited[before:])
    return done


def _signed_out(rp, access_token: str) -> bool:
    """The access token no longer works at userinfo (401): its session has ended."""
    try:
        rp.userinfo(access_token)
    except SignInRefused as refused:
        assert refused.reason.startswith("http_401"), refused.reason
        return True
    return False


def _capacity_claims(claims: dict) -> dict:
    return {k: claims[k] for k in ("capacity", "government") if k in claims}


@pytest.mark.parametrize("method", ["eid", "token"])
@pytest.mark.parametrize("capacity, claims", [
    (MERELBEKE, {"capacity": "employee", "government": MERELBEKE}),
    ("citizen", {"capacity": "citizen"}),
], ids=["employee", "citizen"])
def test_an_oidc_application_signs_in_by_eid_and_token_as_employee_and_citizen(
        page, server, script, method, capacity, claims):
    done = _sign_in_oidc(page, server, script, BART, capacity, method=method)
    assert done.claims["acr"] == ACR + method and done.claims["amr"] == AMR[method]
    assert done.claims["given_name"] == "Bart" and done.claims["family_name"] == "Claes"
    assert _capacity_claims(done.claims) == claims
    assert done.claims["rights"] == []  # oidc-any: nobody holds its rights
    userinfo = server.rp.userinfo(done.access_token)
    assert userinfo["sub"] == done.claims["sub"] and _capacity_claims(userinfo) == claims
    assert userinfo["given_name"] == "Bart" and userinfo["rights"] == []
    assert "code=" not in "".join(u for u in page.visited if u.startswith(server.base))  # no code at us
    assert_accessible(page, script)  # the application's page, for completeness of the walk


def _sign_in_demo_app_saml(page, script, rrn: str = BART, government: str = MERELBEKE) -> None:
    page.goto("/demo-app/")
    assert_accessible(page, script)
    page.get_by_role("link", name="Aanmelden via lb-idbeheer (eID of federaal token)").click()
    sign_in(page, rrn, government, start=None, javascript=True)
    page.wait_for_url("**/demo-app/me")
    assert f"bestuur <code>{government}</code>" in page.content()
    assert_accessible(page, script)


@pytest.mark.parametrize("rrn, new, claims", [
    (CHRIS, NAZARETH, {"capacity": "employee", "government": NAZARETH}),
    (BART, "citizen", {"capacity": "citizen"}),
], ids=["other-government", "citizen"])
def test_capacity_switch_for_an_oidc_application_signs_the_old_capacity_out(
        page, server, script, rrn, new, claims):
    """Signed in to demo-app (SAML) and oidc-any as employee of Merelbeke-Melle; oidc-any then
    asks for another capacity: the mismatch page, the switch (every application of the old
    capacity signed out, a fresh eID sign-in), a code in the new capacity; demo-app is no
    longer signed in as Merelbeke-Melle (R13)."""
    rp = server.rp
    _sign_in_demo_app_saml(page, script, rrn, MERELBEKE)
    first = _sso_oidc(page, server)
    assert first.claims["government"] == MERELBEKE
    asked = rp.authorization_request(capacity=new)
    arrivals, logouts = len(server.pages.arrived), len(server.backchannel.tokens)
    page.goto(asked.url)
    page.wait_for_url("**/idp/capacity")
    assert page.get_by_role("heading", name=MISMATCH).is_visible()
    listed = page.locator("ul[aria-labelledby=switch-apps]").inner_text()
    assert "Demotoepassing" in listed and "Toepassing voor iedereen" in listed  # signed out first
    assert_accessible(page, script)
    assert len(server.pages.arrived) == arrivals  # nothing went to the application yet
    page.get_by_role("button", name="Opnieuw aanmelden en van hoedanigheid wisselen").click()
    page.wait_for_url("**/dev-eid/**")  # after the old capacity's applications were signed out
    assert _signed_out(rp, first.access_token)  # oidc-any's tokens of the old capacity end
    assert len(server.backchannel.tokens) == logouts + 1  # and it was told so
    told = rp.verify_logout_token(server.backchannel.tokens[-1])
    assert told["sub"] == first.claims["sub"] and told["sid"] == first.claims["sid"]
    assert_accessible(page, script)
    sign_in(page, rrn, None, start=None, javascript=True)
    assert page.locator(f"input[name=capacity][value='{new}']").is_checked()  # as asked, preselected
    assert_accessible(page, script)
    page.get_by_role("button", name="Verder").click()
    done = rp.finish(_arrived(page, server), asked)
    assert _capacity_claims(done.claims) == claims
    assert done.claims["sub"] == first.claims["sub"]  # the same person to oidc-any
    assert _capacity_claims(rp.userinfo(done.access_token)) == claims
    # R13: demo-app's SAML session of the old capacity is gone ...
    page.goto("/demo-app/me")
    assert "U bent niet aangemeld" in page.content()
    assert_accessible(page, script)
    # ... and signing in to it again gets the one capacity of the session, never the old one
    page.goto("/demo-app/login")
    if new == "citizen":  # demo-app takes employees only: the switch page again
        page.wait_for_url("**/idp/capacity")
        assert page.get_by_role("heading", name=MISMATCH).is_visible()
    else:
        page.wait_for_url("**/demo-app/me")
        assert f"bestuur <code>{new}</code>" in page.content() and MERELBEKE not in page.content()
    assert_accessible(page, script)


def test_demo_app_oidc_mode_shows_claims_and_rights(page, script):
    page.goto("/demo-app-oidc/")
    assert_accessible(page, script)
    page.get_by_role("link", name="Aanmelden met eID of federaal token (OpenID Connect)").click()
    sign_in(page, BART, MERELBEKE, start=None, javascript=True)
    page.wait_for_url("**/demo-app-oidc/")
    content = page.content()
    assert "Bart Claes" in content and f"demo-app-reader@{MERELBEKE}" in content
    assert "Volgens <code>/oidc/rights</code>, nu" in content
    assert content.count(f"demo-app-reader@{MERELBEKE}") >= 2  # the ID token's and /oidc/rights'
    assert_accessible(page, script)


def _sso_saml_and_oidc(page, server, script):
    """demo-app (SAML), then demo-app's OIDC mode and oidc-any, both without a second sign-in."""
    _sign_in_demo_app_saml(page, script)
    before = len(page.visited)
    page.goto("/demo-app-oidc/login")
    page.wait_for_url("**/demo-app-oidc/")
    assert not any("/dev-eid/" in u for u in page.visited[before:]), "SSO: no second eID sign-in"
    assert "Bart Claes" in page.content() and f"bestuur <code>{MERELBEKE}</code>" in page.content()
    return _sso_oidc(page, server), len(server.backchannel.tokens)


def _all_signed_out(page, server, script, any_app, logouts: int) -> None:
    """demo-app's two modes and oidc-any are signed out (oidc-any told by its back channel:
    one logout_token more than `logouts`), and signing in again goes to dev_eid."""
    page.goto("/demo-app/me")
    assert "U bent niet aangemeld" in page.content()
    page.goto("/demo-app-oidc/")  # the bridge's logout_token reached its back channel
    assert "U bent niet aangemeld" in page.content()
    assert _signed_out(server.rp, any_app.access_token)
    assert len(server.backchannel.tokens) == logouts + 1
    assert server.rp.verify_logout_token(server.backchannel.tokens[-1])["sid"] == any_app.claims["sid"]
    asked = server.rp.authorization_request(prompt="none")
    page.goto(asked.url)
    assert _arrived(page, server)["error"] == "login_required"
    page.goto("/demo-app-oidc/login")
    page.wait_for_url("**/dev-eid/**")


def test_sso_from_saml_to_oidc_then_oidc_sign_out_ends_both(page, server, script):
    any_app, logouts = _sso_saml_and_oidc(page, server, script)
    page.goto("/demo-app-oidc/")
    page.get_by_role("button", name="Afmelden bij demo-app").click()  # OIDC side
    page.wait_for_url("**/demo-app-oidc/signed-out**")
    assert "U bent afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    assert_accessible(page, script)
    _all_signed_out(page, server, script, any_app, logouts)


def test_sso_then_saml_sign_out_ends_the_oidc_sessions_too(page, server, script):
    any_app, logouts = _sso_saml_and_oidc(page, server, script)
    page.goto("/demo-app/me")
    page.get_by_role("button", name="Afmelden bij demo-app").click()  # SAML side
    page.wait_for_url("**/demo-app/slo?**")
    assert "afgemeld bij demo-app en bij lb-idbeheer" in page.content()
    assert_accessible(page, script)
    _all_signed_out(page, server, script, any_app, logouts)


def test_rp_initiated_logout_of_an_oidc_application_ends_the_saml_side(page, server, script):
    """oidc-any's own sign-out (RP-initiated logout with `id_token_hint`) back to its
    registered post_logout_redirect_uri with its `state`; demo-app's SAML side is signed out
    on the way (front channel), its OIDC mode by back channel."""
    any_app, logouts = _sso_saml_and_oidc(page, server, script)
    page.goto(server.rp.logout_url(any_app.id_token, server.pages.signed_out, "st-out"))
    assert _arrived(page, server, "/signed-out") == {"state": "st-out"}
    # the asking application gets its logout_token too: it reaches every session of it with
    # that sid, the redirect only the browser's (idp_bridge/oidc/mount.py)
    _all_signed_out(page, server, script, any_app, logouts)


def test_the_bridge_s_own_sign_out_ends_saml_and_oidc(page, server, script):
    any_app, logouts = _sso_saml_and_oidc(page, server, script)
    page.goto("/idp/slo")
    assert_accessible(page, script)  # the bridge asks before signing out everywhere
    page.get_by_role("button", name="Afmelden bij alle toepassingen").click()
    page.get_by_role("heading", name="U bent afgemeld").wait_for()
    assert_accessible(page, script)
    _all_signed_out(page, server, script, any_app, logouts)


def test_an_unregistered_redirect_uri_gets_an_error_page_not_a_redirect(page, server, script):
    asked = server.rp.authorization_request()
    arrivals = len(server.pages.arrived)
    response = page.goto(asked.url.replace("%2Fcallback", "%2Fcallback%2Fevil"))
    assert response.status == 400 and urlsplit(page.url).path == "/oidc/authorize"  # no redirect
    assert len(server.pages.arrived) == arrivals
    assert_accessible(page, script)
