"""R13: one capacity per session: choose, keep, refuse a mismatch with the switch page, switch."""
import sqlite3

from bridge_support import BridgeHarness, attributes_of, form_of, saml_response_of
from sqlalchemy import select
from support import BART, CHRIS, EMIL, MERELBEKE, NAZARETH, seeded

from attribute_authority.db import make_engine
from attribute_authority.models import Application


def set_capacity(bridge, app_code, capacity):
    with bridge.db() as s, s.begin():
        app = s.scalars(select(Application).where(Application.code == app_code)).first()
        if app is None:
            s.add(Application(code=app_code, name=app_code, capacity=capacity))
        else:
            app.capacity = capacity


def test_capacity_page_offers_citizen_and_open_relations(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    browser.upstream_sign_in(sp, CHRIS)
    page = browser.get("/idp/capacity")
    html = page.get_data(as_text=True)
    values = sorted(v for v in __import__("re").findall(r'name="capacity" value="([^"]+)"', html))
    assert values == sorted(["citizen", MERELBEKE, NAZARETH])
    assert html.count("<form") == 1


def test_person_without_relations_can_only_be_citizen(bridge):
    sp = bridge.sp("demo-app")
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
    assert "SAMLResponse" not in html
    assert bridge.events()[-1].reason == "capacity_mismatch"


def test_switch_needs_a_fresh_sign_in_and_then_answers_in_the_new_capacity(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    employee_app, citizen_app = bridge.sp("demo-app"), bridge.sp("citizen-app")
    browser = bridge.browser()
    browser.sign_in(employee_app, BART, MERELBEKE)
    old_cookie = browser.session_cookie()
    browser.get(citizen_app.login_url())
    page = browser.get("/idp/capacity")
    action, fields = form_of(page.data)
    switch = browser.client.post(action, data={**fields, "action": "switch"})
    assert switch.status_code == 302 and "/dev-eid/sso" in switch.headers["Location"]
    assert "ForceAuthn" in __import__("zlib").decompress(
        __import__("base64").b64decode(__import__("urllib.parse").parse.parse_qs(
            __import__("urllib.parse").parse.urlsplit(switch.headers["Location"]).query)["SAMLRequest"][0]),
        -15).decode()
    dev_eid_page = browser.get(switch.headers["Location"].replace("http://localhost", ""))
    autopost = browser.submit(dev_eid_page.data, rrn=BART, method="token")
    assert browser.submit(autopost.data).status_code == 303
    answer = browser.choose("citizen")
    attributes = attributes_of(citizen_app.consume(saml_response_of(answer.data)))
    assert attributes["capacity"] == ["citizen"] and attributes["authnMethod"] == ["token"]
    assert browser.session_cookie() != old_cookie
    # the employee application now gets the switch page, not a silent citizen assertion
    assert browser.get(employee_app.login_url()).status_code == 303
    assert browser.get("/idp/capacity").status_code == 409


def test_declining_the_switch_answers_the_application_with_an_error(bridge):
    set_capacity(bridge, "citizen-app", "citizen")
    employee_app, citizen_app = bridge.sp("demo-app"), bridge.sp("citizen-app")
    browser = bridge.browser()
    browser.sign_in(employee_app, BART, MERELBEKE)
    browser.get(citizen_app.login_url())
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
