"""Shibboleth SP 3 (Debian's shibd and mod_shib, support.shibboleth) as a target application of
the bridge: registered with `idbeheer app register` from the metadata it publishes while the
bridge serves, then signed in through at once; the attributes reach Apache's environment, and
Shibboleth's own SimpleAggregation resolver asks the attribute authority for the rights. Single
logout both ways (Shibboleth's /Shibboleth.sso/Logout, and the bridge's "Afmelden").

CI needs: apt-get install -y apache2 shibboleth-sp-utils libapache2-mod-shib"""
from __future__ import annotations

import re
from urllib.parse import parse_qs, quote, urlencode, urlsplit

import pytest
import requests
from support import BART, CHRIS, MERELBEKE, NAZARETH
from support.apache import env_of
from support.http_browser import HttpBrowser, walk
from support.interop import IdbeheerServer, hops, redirected_to, sign_out_at_bridge, signed_in
from support.shibboleth import ShibbolethSp

pytestmark = pytest.mark.interop

RSA_SHA256 = "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
AES256_GCM = "http://www.w3.org/2009/xmlenc11#aes256-gcm"


@pytest.fixture(scope="module")
def shibboleth(server):
    sp = ShibbolethSp(server.base)
    try:
        yield sp.start()
    finally:
        sp.stop()
        sp.remove()


@pytest.fixture(scope="module")
def registered(server, shibboleth):
    """Registered while the bridge runs, from Shibboleth's own /Shibboleth.sso/Metadata; its
    right `shib-user` granted to Chris in both his governments, and to Bart."""
    server.register_saml("shib", "Shibboleth SP", shibboleth.metadata_url, right="shib-user",
                         holders=((CHRIS, MERELBEKE), (CHRIS, NAZARETH), (BART, MERELBEKE)))
    return shibboleth


def aa_queries(server: IdbeheerServer) -> float:
    metrics = requests.get(server.base + "/metrics", timeout=10).text
    return sum(float(line.rsplit(" ", 1)[1]) for line in metrics.splitlines()
               if line.startswith("idbeheer_aa_queries_total{") and 'outcome="success"' in line)


def test_shibboleth_signs_in_through_the_bridge_with_rights_from_the_attribute_authority(registered, server):
    sp = registered
    http = requests.Session()
    to_bridge = redirected_to(http, sp.base + "/secure/env", server.base)
    sso = urlsplit(to_bridge)
    assert f"{sso.scheme}://{sso.netloc}{sso.path}" == server.base + "/idp/sso"
    query = {k: v[0] for k, v in parse_qs(sso.query).items()}
    # Shibboleth signs its AuthnRequest by its defaults (the bridge's metadata asks for it).
    assert query.get("SigAlg") == RSA_SHA256 and query.get("Signature"), query.keys()
    queries_before = aa_queries(server)

    page = walk(HttpBrowser(http), to_bridge, CHRIS, MERELBEKE)

    assert page.url == sp.base + "/secure/env", (page.url, page.text[:800], sp.errors())
    env = env_of(page.text)
    assert env["Shib_Identity_Provider"] == server.base + "/idp/metadata"
    assert env["rrn"] == CHRIS
    # Debian's REMOTE_USER rule ("eppn subject-id pairwise-id persistent-id"): the bridge's
    # pairwise-id, a pseudonym for this application, scoped as /idp/metadata's shibmd:Scope
    # says (Shibboleth's attribute policy drops it otherwise), not the RRN.
    assert env["REMOTE_USER"] == env["pairwise_id"], (env.get("pairwise_id"), sp.errors())
    assert env["REMOTE_USER"].endswith("@127.0.0.1") and CHRIS not in env["REMOTE_USER"]
    # The persistent NameID, as issued to this SP (IdP!SP!value).
    assert env["persistent_id"].startswith(f"{server.base}/idp/metadata!{sp.entity_id}!")
    assert CHRIS not in env["persistent_id"]
    assert (env["givenName"], env["sn"]) == ("Chris", "Maes")
    assert (env["authnMethod"], env["capacity"], env["government"]) == ("eid", "employee", MERELBEKE)
    # The sign-in's assertion carries the right in the session's government only; the
    # attribute authority answers Shibboleth's AttributeQuery with all of Chris's rights of
    # this application: Nazareth-De Pinte's can only have come from there.
    assert f"shib-user@{NAZARETH}" in env["right"].split(";"), (env.get("right"), sp.errors())
    assert f"shib-user@{MERELBEKE}" in env["right"].split(";")
    assert aa_queries(server) == queries_before + 1
    # What Shibboleth sent, as shibd logged it: signed (RSA-SHA256, as /aa/metadata names), the
    # NameID encrypted to the AA's key with the AES-GCM it names (AES-CBC would be refused).
    sent = re.search(r"<samlp:AttributeQuery .*?</samlp:AttributeQuery>", sp.log(), re.S)
    assert sent, sp.errors()
    assert f'<ds:SignatureMethod Algorithm="{RSA_SHA256}"/>' in sent[0]
    assert "<saml:EncryptedID" in sent[0] and f'Algorithm="{AES256_GCM}"' in sent[0]


def test_shibboleth_asking_for_the_federal_token_gets_that_class_back(registered, server):
    """Shibboleth's session initiator with `authnContextClassRef` (as an application page links
    it): the bridge asks the federal IdP (dev_eid) for the token only, and the assertion names
    the class Shibboleth asked for, which it exports as Shib-AuthnContext-Class."""
    sp = registered
    token = "urn:be:fedict:iam:fas:citizen:token"
    browser = HttpBrowser(requests.Session())
    login = sp.base + "/Shibboleth.sso/Login?" + urlencode(
        {"target": sp.base + "/secure/env", "authnContextClassRef": token})
    upstream = walk(browser, login, stop_at=server.base + "/dev-eid/")
    assert upstream.location, (upstream.url, upstream.text[:800], sp.errors())
    status, text, _ = browser.request("GET", upstream.location, None)
    assert status == 200 and set(re.findall(r'name="method" value="(\w+)"', text)) == {"token"}, text[:800]
    page = walk(browser, upstream.location, BART, MERELBEKE, method="token")
    assert page.url == sp.base + "/secure/env", (page.url, page.text[:800], sp.errors())
    env = env_of(page.text)
    assert env["Shib_AuthnContext_Class"] == token and env["authnMethod"] == "token", sp.errors()


def test_single_logout_started_by_shibboleth(registered, server):
    sp = registered
    http, _ = signed_in(sp.base + "/secure/env", BART, MERELBEKE, sp.errors)
    done = http.get(sp.base + "/Shibboleth.sso/Logout?return=" + quote(sp.base + "/ready.html", safe=""),
                    timeout=15)
    # Shibboleth's LogoutRequest -> the bridge -> dev_eid -> the bridge's signed LogoutResponse,
    # which Shibboleth accepts -> its return URL.
    assert hops(done) == ["/Shibboleth.sso/Logout", "/idp/slo", "/dev-eid/slo", "/sp/slo",
                          "/Shibboleth.sso/SLO/Redirect", "/ready.html"], (hops(done), sp.errors())
    again = http.get(sp.base + "/secure/env", timeout=15)
    assert again.url.startswith(server.base + "/dev-eid/"), (again.url, again.text[:500])


def test_single_logout_started_at_the_bridge_reaches_shibboleth(registered, server):
    sp = registered
    http, _ = signed_in(sp.base + "/secure/env", BART, MERELBEKE, sp.errors)
    done = sign_out_at_bridge(http, server)
    assert hops(done) == ["/idp/slo", "/Shibboleth.sso/SLO/Redirect", "/idp/slo", "/dev-eid/slo",
                          "/sp/slo"], (hops(done), sp.errors())
    assert done.status_code == 200 and "afgemeld bij alle toepassingen" in done.text, done.text[:800]
    again = http.get(sp.base + "/secure/env", timeout=15)
    assert again.url.startswith(server.base + "/dev-eid/"), (again.url, again.text[:500])
