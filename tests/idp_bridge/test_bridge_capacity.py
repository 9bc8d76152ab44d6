"""R13: one capacity per session: choose, keep, refuse a mismatch with the switch page, switch."""
import base64
import sqlite3
import zlib
from urllib.parse import parse_qs, urlsplit

import pytest
from lxml import etree
from saml2 import BINDING_HTTP_REDIRECT
from sqlalchemy import select
from support import BART, CHRIS, EMIL, MERELBEKE, NAZARETH, seeded
from support.bridge import BridgeHarness, answer_logout, attributes_of, form_of, saml_response_of

from attribute_authority.db import make_engine
from attribute_authority.models import Application

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def set_capacity(bridge, app_code, capacity):
    with bridge.db() as s, s.begin():
        app = s.scalars(select(Application).where(Application.code == app_code)).first()
        if app is None:
            s.add(Application(code=app_code, name=app_code, capacity=capacity))
        else:
            app.capacity = capacity


def employee_asked_for_citizen(bridge):
    """Bart signed in to demo-app as employee; a citizen-only application then asks for him
    (the bridge shows the switch page). Returns (browser, demo-app, citizen-app)."""
    set_capacity(bridge, "citizen-app", "citizen")
    employee_app, citizen_app = bridge.sp("demo-app"), bridge.sp("citizen-app")
    browser = bridge.browser()
    browser.sign_in(employee_app, BART, MERELBEKE)
    browser.get(citizen_app.login_url())
    return browser, employee_app, citizen_app


def test_capacity_page_offers_citizen_and_open_relations(bridge):
    set_capacity(bridge, "any-app", "any")  # an application that accepts both (#11.3)
    sp = bridge.sp("any-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, CHRIS)
    page = browser.get("/idp/capacity")
    html = page.get_data(as_text=True)
    values = sorted(v for v in __import__("re").findall(r'name="capacity" value="([^"]+)"', html))
    assert values == sorted(["citizen", MERELBEKE, NAZARETH])
    assert html.count("<form") == 1


def test_person_without_relations_can_only_be_citizen(bridge):
    set_capacity(bridge, "any-app", "any")
    sp = bridge.sp("any-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, EMIL)
    page = browser.get("/idp/capacity")
    assert 'value="citizen"' in page.get_data(as_text=True)
    refused = browser.submit(page.data, capacity=MERELBEKE)
    assert refused.status_code == 400 and bridge.events()[-1].outcome == "success"


def test_capacity_is_kept_for_the_next_application(bridge):
    demo, other = bridge.sp("demo-app"), bridge.sp("cap-other")
    browser = bridge.browser()
    browser.sign_in(demo, CHRIS, NAZARETH)
    answer = browser.get(other.login_url())
    assert attributes_of(other.consume(saml_response_of(answer.data)))["government"] == [NAZARETH]


def test_choosing_twice_is_refused(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, CHRIS)
    page = browser.get("/idp/capacity")
    browser.submit(page.data, capacity=MERELBEKE)
    again = browser.submit(page.data, capacity=NAZARETH)
    assert again.status_code == 400
    assert "nieuwe aanmelding" in again.get_data(as_text=True)


def test_forged_capacity_form_is_refused(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, BART)
    response = browser.client.post("/idp/capacity", data={"capacity": MERELBEKE})
    assert response.status_code == 400


def test_mismatch_shows_the_switch_page_and_never_mixes(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    employee_app, citizen_app = bridge.sp("demo-app"), bridge.sp("citizen-app")
    browser = bridge.browser()
    browser.sign_in(employee_app, BART, MERELBEKE)
    redirect = browser.get(citizen_app.login_url())
    assert redirect.status_code == 303
    page = browser.get("/idp/capacity")
    html = page.get_data(as_text=True)
    assert page.status_code == 409
    assert "andere hoedanigheid" in html and "als burger" in html and "wisselen" in html
    assert "eerst afgemeld" in html and "<li>Demotoepassing</li>" in html, html  # what the switch ends
    assert "SAMLResponse" not in html
    assert bridge.events()[-1].reason == "capacity_mismatch"


def _switch(browser):
    """Press "switch" on the mismatch page; returns the bridge's answer to that form."""
    page = browser.get("/idp/capacity")
    assert page.status_code == 409
    action, fields = form_of(page.data)
    return browser.client.post(action, data={**fields, "action": "switch"})


def _request_of(location: str) -> str:
    query = parse_qs(urlsplit(location).query)
    return zlib.decompress(base64.b64decode(query["SAMLRequest"][0]), -15).decode()


def test_switch_signs_out_the_old_capacitys_applications_before_the_fresh_sign_in(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    employee_app, citizen_app = bridge.sp("demo-app"), bridge.sp("citizen-app")
    browser = bridge.browser()
    old = employee_app.consume(saml_response_of(browser.sign_in(employee_app, BART, MERELBEKE).data))
    old_cookie = browser.session_cookie()
    assert browser.get(citizen_app.login_url()).status_code == 303
    switch = _switch(browser)
    # First stop: the employee application gets a signed LogoutRequest for the session it
    # holds, NameID and SessionIndex as issued; the bridge's own session is already over.
    assert switch.status_code == 302 and switch.headers["Location"].startswith(employee_app.slo)
    logout_request = etree.fromstring(_request_of(switch.headers["Location"]).encode())
    assert logout_request.tag == f"{{{SAMLP}}}LogoutRequest"
    assert logout_request.findtext(f"{{{SAML}}}NameID") == old.assertion.subject.name_id.text
    assert logout_request.findtext(f"{{{SAMLP}}}SessionIndex") == \
        old.assertion.authn_statement[0].session_index
    assert browser.get("/idp/capacity").status_code == 403
    answered = answer_logout(employee_app, switch.headers["Location"])  # verifies the signature
    assert employee_app.client.users.subjects() == []  # the application's session is gone
    # Only then the fresh upstream sign-in, with ForceAuthn, for the waiting application.
    upstream = browser.get(_path(answered))
    assert upstream.status_code == 302 and "/dev-eid/sso" in upstream.headers["Location"]
    assert 'ForceAuthn="true"' in _request_of(upstream.headers["Location"])
    dev_eid_page = browser.get(_path(upstream.headers["Location"]))
    autopost = browser.submit(dev_eid_page.data, rrn=BART, method="token")
    assert browser.submit(autopost.data).status_code == 303
    answer = browser.get("/idp/capacity")  # citizen-only: nothing to choose (#11.3)
    assert 'name="capacity"' not in answer.get_data(as_text=True)
    attributes = attributes_of(citizen_app.consume(saml_response_of(answer.data)))
    assert attributes["capacity"] == ["citizen"] and attributes["authnMethod"] == ["token"]
    assert browser.session_cookie() != old_cookie
    # The trail: the switch (naming the applications signed out), then the new sign-in.
    events = [(e.outcome, e.reason, e.application, e.capacity) for e in bridge.events()]
    switched = events.index(("failed", "capacity_switch", "citizen-app", MERELBEKE))
    assert events[switched + 1:] == [("success", "upstream_signed_in", "citizen-app", None),
                                     ("success", "assertion_issued", "citizen-app", "citizen")]
    assert "demo-app" in bridge.events()[switched].detail
    # the employee application now gets the switch page, not a silent citizen assertion
    assert browser.get(employee_app.login_url()).status_code == 303
    assert browser.get("/idp/capacity").status_code == 409


def test_switch_signs_out_every_application_of_the_old_capacity(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    apps = [bridge.sp("demo-app"), bridge.sp("other-app")]
    citizen_app = bridge.sp("citizen-app")
    browser = bridge.browser()
    apps[0].consume(saml_response_of(browser.sign_in(apps[0], CHRIS, MERELBEKE).data))
    apps[1].consume(saml_response_of(browser.get(apps[1].login_url()).data))
    browser.get(citizen_app.login_url())
    hop = _switch(browser)
    for app in apps:
        assert hop.status_code == 302 and hop.headers["Location"].startswith(app.slo)
        hop = browser.get(_path(answer_logout(app, hop.headers["Location"])))
    assert hop.status_code == 302 and "/dev-eid/sso" in hop.headers["Location"]
    assert [e.reason for e in bridge.events()][-1] == "capacity_switch"  # all confirmed


def test_switch_goes_on_when_an_application_does_not_confirm_and_says_so(bridge):
    browser, employee_app, citizen_app = employee_asked_for_citizen(bridge)
    hop = _switch(browser)
    relay_state = parse_qs(urlsplit(hop.headers["Location"]).query)["RelayState"][0]
    # An unsigned answer from the application does not count as a confirmation.
    unsigned = employee_app.client.create_logout_response(
        employee_app.client.parse_logout_request(
            parse_qs(urlsplit(hop.headers["Location"]).query)["SAMLRequest"][0],
            BINDING_HTTP_REDIRECT).message, [BINDING_HTTP_REDIRECT], sign=False)
    location = employee_app.client.apply_binding(
        BINDING_HTTP_REDIRECT, str(unsigned), "http://localhost/idp/slo", relay_state,
        response=True, sign=False)["headers"][0][1]
    upstream = browser.get(_path(location))
    assert upstream.status_code == 302 and "/dev-eid/sso" in upstream.headers["Location"]
    assert bridge.events()[-1].reason == "capacity_switch_partial_logout"


def test_a_forged_switch_changes_nothing(bridge):
    browser, employee_app, citizen_app = employee_asked_for_citizen(bridge)
    refused = browser.client.post("/idp/capacity", data={"action": "switch", "csrf_token": "x"})
    assert refused.status_code == 400 and "Location" not in refused.headers
    assert browser.get("/idp/capacity").status_code == 409  # same session, same capacity


def test_declining_the_switch_answers_the_application_with_an_error(bridge):
    browser, employee_app, citizen_app = employee_asked_for_citizen(bridge)
    page = browser.get("/idp/capacity")
    action, fields = form_of(page.data)
    answer = browser.client.post(action, data={**fields, "action": "cancel"})
    xml = __import__("base64").b64decode(saml_response_of(answer.data)).decode()
    assert "status:Responder" in xml and "status:RequestDenied" in xml and "Assertion" not in xml


def test_any_accepts_both(bridge):
    set_capacity(bridge, "any-app", "any")
    sp = bridge.sp("any-app")
    browser = bridge.browser()
    answer = browser.sign_in(sp, BART, "citizen")
    assert attributes_of(sp.consume(saml_response_of(answer.data)))["capacity"] == ["citizen"]


def test_capacity_page_reads_while_another_worker_holds_the_sqlite_write_lock(
        tmp_path, register, bridge_keys):
    """The embedded default runs several processes on one SQLite file: the journey's reads
    must not queue behind (or take) the write lock, or one slow writer stalls every sign-in."""
    path = tmp_path / "bridge.db"
    engine = make_engine(seeded(f"sqlite:///{path}", register))
    bridge = BridgeHarness(tmp_path, engine, bridge_keys)
    sp, browser = bridge.sp("demo-app"), bridge.browser()
    assert browser.upstream_sign_in(sp, BART).status_code == 303
    writer = sqlite3.connect(path, isolation_level=None)
    writer.execute("BEGIN IMMEDIATE")
    try:
        page = browser.get("/idp/capacity")  # lists the person's governments
    finally:
        writer.execute("ROLLBACK")
        writer.close()
        engine.dispose()
    assert page.status_code == 200 and MERELBEKE.encode() in page.data


# -- #11.3: the page offers only what the waiting application accepts -------------------------

def _offered(page) -> list[str]:
    import re

    return sorted(re.findall(r'name="capacity" value="([^"]+)"', page.get_data(as_text=True)))


def test_an_employee_only_application_is_not_offered_citizen(bridge):
    sp = bridge.sp("demo-app")  # the catalog's default: employee
    browser = bridge.browser()
    browser.upstream_sign_in(sp, CHRIS)
    page = browser.get("/idp/capacity")
    assert _offered(page) == sorted([MERELBEKE, NAZARETH])
    refused = browser.submit(page.data, capacity="citizen")  # a forged choice
    assert refused.status_code == 400
    assert _offered(browser.get("/idp/capacity")) == sorted([MERELBEKE, NAZARETH])  # nothing taken


def test_a_citizen_only_application_gets_no_page_at_all(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    sp = bridge.sp("citizen-app")
    browser = bridge.browser()
    assert browser.upstream_sign_in(sp, CHRIS).status_code == 303
    answer = browser.get("/idp/capacity")
    assert answer.status_code == 200 and 'name="capacity"' not in answer.get_data(as_text=True)
    assert attributes_of(sp.consume(saml_response_of(answer.data)))["capacity"] == ["citizen"]


@pytest.mark.parametrize("asked", [NAZARETH, MERELBEKE, "citizen"])
def test_the_capacity_the_application_asked_for_is_preselected_not_granted(bridge, asked):
    """An AuthnRequest with samlp:Extensions/idb:Capacity (built by samlkit's SP client, as
    the admin UI sends it): the page preselects it and the person still confirms."""
    from samlkit.sp_client import ServiceProvider, SessionRequests, authn_request, capacity_extension

    set_capacity(bridge, "any-app", "any")
    sp = bridge.sp("any-app")
    client = ServiceProvider(sp.entity_id, sp.acs, bridge.keys["testsp"])
    url = authn_request(client, "http://localhost/idp/sso", SessionRequests({}), now=bridge.clock(),
                        extensions=[capacity_extension(asked)])
    browser = bridge.browser()
    to_upstream = browser.get(_path(url))
    assert to_upstream.status_code == 302, to_upstream.data[:300]
    page = browser.get(_path(to_upstream.headers["Location"]))
    autopost = browser.submit(page.data, rrn=CHRIS, method="eid")
    assert browser.submit(autopost.data).status_code == 303
    choice = browser.get("/idp/capacity")
    assert choice.status_code == 200 and 'name="capacity"' in choice.get_data(as_text=True)
    import re
    checked = re.findall(r'value="([^"]+)" checked', choice.get_data(as_text=True))
    assert checked == [asked]
def test_a_person_without_any_relation_is_told_why_and_what_to_do(bridge):
    """Issue 13 point 5: no government registered Emil: the capacity page says so and sends him
    to his local administrator instead of offering a switch that loops."""
    browser = bridge.browser()
    acs_answer = browser.upstream_sign_in(bridge.sp("demo-app"), EMIL)
    assert acs_answer.status_code == 303
    page = browser.get("/idp/capacity").get_data(as_text=True)
    assert 'id="no-relation"' in page
    # In Emil's language: Dutch by default, English when his PrefLanguage says so.
    assert ("Geen enkel bestuur heeft u geregistreerd als medewerker" in page
            and "lokale beheerder" in page) or "local administrator" in page
    assert 'href="/account/request?app=demo-app"' in page  # R15: ask to be added
    bart = bridge.browser()
    bart.upstream_sign_in(bridge.sp("demo-app"), BART)
    assert 'id="no-relation"' not in bart.get("/idp/capacity").get_data(as_text=True)


def test_without_a_relation_an_employee_application_offers_the_request_page_and_the_way_back(bridge):
    """demo-app accepts employees only: nothing to choose, so no empty choice; the page links
    to the request page (DESIGN.md: /account/request?app=…) and goes back to the application,
    which hears that the sign-in was declined."""
    browser = bridge.browser()
    browser.upstream_sign_in(bridge.sp("demo-app"), EMIL)
    page = browser.get("/idp/capacity")
    html = page.get_data(as_text=True)
    assert 'name="capacity"' not in html  # Emil's PrefLanguage is English
    assert "Demotoepassing is for employees of a government only" in html
    assert 'href="/account/request?app=demo-app">Request access to Demotoepassing' in html
    action, fields = form_of(page.data)
    answer = browser.client.post(action, data={**fields, "action": "cancel"})
    xml = base64.b64decode(saml_response_of(answer.data)).decode()
    assert "status:RequestDenied" in xml and "Assertion" not in xml


def test_without_a_relation_a_citizen_choice_stays_and_the_request_page_is_linked(bridge):
    set_capacity(bridge, "any-app", "any")
    browser = bridge.browser()
    browser.upstream_sign_in(bridge.sp("any-app"), EMIL)
    html = browser.get("/idp/capacity").get_data(as_text=True)
    assert 'id="no-relation"' in html and 'value="citizen"' in html
    assert 'href="/account/request?app=any-app"' in html
