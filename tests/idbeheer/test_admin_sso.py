"""The admin UI and demo-app sign in through the real bridge, in the all-in-one app, without a
browser: admin UI -> /idp/sso -> dev_eid -> /sp/acs -> /idp/capacity -> /admin/acs."""
import time
from urllib.parse import urlsplit

import pytest
from bridge_support import form_of
from support import AN, BART, EMIL, MERELBEKE, NAZARETH, seeded

from admin_ui import auth
from attribute_authority.saml.spmetadata import parse_sp_metadata
from idbeheer.app import create_app
from idbeheer.settings import from_env


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


class Journey:
    """One browser on the all-in-one app (every part lives under the same BASE)."""

    def __init__(self, client) -> None:
        self.client = client

    def submit(self, html, **overrides):
        action, fields = form_of(html)
        fields.update(overrides)
        return self.client.post(_path(action), data=fields)

    def to_dev_eid(self, start: str):
        response = self.client.get(start)
        assert response.status_code == 302, response.data[:300]
        to_bridge = response.location
        assert "/idp/sso?SAMLRequest=" in to_bridge
        to_dev_eid = self.client.get(_path(to_bridge))
        assert to_dev_eid.status_code == 302, to_dev_eid.get_data(as_text=True)[-900:-300]
        return self.client.get(_path(to_dev_eid.location))

    def eid(self, page, rrn: str):
        """dev_eid's form, its auto-POST to the bridge's /sp/acs; the capacity page after."""
        autopost = self.submit(page.data, rrn=rrn, method="eid")
        assert self.submit(autopost.data).status_code == 303
        return self.client.get("/idp/capacity")

    def choose(self, capacity: str):
        """Choose on the capacity page; returns the bridge's answer page (an auto-POST form)."""
        chosen = self.submit(self.client.get("/idp/capacity").data, capacity=capacity)
        assert chosen.status_code == 303, chosen.data[:500]
        return self.client.get("/idp/capacity")

    def post_answer(self, page):
        action, fields = form_of(page.data)
        return self.client.post(_path(action), data=fields), action, fields


@pytest.fixture
def app(databases, register, tmp_path):
    url = seeded(databases.new(), register)
    settings = from_env({"IDBEHEER_HOME": str(tmp_path / "var"), "IDBEHEER_DATABASE_URL": url,
                         "IDBEHEER_BASE_URL": "http://localhost",
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")})
    return create_app(settings)


@pytest.fixture
def browser(app):
    return Journey(app.test_client())


def test_an_administrator_signs_in_through_the_bridge(browser, app, tmp_path):
    page = browser.to_dev_eid("/admin/people?q=claes")
    capacity = browser.eid(page, AN)
    assert 'value="44088"' in capacity.get_data(as_text=True)
    answer = browser.choose(MERELBEKE)
    landed, action, _ = browser.post_answer(answer)
    assert action == "http://localhost/admin/acs"
    assert landed.status_code == 303 and landed.location.endswith("/admin/people?q=claes")
    home = browser.client.get("/admin/").get_data(as_text=True)
    assert "Merelbeke-Melle" in home
    # registered like any application, with the key the admin UI signs with
    registered = parse_sp_metadata((tmp_path / "metadata" / "sp" / "idbeheer.xml").read_bytes(),
                                   "idbeheer")
    served = parse_sp_metadata(browser.client.get("/admin/metadata").data, "idbeheer")
    assert registered == served.__class__(**{**served.__dict__, "path": registered.path})
    assert registered.entity_id == "http://localhost/admin/metadata"


def test_a_non_administrator_gets_a_clear_refusal(browser):
    browser.eid(browser.to_dev_eid("/admin/"), BART)
    refused, _, _ = browser.post_answer(browser.choose(MERELBEKE))
    assert refused.status_code == 403
    assert "U bent geen lokale beheerder van 44088" in refused.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 302


def test_a_citizen_session_gets_the_bridges_switch_page(browser, app):
    from sqlalchemy import update

    from attribute_authority.models import Application
    with app.extensions["idbeheer.db"]() as s, s.begin():
        s.execute(update(Application).where(Application.code == "demo-app").values(capacity="any"))
    browser.eid(browser.to_dev_eid("/demo-app/login"), AN)
    browser.post_answer(browser.choose("citizen"))
    mismatch = browser.client.get(_path(browser.client.get("/admin/").location))
    assert mismatch.status_code == 303 and mismatch.location.endswith("/idp/capacity")
    page = browser.client.get("/idp/capacity")
    assert page.status_code == 409
    assert "Opnieuw aanmelden en van hoedanigheid wisselen" in page.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 302  # no admin session


def test_demo_app_shows_the_attributes_and_the_rights(browser):
    browser.eid(browser.to_dev_eid("/demo-app/login"), BART)
    landed, action, fields = browser.post_answer(browser.choose(MERELBEKE))
    assert action == "http://localhost/demo-app/acs" and landed.status_code == 303
    me = browser.client.get("/demo-app/me").get_data(as_text=True)
    assert "Bart Claes" in me and f"demo-app-reader@{MERELBEKE}" in me
    assert browser.client.post("/demo-app/acs", data=fields).status_code == 400  # replay


def test_idle_timeout_signs_in_again_and_returns_to_the_page(browser, monkeypatch):
    browser.eid(browser.to_dev_eid("/admin/"), AN)
    browser.post_answer(browser.choose(MERELBEKE))
    assert browser.client.get("/admin/people/" + BART).status_code == 200
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    expired = browser.client.get("/admin/people/" + BART)
    assert expired.status_code == 302 and "/idp/sso?" in expired.location
    # the bridge's session is still alive (its own clock): it answers without a new sign-in
    answer = browser.client.get(_path(expired.location))
    landed, _, _ = browser.post_answer(answer)
    assert landed.status_code == 303 and landed.location.endswith("/admin/people/" + BART)
    assert browser.client.get(landed.location).status_code == 200


def test_switch_between_two_governments_is_a_fresh_sign_in_at_the_bridge(browser, app):
    from admin_support import post
    from support import FEMKE, actor

    from attribute_authority import grants, relations
    with app.extensions["idbeheer.db"]() as s:
        femke = actor(s, FEMKE)
        relations.add(s, femke, AN, NAZARETH, category="employee", type="standard", email="an@x.be")
        grants.add(s, femke, AN, NAZARETH, "idbeheer-local-admin")
        s.commit()
    browser.eid(browser.to_dev_eid("/admin/"), AN)
    browser.post_answer(browser.choose(MERELBEKE))
    to_bridge = post(browser.client, "/admin/switch", {"government": NAZARETH})
    assert to_bridge.status_code == 302
    asked = browser.client.get(_path(to_bridge.location))
    assert asked.status_code == 303  # the session holds Merelbeke-Melle: the switch page
    mismatch = browser.client.get("/idp/capacity")
    assert mismatch.status_code == 409 and "Nazareth-De Pinte" in mismatch.get_data(as_text=True)
    to_dev_eid = browser.submit(mismatch.data, action="switch")
    page = browser.client.get(_path(to_dev_eid.location))
    browser.eid(page, AN)
    landed, _, _ = browser.post_answer(browser.choose(NAZARETH))
    assert landed.status_code == 303
    assert "Nazareth-De Pinte" in browser.client.get("/admin/").get_data(as_text=True)


def test_emil_without_relation_cannot_get_an_employee_capacity(browser):
    capacity = browser.eid(browser.to_dev_eid("/admin/"), EMIL)
    assert 'value="44088"' not in capacity.get_data(as_text=True)


def test_signing_out_of_the_admin_ui_ends_the_bridge_session_too(browser):
    """On a shared computer the next person must sign in anew, not inherit the session."""
    page = browser.to_dev_eid("/admin/")
    browser.eid(page, AN)
    landed, _, _ = browser.post_answer(browser.choose(MERELBEKE))
    assert landed.status_code == 303
    home = browser.client.get("/admin/")
    assert home.status_code == 200
    token = form_of(home.data)[1]["csrf_token"]  # every form of the page carries the same token
    out = browser.client.post("/admin/sign-out", data={"csrf_token": token})
    assert out.status_code == 302 and urlsplit(out.location).path == "/idp/slo"
    confirm = browser.client.get(_path(out.location))
    assert "Afmelden bij alle toepassingen?" in confirm.get_data(as_text=True)
    action, fields = form_of(confirm.data)  # the bridge asks before it signs out everywhere
    signed_out = browser.client.post(_path(action), data=fields, follow_redirects=True)
    assert signed_out.status_code == 200 and "afgemeld" in signed_out.get_data(as_text=True).lower()
    # Back at the admin UI, the bridge asks for the eID again: to_dev_eid asserts the dev_eid page.
    again = browser.to_dev_eid("/admin/")
    assert 'name="rrn"' in again.get_data(as_text=True)
