"""Single logout, front-channel: every application of the session, then upstream, then the
answer to whoever started it."""
import base64
import datetime as dt
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from saml2.xmldsig import SIG_RSA_SHA256
from support import BART, CHRIS, MERELBEKE
from support.bridge import answer_logout, form_of, saml_response_of

from samlkit.bindings import redirect_url
from samlkit.logout import NameId, logout_request
from samlkit.samlxml import to_bytes


def _path(url):
    parts = urlsplit(url)
    return parts.path + "?" + parts.query


def signed_in_to_two(bridge):
    demo, other = bridge.sp("demo-app"), bridge.sp("other-app")
    browser = bridge.browser()
    demo.consume(saml_response_of(browser.sign_in(demo, BART, MERELBEKE).data))
    other.consume(saml_response_of(browser.get(other.login_url()).data))
    return browser, demo, other


def _through_upstream(browser, location):
    """dev_eid's hop: its SLO answers at once with a LogoutResponse to the bridge SP."""
    assert "/dev-eid/slo" in location
    dev_eid = browser.get(_path(location))
    assert dev_eid.status_code == 302 and "/sp/slo" in dev_eid.headers["Location"]
    return browser.get(_path(dev_eid.headers["Location"]))


def test_logout_everywhere_from_the_bridge(bridge):
    browser, demo, other = signed_in_to_two(bridge)
    hop = browser.sign_out_everywhere()
    assert hop.status_code == 302 and hop.headers["Location"].startswith(demo.slo)
    hop = browser.get(_path(answer_logout(demo, hop.headers["Location"])))
    assert hop.status_code == 302 and hop.headers["Location"].startswith(other.slo)
    hop = browser.get(_path(answer_logout(other, hop.headers["Location"])))
    done = _through_upstream(browser, hop.headers["Location"])
    assert done.status_code == 200 and "afgemeld bij alle toepassingen" in done.get_data(as_text=True)
    assert browser.get("/idp/capacity").status_code == 403


def test_logout_started_by_an_application(bridge):
    browser, demo, other = signed_in_to_two(bridge)
    name_id = demo.client.users.subjects()[0]
    requests = demo.client.global_logout(name_id, sign=True, sign_alg=SIG_RSA_SHA256)
    (binding, info), = [v for v in requests.values()]
    first = browser.get(_path(dict(info["headers"])["Location"]))
    assert first.status_code == 302 and first.headers["Location"].startswith(other.slo)
    hop = browser.get(_path(answer_logout(other, first.headers["Location"])))
    final = _through_upstream(browser, hop.headers["Location"])
    assert final.status_code == 302 and final.headers["Location"].startswith(demo.slo)
    query = parse_qs(urlsplit(final.headers["Location"]).query)
    response = demo.client.parse_logout_request_response(query["SAMLResponse"][0], BINDING_HTTP_REDIRECT)
    assert response.status_ok()
    assert browser.get("/idp/capacity").status_code == 403


def test_unsigned_logout_request_is_refused(bridge):
    browser, demo, _ = signed_in_to_two(bridge)
    name_id = demo.client.users.subjects()[0]
    requests = demo.client.global_logout(name_id, sign=False)
    (binding, info), = [v for v in requests.values()]
    refused = browser.get(_path(dict(info["headers"])["Location"]))
    assert refused.status_code == 400
    assert browser.get("/idp/capacity").status_code == 200  # still signed in


def test_get_without_a_message_only_asks(bridge):
    """A cross-site <img src=/idp/slo> must not sign anyone out: GET shows what would end."""
    browser, demo, other = signed_in_to_two(bridge)
    page = browser.get("/idp/slo")
    html = page.get_data(as_text=True)
    assert page.status_code == 200
    assert "Afmelden bij alle toepassingen?" in html
    assert "<li>Demotoepassing</li>" in html and "<li>other-app</li>" in html  # name, else code
    action, fields = form_of(page.data)
    assert action == "/idp/slo" and fields["csrf_token"]
    assert '<button type="submit">Afmelden bij alle toepassingen</button>' in html
    assert "<script" not in html
    assert browser.get("/idp/capacity").status_code == 200  # still signed in, nothing sent


def test_the_status_page_signs_out_with_a_form_not_a_link(bridge):
    browser, demo, _ = signed_in_to_two(bridge)
    status = browser.get("/idp/capacity")
    action, fields = form_of(status.data)
    assert action == "/idp/slo" and fields["csrf_token"]
    hop = browser.submit(status.data)
    assert hop.status_code == 302 and hop.headers["Location"].startswith(demo.slo)


@pytest.mark.parametrize("token", [None, "", "wrong-token"])
def test_sign_out_post_without_the_session_token_changes_nothing(bridge, token):
    browser, demo, _ = signed_in_to_two(bridge)
    data = {} if token is None else {"csrf_token": token}
    refused = browser.client.post("/idp/slo", data=data)
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert "Afmelden niet gelukt" in html and "U bent nog aangemeld" in html
    assert "logout_csrf" in html
    assert browser.get("/idp/capacity").status_code == 200  # the session is intact
    # ... and the applications too: the real form still starts the fan-out with both of them.
    hop = browser.sign_out_everywhere()
    assert hop.status_code == 302 and hop.headers["Location"].startswith(demo.slo)


def test_another_sessions_token_is_refused(bridge):
    browser, _, _ = signed_in_to_two(bridge)
    other_browser, _, _ = signed_in_to_two(bridge)
    foreign = form_of(other_browser.get("/idp/slo").data)[1]["csrf_token"]
    assert browser.client.post("/idp/slo", data={"csrf_token": foreign}).status_code == 400
    assert browser.get("/idp/capacity").status_code == 200


def test_sign_out_without_a_session_says_so(bridge):
    browser = bridge.browser()
    for answer in (browser.get("/idp/slo"), browser.client.post("/idp/slo", data={})):
        assert answer.status_code == 200
        assert "U bent niet aangemeld" in answer.get_data(as_text=True)


def _signed_logout_url(bridge, demo, name_id: str, **overrides) -> str:
    """A LogoutRequest of demo-app written with our own builder, so that each field can be
    set wrong on purpose; signed with demo-app's key on the Redirect binding."""
    now = overrides.pop("now", dt.datetime.now(dt.UTC))
    root = logout_request(issuer=demo.entity_id, destination=overrides.pop(
        "destination", "http://localhost/idp/slo"), name_id=NameId(name_id), session_index=None,
        now=now)
    return _path(redirect_url("http://localhost/idp/slo", "SAMLRequest", to_bytes(root), None,
                              bridge.keys["testsp"]))


def _demo_name_id(demo) -> str:
    return demo.client.users.subjects()[0].text


@pytest.mark.parametrize("what,reason", [
    ({"destination": "http://localhost/elsewhere/slo"}, "logout_wrong_destination"),
    ({"stale": True}, "logout_expired"),
])
def test_logout_request_must_be_fresh_and_addressed_here(bridge, what, reason):
    browser, demo, _ = signed_in_to_two(bridge)
    if what.pop("stale", False):
        what["now"] = dt.datetime.now(dt.UTC) - dt.timedelta(minutes=10)
    refused = browser.get(_signed_logout_url(bridge, demo, _demo_name_id(demo), **what))
    assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    assert browser.get("/idp/capacity").status_code == 200  # still signed in


def test_a_signed_logout_url_works_once_and_only_for_its_person(bridge):
    """Someone's own signed "sign out" URL, put in a page, signs nobody else out."""
    browser, demo, _ = signed_in_to_two(bridge)
    url = _signed_logout_url(bridge, demo, _demo_name_id(demo))
    victim = bridge.browser()
    demo.consume(saml_response_of(victim.sign_in(demo, CHRIS, MERELBEKE).data))
    refused = victim.get(url)
    assert refused.status_code == 400 and "logout_other_person" in refused.get_data(as_text=True)
    assert victim.get("/idp/capacity").status_code == 200  # Chris is still signed in
    replayed = browser.get(url)
    assert replayed.status_code == 400 and "logout_replayed" in replayed.get_data(as_text=True)
    assert browser.get("/idp/capacity").status_code == 200
    fresh = browser.get(_signed_logout_url(bridge, demo, _demo_name_id(demo)))
    assert fresh.status_code == 302  # on to the other application: the logout runs


def test_upstream_logout_repeats_the_name_id_as_the_idp_issued_it(bridge):
    """The federal IdP matches a LogoutRequest on the whole NameID: Format and qualifiers."""
    browser, demo, other = signed_in_to_two(bridge)
    hop = browser.sign_out_everywhere()
    while "/dev-eid/slo" not in hop.headers["Location"]:
        app = demo if hop.headers["Location"].startswith(demo.slo) else other
        hop = browser.get(_path(answer_logout(app, hop.headers["Location"])))
    query = parse_qs(urlsplit(hop.headers["Location"]).query)
    request = etree.fromstring(zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15))
    name_id = request.find("{urn:oasis:names:tc:SAML:2.0:assertion}NameID")
    assert name_id.get("Format") == "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
    assert name_id.get("NameQualifier") == "http://localhost/dev-eid/metadata"
    assert name_id.get("SPNameQualifier") == "http://localhost/sp/metadata"
    assert name_id.text.startswith("_")
