"""A relying party that is not ours: Apache's mod_auth_openidc (Debian's
libapache2-mod-auth-openidc) signs in through the bridge's OpenID Provider and dev_eid, with
`private_key_jwt` and PKCE, registered with `idbeheer app oidc` while the server runs; a CGI
script shows the claims the module passes on (OIDC_CLAIM_*). Then RP-initiated logout from
Apache ends the bridge's session too."""
from __future__ import annotations

from urllib.parse import parse_qs, quote, urlsplit

import pytest
import requests
from support import BART, MERELBEKE
from support.apache_oidc import ApacheOidc, claims_of
from support.http_browser import HttpBrowser, walk


@pytest.fixture(scope="module")
def apache(server):
    rp = ApacheOidc(server.base)
    server.cli(*rp.registration_args(), "--as", "01091204695")  # Dina, central administrator
    rp.start()
    yield rp
    rp.stop()


def test_apache_sends_an_authorization_request_with_pkce(apache, server):
    answer = requests.get(apache.base + "/protected/claims", allow_redirects=False, timeout=10)
    assert answer.status_code == 302, apache.errors()
    location = urlsplit(answer.headers["Location"])
    assert f"{location.scheme}://{location.netloc}{location.path}" == server.base + "/oidc/authorize"
    query = {k: v[0] for k, v in parse_qs(location.query).items()}
    assert query["client_id"] == "apache-rp" and query["response_type"] == "code"
    assert query["redirect_uri"] == apache.redirect_uri
    assert query["code_challenge_method"] == "S256" and query["nonce"] and query["state"]
    assert set(query["scope"].split()) == {"openid", "profile", "capacity", "rights"}


def test_apache_signs_in_through_the_bridge_and_sees_the_claims(apache, server):
    browser = HttpBrowser()
    page = walk(browser, apache.base + "/protected/claims", BART, MERELBEKE)
    assert page.url == apache.base + "/protected/claims", (page.url, page.text[:500], apache.errors())
    claims = claims_of(page.text)
    assert claims["given_name"] == "Bart" and claims["family_name"] == "Claes"
    assert claims["capacity"] == "employee" and claims["government"] == MERELBEKE
    assert claims["acr"] == "urn:lb-idbeheer:acr:eid"
    assert claims.get("rights", "") == ""  # apache-rp is an application nobody holds rights of
    assert "rrn" not in claims  # not a scope apache-rp was registered for
    assert f"REMOTE_USER={claims['sub']}" in page.text
    # Signed in at the bridge now: a second visit after Apache's session ends needs no eID.
    # RP-initiated logout from Apache ends the bridge's session with it.
    out = walk(browser, apache.redirect_uri + "?logout=" + quote(apache.logged_out, safe=""))
    assert out.url.startswith(apache.logged_out), (out.url, out.text[:500], apache.errors())
    again = walk(browser, apache.base + "/protected/claims", stop_at=server.base + "/dev-eid/")
    assert again.location, "after logout the next sign-in needs the eID again"
