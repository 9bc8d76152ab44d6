"""Back-channel logout (OIDC Back-Channel Logout 1.0) against real receivers on loopback ports,
and the session identity `sid` it names (issue 12 point 2): whichever way the session ends -
the bridge's own "Afmelden", a SAML application's LogoutRequest, an RP-initiated
/oidc/logout - every OIDC application of the session gets a logout_token, all of them together at the start
of the trip of the SAML applications' front-channel hops."""
from __future__ import annotations

import threading
from urllib.parse import parse_qs, urlencode, urlsplit

from saml2 import BINDING_HTTP_REDIRECT
from saml2.xmldsig import SIG_RSA_SHA256
from support import BART, MERELBEKE
from support.bridge import _path, answer_logout, saml_response_of
from support.oidc import (
    ISSUER,
    LogoutReceiver,
    answer_of,
    authorize_url,
    random_code,
    register,
    sign_in,
    tokens_for,
    verified,
)

BACKCHANNEL_EVENT = "http://schemas.openid.net/event/backchannel-logout"
AFTER_LOGOUT = "https://rp.example.test/signed-out"


def _through_upstream(browser, location):
    """dev_eid's hop: its SLO answers at once with a LogoutResponse to the bridge SP."""
    assert "/dev-eid/slo" in location, location
    dev_eid = browser.get(_path(location))
    assert dev_eid.status_code == 302 and "/sp/slo" in dev_eid.headers["Location"]
    return browser.get(_path(dev_eid.headers["Location"]))


class Session:
    """One browser signed in to a SAML application and two OIDC applications, each OIDC one
    with its own back-channel logout receiver."""

    def __init__(self, op, first: LogoutReceiver, second: LogoutReceiver) -> None:
        self.op = op
        self.rps = [register(op, backchannel_logout_uri=first.url, post_logout_redirect_uris=[AFTER_LOGOUT]),
                    register(op, random_code(), backchannel_logout_uri=second.url)]
        self.receivers = [first, second]
        self.saml = op.sp("other-app")
        self.browser = op.browser()
        self.saml.consume(saml_response_of(self.browser.sign_in(self.saml, BART, MERELBEKE).data))
        self.tokens = [tokens_for(rp, self.browser.get(authorize_url(rp))) for rp in self.rps]
        self.id_claims = [verified(op, t["id_token"]) for t in self.tokens]

    def assert_each_told_once(self) -> None:
        for rp, receiver, id_claims in zip(self.rps, self.receivers, self.id_claims, strict=True):
            assert len(receiver.tokens) == 1, (rp.client_id, receiver.tokens)
            assert receiver.content_types == ["application/x-www-form-urlencoded"]
            claims = verified(self.op, receiver.tokens[0], typ="logout+jwt")
            assert claims["iss"] == ISSUER and claims["aud"] == rp.client_id
            assert claims["events"] == {BACKCHANNEL_EVENT: {}}
            assert claims["sid"] == id_claims["sid"] and claims["sub"] == id_claims["sub"]
            assert "nonce" not in claims  # a logout_token is no ID token (2.4)
            assert claims["jti"] and claims["iat"] <= claims["exp"] <= claims["iat"] + 300
        # the grants of the session end too
        for rp, tokens in zip(self.rps, self.tokens, strict=True):
            bearer = {"Authorization": "Bearer " + tokens["access_token"]}
            assert rp.http.get("/oidc/userinfo", headers=bearer).status_code == 401

    def assert_signed_out(self) -> None:
        assert self.browser.get("/idp/capacity").status_code == 403
        again = self.browser.get(authorize_url(self.rps[0], prompt="none"))
        assert answer_of(again)["error"] == "login_required"


def test_bridge_sign_out_tells_every_oidc_application_in_the_saml_trip(op):
    with LogoutReceiver() as first, LogoutReceiver() as second:
        session = Session(op, first, second)
        hop = session.browser.sign_out_everywhere()
        # the OIDC applications are told at once, server to server, before the browser's first
        # front-channel hop (to the SAML application, though it came first in the session):
        # a browser that goes no further leaves none of them signed in
        session.assert_each_told_once()
        assert hop.status_code == 302 and hop.headers["Location"].startswith(session.saml.slo)
        hop = session.browser.get(_path(answer_logout(session.saml, hop.headers["Location"])))
        session.assert_each_told_once()  # and not told again
        done = _through_upstream(session.browser, hop.headers["Location"])
        assert done.status_code == 200
        assert "afgemeld bij alle toepassingen" in done.get_data(as_text=True)  # nothing partial
        session.assert_signed_out()


def test_saml_application_logout_tells_every_oidc_application(op):
    with LogoutReceiver() as first, LogoutReceiver() as second:
        session = Session(op, first, second)
        name_id = session.saml.client.users.subjects()[0]
        requests = session.saml.client.global_logout(name_id, sign=True, sign_alg=SIG_RSA_SHA256)
        (_binding, info), = list(requests.values())
        hop = session.browser.get(_path(dict(info["headers"])["Location"]))
        session.assert_each_told_once()
        final = _through_upstream(session.browser, hop.headers["Location"])
        assert final.status_code == 302 and final.headers["Location"].startswith(session.saml.slo)
        query = parse_qs(urlsplit(final.headers["Location"]).query)
        answer = session.saml.client.parse_logout_request_response(query["SAMLResponse"][0],
                                                                   BINDING_HTTP_REDIRECT)
        assert answer.status_ok()
        session.assert_signed_out()


def test_rp_initiated_logout_tells_every_oidc_application_and_the_saml_one(op):
    with LogoutReceiver() as first, LogoutReceiver() as second:
        session = Session(op, first, second)
        hop = session.browser.get("/oidc/logout?" + urlencode({
            "id_token_hint": session.tokens[0]["id_token"], "post_logout_redirect_uri": AFTER_LOGOUT,
            "state": "bye"}))
        assert hop.status_code == 302 and hop.headers["Location"].startswith(session.saml.slo)
        hop = session.browser.get(_path(answer_logout(session.saml, hop.headers["Location"])))
        # the asking application is told as well: its other back-end sessions end by the sid
        session.assert_each_told_once()
        final = _through_upstream(session.browser, hop.headers["Location"])
        assert final.status_code == 303 and final.headers["Location"] == AFTER_LOGOUT + "?state=bye"
        session.assert_signed_out()


def test_a_receiver_that_refuses_makes_the_logout_partial_not_stuck(op):
    with LogoutReceiver(status=400) as refusing:
        rp = register(op, backchannel_logout_uri=refusing.url)
        browser = op.browser()
        tokens_for(rp, sign_in(browser, authorize_url(rp), BART, MERELBEKE))
        hop = browser.sign_out_everywhere()
        assert len(refusing.tokens) == 1
        done = _through_upstream(browser, hop.headers["Location"])
        assert done.status_code == 200
        assert "afgemeld bij alle toepassingen" not in done.get_data(as_text=True)
        assert browser.get("/idp/capacity").status_code == 403


def test_the_applications_are_told_together_not_one_after_the_other(op):
    """Each receiver answers only once the other has been told too (a barrier of two): told
    one after the other, the first would wait past the bridge's timeout and the logout be
    partial; told together, both confirm."""
    both = threading.Barrier(2, timeout=10)
    with LogoutReceiver(barrier=both) as first, LogoutReceiver(barrier=both) as second:
        rps = [register(op, backchannel_logout_uri=first.url),
               register(op, random_code(), backchannel_logout_uri=second.url)]
        browser = op.browser()
        tokens_for(rps[0], sign_in(browser, authorize_url(rps[0]), BART, MERELBEKE))
        tokens_for(rps[1], browser.get(authorize_url(rps[1])))
        done = _through_upstream(browser, browser.sign_out_everywhere().headers["Location"])
        assert len(first.tokens) == len(second.tokens) == 1
        assert "afgemeld bij alle toepassingen" in done.get_data(as_text=True)  # nothing partial


def test_sid_is_one_per_session_and_application_and_pairwise(op):
    demo, other = register(op), register(op, random_code())
    browser = op.browser()
    first = verified(op, tokens_for(demo, sign_in(browser, authorize_url(demo), BART, MERELBEKE))["id_token"])
    again = verified(op, tokens_for(demo, browser.get(authorize_url(demo, state="st-2")))["id_token"])
    elsewhere = verified(op, tokens_for(other, browser.get(authorize_url(other)))["id_token"])
    assert first["sid"] == again["sid"]  # one session identity per application ...
    assert elsewhere["sid"] != first["sid"]  # ... which two applications cannot link
    assert len(first["sid"]) >= 32 and first["sid"] != browser.session_cookie()
    later = op.browser()
    new_session = verified(op, tokens_for(demo, sign_in(later, authorize_url(demo), BART,
                                                        MERELBEKE))["id_token"])
    assert new_session["sid"] != first["sid"] and new_session["sub"] == first["sub"]
