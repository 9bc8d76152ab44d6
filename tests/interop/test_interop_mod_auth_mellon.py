"""mod_auth_mellon (Debian's libapache2-mod-auth-mellon, support.mellon) as a target application
of the bridge: registered with `idbeheer app register` from the metadata the module generates,
while the bridge serves, and signed in through at once; the attributes reach Apache's
environment. Single logout both ways: started by Mellon (/mellon/logout), and started at the
bridge ("Afmelden"), whose LogoutRequest Mellon verifies and answers.

CI needs: apt-get install -y apache2 libapache2-mod-auth-mellon"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from support import BART, MERELBEKE
from support.apache import env_of
from support.http_browser import HttpBrowser, walk
from support.interop import hops, redirected_to, sign_out_at_bridge, signed_in
from support.mellon import MellonSp

pytestmark = pytest.mark.interop

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"


@pytest.fixture(scope="module")
def mellon(server):
    sp = MellonSp(server.base)
    try:
        sp.start()
        server.register_saml("mellon", "mod_auth_mellon", sp.metadata_url, right="mellon-user",
                             holders=((BART, MERELBEKE),))
        yield sp
    finally:
        sp.stop()
        sp.remove()


def test_mellon_signs_in_through_the_bridge(mellon, server):
    http = requests.Session()
    to_bridge = redirected_to(http, mellon.base + "/secure/env", server.base)  # via /mellon/login
    sso = urlsplit(to_bridge)
    assert f"{sso.scheme}://{sso.netloc}{sso.path}" == server.base + "/idp/sso"
    query = {k: v[0] for k, v in parse_qs(sso.query).items()}
    assert query.get("SigAlg") == RSA_SHA256 and query.get("Signature"), query.keys()

    page = walk(HttpBrowser(http), to_bridge, BART, MERELBEKE)
    assert page.url == mellon.base + "/secure/env", (page.url, page.text[:800], mellon.errors())
    env = env_of(page.text)

    assert env["REMOTE_USER"] == env["rrn"] == BART
    assert (env["givenName"], env["surname"]) == ("Bart", "Claes")
    assert (env["authnMethod"], env["capacity"], env["government"]) == ("eid", "employee", MERELBEKE)
    assert env["right"] == f"mellon-user@{MERELBEKE}"
    assert env["MELLON_NAME_ID"] and BART not in env["MELLON_NAME_ID"]  # a pseudonym, not the RRN


def test_mellon_asking_for_the_eid_card_gets_it(mellon, server):
    """MellonAuthnContextClassRef SmartcardPKI (support.mellon): the bridge asks the federal IdP
    (here dev_eid) for the eID card only, and mellon, which checks, accepts the assertion."""
    browser = HttpBrowser(requests.Session())
    upstream = walk(browser, mellon.base + "/secure/env", stop_at=server.base + "/dev-eid/")
    assert upstream.location, (upstream.url, upstream.text[:800], mellon.errors())
    status, text, _ = browser.request("GET", upstream.location, None)
    assert status == 200 and set(re.findall(r'name="method" value="(\w+)"', text)) == {"eid"}, text[:800]
    page = walk(browser, upstream.location, BART, MERELBEKE)
    assert page.url == mellon.base + "/secure/env", (page.url, page.text[:800], mellon.errors())
    env = env_of(page.text)
    assert env["authnMethod"] == "eid" and env["rrn"] == BART


def test_single_logout_started_by_mellon(mellon, server):
    http, _ = signed_in(mellon.base + "/secure/env", BART, MERELBEKE, mellon.errors)
    done = http.get(mellon.base + "/mellon/logout?ReturnTo=" + quote(mellon.logged_out, safe=""), timeout=15)
    assert done.status_code == 200 and done.url == mellon.logged_out, \
        (done.url, done.text[:800], mellon.errors())
    # Mellon's signed LogoutRequest -> the bridge -> dev_eid (upstream) -> the bridge -> the
    # bridge's signed LogoutResponse, which Mellon accepts -> its ReturnTo.
    assert hops(done) == ["/mellon/logout", "/idp/slo", "/dev-eid/slo", "/sp/slo", "/mellon/logout",
                          "/logged-out.html"], hops(done)
    # Both sessions are gone: the next visit goes to the bridge, and on to the eID sign-in.
    again = http.get(mellon.base + "/secure/env", timeout=15)
    assert again.url.startswith(server.base + "/dev-eid/"), (again.url, again.text[:500])


def test_single_logout_started_at_the_bridge_reaches_mellon(mellon, server):
    http, _ = signed_in(mellon.base + "/secure/env", BART, MERELBEKE, mellon.errors)
    done = sign_out_at_bridge(http, server)
    # The bridge's signed LogoutRequest -> Mellon, which ends its session and answers with a
    # signed LogoutResponse -> the bridge -> dev_eid -> the bridge's "signed out" page.
    assert hops(done) == ["/idp/slo", "/mellon/logout", "/idp/slo", "/dev-eid/slo", "/sp/slo"], hops(done)
    assert done.status_code == 200 and "afgemeld bij alle toepassingen" in done.text, \
        (done.text[:800], mellon.errors())
    again = http.get(mellon.base + "/secure/env", timeout=15)
    assert again.url.startswith(server.base + "/dev-eid/"), (again.url, again.text[:500])
