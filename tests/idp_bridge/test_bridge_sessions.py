"""R12: idle timeout and absolute lifetime on a controllable clock; signing in again
afterwards works in the same browser; the session ID changes at sign-in; cookie flags."""
import base64
import datetime as dt
from urllib.parse import urlsplit

import pytest
from support import BART, CHRIS, MERELBEKE
from support.bridge import BridgeHarness, answer_logout, saml_response_of


@pytest.fixture
def bridge(tmp_path, bridge_engine, bridge_keys):
    # pysaml2 stamps its requests with real time while the bridge's clock jumps hours ahead:
    # accept old AuthnRequests here, so only the session rules decide.
    return BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                         config_overrides={"request_validity": dt.timedelta(days=1)})


@pytest.fixture
def signed_in(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    sp.consume(saml_response_of(browser.sign_in(sp, BART, MERELBEKE).data))
    return sp, browser


def sso_without_sign_in(sp, browser):
    """The application asks again; an answer means the session was still alive."""
    return browser.get(sp.login_url())


def test_active_session_answers_without_upstream(bridge, signed_in):
    sp, browser = signed_in
    bridge.clock.advance(minutes=29)
    assert sso_without_sign_in(sp, browser).status_code == 200


def test_idle_timeout_sends_the_person_upstream_again(bridge, signed_in):
    sp, browser = signed_in
    bridge.clock.advance(minutes=30)
    response = sso_without_sign_in(sp, browser)
    assert response.status_code == 302 and "/dev-eid/sso" in response.headers["Location"]


def test_activity_keeps_the_session_until_the_lifetime(bridge, signed_in):
    sp, browser = signed_in
    for _ in range(19):  # 19 x 25 min = 7 h 55 min, never idle for 30 minutes
        bridge.clock.advance(minutes=25)
        assert sso_without_sign_in(sp, browser).status_code == 200
    bridge.clock.advance(minutes=6)  # 8 h 1 min after the sign-in
    assert sso_without_sign_in(sp, browser).status_code == 302


def test_sign_in_again_after_timeout_in_the_same_browser(bridge, signed_in):
    sp, browser = signed_in
    old_cookie = browser.session_cookie()
    bridge.clock.advance(hours=9)
    answer = browser.sign_in(sp, BART, MERELBEKE)
    # pysaml2 judges NotBefore by the real clock, hours behind ours: read the XML directly
    xml = base64.b64decode(saml_response_of(answer.data)).decode()
    assert "status:Success" in xml and f">{BART}<" in xml
    assert browser.session_cookie() not in (None, old_cookie)


def test_session_id_is_rotated_at_sign_in(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    browser.client.set_cookie("idbeheer_bridge", "attacker-chosen-session-id")
    browser.sign_in(sp, BART, MERELBEKE)
    assert browser.session_cookie() not in (None, "attacker-chosen-session-id")


def test_timeouts_are_configurable(tmp_path, bridge_engine, bridge_keys):
    short = BridgeHarness(tmp_path, bridge_engine, bridge_keys, config_overrides={
        "idle_timeout": dt.timedelta(minutes=5), "lifetime": dt.timedelta(minutes=20),
        "request_validity": dt.timedelta(days=1)})
    sp = short.sp("demo-app")
    browser = short.browser()
    browser.sign_in(sp, BART, MERELBEKE)
    short.clock.advance(minutes=4)
    assert sso_without_sign_in(sp, browser).status_code == 200
    short.clock.advance(minutes=5)
    assert sso_without_sign_in(sp, browser).status_code == 302


def test_cookie_flags_over_http(bridge, signed_in):
    _, browser = signed_in
    sp = bridge.sp("demo-app")
    response = bridge.browser().upstream_sign_in(sp, BART)
    cookie = [h for h in response.headers.getlist("Set-Cookie") if h.startswith("idbeheer_bridge=")][0]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie
    assert "Expires" not in cookie  # a browser-session cookie


def test_cookie_flags_over_https(tmp_path, bridge_engine, bridge_keys):
    harness = BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                            config_overrides={"base_url": "https://localhost"})
    app = harness.app
    assert app.config["SESSION_COOKIE_SECURE"] is True
    assert app.config["SESSION_COOKIE_SAMESITE"] == "None"
    assert app.config["SESSION_COOKIE_HTTPONLY"] is True


def stored_last_seen(bridge, browser) -> str:
    """The last activity as the session store holds it (not as the request sees it)."""
    interface = bridge.app.session_interface
    raw = interface.cache.get(interface._get_store_id(browser.session_cookie()))
    data = raw if isinstance(raw, dict) else interface.serializer.decode(raw)  # cachelib: a dict
    return data["last_seen"]


def test_activity_is_written_back_at_most_once_a_minute(bridge, signed_in):
    sp, browser = signed_in
    first = stored_last_seen(bridge, browser)
    bridge.clock.advance(seconds=50)
    assert sso_without_sign_in(sp, browser).status_code == 200
    assert browser.get("/idp/capacity").status_code == 200
    assert stored_last_seen(bridge, browser) == first  # a burst of requests, no store write
    bridge.clock.advance(seconds=11)
    assert browser.get("/idp/capacity").status_code == 200
    assert stored_last_seen(bridge, browser) > first
    # idle time counts from the last write at worst, so the session ends at most a minute early
    bridge.clock.advance(minutes=29, seconds=30)
    assert sso_without_sign_in(sp, browser).status_code == 200
    bridge.clock.advance(minutes=30)
    assert sso_without_sign_in(sp, browser).status_code == 302


def test_another_person_finishing_a_forced_sign_in_signs_the_previous_one_out(bridge):
    """ForceAuthn (like prompt=login, max_age or a login hint) sends the browser upstream
    again; when someone else signs in there, the applications that got an answer for the
    previous person get their LogoutRequest before the new person reaches the capacity page."""
    demo, other = bridge.sp("demo-app"), bridge.sp("idbeheer")
    browser = bridge.browser()
    bart = demo.consume(saml_response_of(browser.sign_in(demo, BART, MERELBEKE).data))
    assert demo.client.users.subjects()
    acs_answer = browser.upstream_sign_in(other, CHRIS, force_authn="true")
    # First stop: demo-app, signed in for Bart, is told he is gone.
    assert acs_answer.status_code == 302, acs_answer.data[:500]
    assert acs_answer.headers["Location"].startswith(demo.slo)
    answered = answer_logout(demo, acs_answer.headers["Location"])
    assert demo.client.users.subjects() == []
    resumed = browser.get(urlsplit(answered)._replace(scheme="", netloc="").geturl())
    assert resumed.status_code in (302, 303) and resumed.headers["Location"].endswith("/idp/capacity")
    answer = browser.choose(MERELBEKE)  # Chris's capacity: his own choice, nothing of Bart's
    chris = other.consume(saml_response_of(answer.data))
    assert chris.ava[next(k for k in chris.ava if k.endswith("rrn"))] == [CHRIS]
    assert bart.assertion.subject.name_id.text != chris.assertion.subject.name_id.text
    reasons = [e.reason for e in bridge.events()]
    assert "previous_person_signed_out" in reasons
