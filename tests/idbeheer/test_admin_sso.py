"""The admin UI and demo-app sign in through the real bridge, in the all-in-one app, without a
browser: admin UI -> /idp/sso -> dev_eid -> /sp/acs -> /idp/capacity -> /admin/acs."""
import datetime as dt
import time
from urllib.parse import parse_qs, urlsplit

import pytest
from support import AN, BART, EMIL, MERELBEKE, NAZARETH
from support.admin import key_pair
from support.bridge import answer_logout, form_of, saml_response_of

from admin_ui import auth
from idbeheer.app import create_app
from idbeheer.keys import service_keys
from idbeheer.settings import from_env
from samlkit.bindings import (
    BINDING_HTTP_REDIRECT,
    decode_redirect,
    redirect_url,
    verify_redirect_signature,
)
from samlkit.keys import KeyPair
from samlkit.logout import NameId, logout_request, logout_response
from samlkit.samlxml import (
    NAMEID_PERSISTENT,
    SAML,
    SAMLP,
    SUCCESS,
    issuer_of,
    read_status,
    to_bytes,
)
from samlkit.spmetadata import parse_sp_metadata


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
    url = databases.seeded(register)
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
    # the same, but for the validUntil only the served copy carries (SAML2Int)
    assert served.valid_until is not None and registered.valid_until is None
    assert registered == served.__class__(**{**served.__dict__, "path": registered.path,
                                             "valid_until": None})
    assert registered.entity_id == "http://localhost/admin/metadata"


def test_a_non_administrator_lands_on_their_own_page_and_gets_no_admin_pages(browser):
    browser.eid(browser.to_dev_eid("/admin/"), BART)
    landed, _, _ = browser.post_answer(browser.choose(MERELBEKE))
    assert landed.status_code == 303 and landed.location.endswith("/account/")
    mine = browser.client.get("/account/").get_data(as_text=True)
    assert "Uw rechten bij Merelbeke-Melle" in mine and "An Peeters" in mine
    refused = browser.client.get("/admin/")
    assert refused.status_code == 403 and 'href="/account/"' in refused.get_data(as_text=True)


def test_a_citizen_session_signs_in_to_the_account_pages_but_gets_no_admin_pages(browser, app):
    from sqlalchemy import update

    from attribute_authority.models import Application
    with app.extensions["idbeheer.db"]() as s, s.begin():
        s.execute(update(Application).where(Application.code == "demo-app").values(capacity="any"))
    browser.eid(browser.to_dev_eid("/demo-app/login"), AN)
    browser.post_answer(browser.choose("citizen"))
    # application idbeheer accepts any capacity: the bridge answers at once, as citizen
    answer = browser.client.get(_path(browser.client.get("/admin/").location))
    landed, action, _ = browser.post_answer(answer)
    assert action == "http://localhost/admin/acs" and landed.status_code == 303
    assert browser.client.get("/admin/").status_code == 403
    assert "als burger" in browser.client.get("/account/").get_data(as_text=True)


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
    from support import FEMKE, actor
    from support.admin import post

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
    to_admin_slo = browser.submit(mismatch.data, action="switch")
    # The bridge signs the old capacity's applications out first, the admin UI among them.
    assert urlsplit(to_admin_slo.location).path == "/admin/slo"
    answered = browser.client.get(_path(to_admin_slo.location))
    assert answered.status_code == 302 and urlsplit(answered.location).path == "/idp/slo"
    with browser.client.session_transaction() as state:
        assert "admin" not in state and "admin_saml" in state  # the pending sign-in is kept
    to_dev_eid = browser.client.get(_path(answered.location))
    page = browser.client.get(_path(to_dev_eid.location))
    browser.eid(page, AN)
    landed, _, _ = browser.post_answer(browser.choose(NAZARETH))
    assert landed.status_code == 303
    assert "Nazareth-De Pinte" in browser.client.get("/admin/").get_data(as_text=True)


def test_emil_without_relation_signs_in_as_citizen_and_may_ask_to_be_added(browser):
    link = f"/account/request?app=demo-app&right=demo-app-reader&government={MERELBEKE}"
    capacity = browser.eid(browser.to_dev_eid(link), EMIL)
    assert 'value="44088"' not in capacity.get_data(as_text=True)
    landed, _, _ = browser.post_answer(browser.choose("citizen"))
    assert landed.status_code == 303 and landed.location.endswith(link)
    page = browser.client.get(link).get_data(as_text=True)
    assert "U heeft nog geen relatie met Merelbeke-Melle" in page and 'name="email"' in page


# -- single logout ----------------------------------------------------------------------------

ADMIN_SLO = "http://localhost/admin/slo"
BRIDGE_SLO = "http://localhost/idp/slo"
BRIDGE_IDP = "http://localhost/idp/metadata"


def _follow(client, response, stop_at: str = ""):
    """Follow the browser's redirects inside BASE; stop at another host or at path `stop_at`."""
    while response.status_code in (302, 303):
        parts = urlsplit(response.location)
        if parts.netloc not in ("", "localhost") or (stop_at and parts.path == stop_at):
            break
        response = client.get(_path(response.location))
    return response


def _message(url: str, field: str):
    """The decoded Redirect-binding message of `url` (its signature is checked separately)."""
    return decode_redirect(urlsplit(url).query.encode(), field, 1 << 20)


def _admin_certs(browser) -> list:
    return list(parse_sp_metadata(browser.client.get("/admin/metadata").data, "idbeheer").signing_certs)


def _bridge_key(app) -> KeyPair:
    return service_keys(app.extensions["idbeheer.settings"], "idp", "lb-idbeheer bridge IdP (dev)")[0]


def _admin_signed_in(browser) -> None:
    browser.eid(browser.to_dev_eid("/admin/"), AN)
    landed, _, _ = browser.post_answer(browser.choose(MERELBEKE))
    assert landed.status_code == 303 and browser.client.get("/admin/").status_code == 200


def _afmelden(browser):
    token = form_of(browser.client.get("/admin/").data)[1]["csrf_token"]  # every form has it
    return browser.client.post("/admin/sign-out", data={"csrf_token": token})


@pytest.fixture
def other_sp(app, tmp_path, browser):
    """A second application with a single-logout endpoint (pysaml2), in the catalog."""
    from support.bridge import TestSp

    from attribute_authority.models import Application
    with app.extensions["idbeheer.db"]() as s, s.begin():
        s.add(Application(code="slo-app", name="Toepassing met afmelding", capacity="employee"))
    sp = TestSp("slo-app", tmp_path / "metadata", key_pair("slo-app"),
                browser.client.get("/idp/metadata").data, tmp_path)
    app.extensions["idbeheer.sp_registry"].reload()
    return sp


def test_afmelden_ends_the_admin_and_bridge_sessions_and_every_application(browser, app, other_sp):
    """On a shared computer the next person must sign in anew, not inherit the session: one
    click, no confirmation at the bridge, every application of the session signed out."""
    _admin_signed_in(browser)
    answer = browser.client.get(other_sp.login_url())  # the bridge's session answers at once
    signed_in = other_sp.consume(saml_response_of(answer.data))
    assert signed_in.assertion.subject.name_id.text

    out = _afmelden(browser)
    with browser.client.session_transaction() as state:
        assert "admin" not in state and "admin_bridge_session" not in state
    assert out.status_code == 302 and out.location.startswith(BRIDGE_SLO + "?SAMLRequest=")
    request = _message(out.location, "SAMLRequest")
    verify_redirect_signature(request, _admin_certs(browser))  # signed with the admin UI's key
    assert request.sig_alg == "http://www.w3.org/2001/04/xmldsig-more#rsa-sha256"
    root = request.root
    assert root.tag == f"{{{SAMLP}}}LogoutRequest" and root.get("Destination") == BRIDGE_SLO
    assert issuer_of(root) == "http://localhost/admin/metadata" and root.get("NotOnOrAfter")
    name_id = root.find(f"{{{SAML}}}NameID")
    assert (name_id.get("Format"), name_id.get("NameQualifier"), name_id.get("SPNameQualifier")) == \
        (NAMEID_PERSISTENT, BRIDGE_IDP, "http://localhost/admin/metadata")
    assert root.findtext(f"{{{SAMLP}}}SessionIndex")

    to_other = _follow(browser.client, out)
    assert to_other.location.startswith(other_sp.slo)  # the other application is signed out
    back = browser.client.get(_path(answer_logout(other_sp, to_other.location)))
    answered = _follow(browser.client, back, stop_at="/admin/slo")
    assert answered.location.startswith(ADMIN_SLO + "?SAMLResponse=")
    response = _message(answered.location, "SAMLResponse").root
    assert response.get("InResponseTo") == root.get("ID")
    done = _follow(browser.client, browser.client.get(_path(answered.location)))
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "U bent afgemeld" in html and "Niet elke toepassing" not in html
    # The bridge asks for the eID again: to_dev_eid asserts the dev_eid page.
    assert 'name="rrn"' in browser.to_dev_eid("/admin/").get_data(as_text=True)


def test_afmelden_without_other_applications_lands_on_the_signed_out_page(browser):
    _admin_signed_in(browser)
    done = _follow(browser.client, _afmelden(browser))
    assert done.status_code == 200 and "U bent afgemeld" in done.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 302
    assert 'name="rrn"' in browser.to_dev_eid("/admin/").get_data(as_text=True)


def test_a_partial_logout_is_shown_as_such(browser, app, other_sp):
    _admin_signed_in(browser)
    other_sp.consume(saml_response_of(browser.client.get(other_sp.login_url()).data))
    to_other = _follow(browser.client, _afmelden(browser))
    assert to_other.location.startswith(other_sp.slo)
    # An answer the bridge cannot verify does not count as signed out there: a partial logout.
    forged = redirect_url(BRIDGE_SLO, "SAMLResponse", to_bytes(logout_response(
        issuer=other_sp.entity_id, destination=BRIDGE_SLO, in_response_to="_x",
        now=dt.datetime.now(dt.UTC))), parse_qs(urlsplit(to_other.location).query)["RelayState"][0],
        key_pair("stranger"))
    done = _follow(browser.client, browser.client.get(_path(forged)))
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "Niet elke toepassing bevestigde de afmelding" in html


def test_afmelden_after_the_idle_timeout_still_ends_the_bridge_session(browser, monkeypatch):
    _admin_signed_in(browser)
    token = form_of(browser.client.get("/admin/").data)[1]["csrf_token"]
    later = time.time() + 31 * 60
    monkeypatch.setattr(auth, "now", lambda: later)
    assert browser.client.get("/admin/").status_code == 302  # the admin session has expired
    out = browser.client.post("/admin/sign-out", data={"csrf_token": token})
    assert out.location.startswith(BRIDGE_SLO + "?SAMLRequest=")
    assert "U bent afgemeld" in _follow(browser.client, out).get_data(as_text=True)
    assert 'name="rrn"' in browser.to_dev_eid("/admin/").get_data(as_text=True)


def test_a_session_without_the_bridge_sessions_name_id_gets_the_bridges_own_sign_out(browser):
    """Signed in before single logout existed: the bridge's page asks to confirm instead."""
    _admin_signed_in(browser)
    with browser.client.session_transaction() as state:
        del state["admin_bridge_session"]
    out = _afmelden(browser)
    assert out.status_code == 302 and out.location == BRIDGE_SLO
    assert browser.client.get("/admin/").status_code == 302


def test_afmelden_needs_the_form_token(browser):
    _admin_signed_in(browser)
    assert browser.client.post("/admin/sign-out").status_code == 400
    assert browser.client.get("/admin/").status_code == 200


def test_signing_out_at_the_bridge_signs_the_admin_ui_out(browser, app):
    """IdP-initiated: the bridge's confirmed sign-out sends the admin UI a LogoutRequest."""
    _admin_signed_in(browser)
    confirm = browser.client.get("/idp/slo")
    action, fields = form_of(confirm.data)
    to_admin = browser.client.post(_path(action), data=fields)
    assert to_admin.status_code == 302 and to_admin.location.startswith(ADMIN_SLO + "?SAMLRequest=")
    request = _message(to_admin.location, "SAMLRequest")
    answered = browser.client.get(_path(to_admin.location))
    with browser.client.session_transaction() as state:
        assert "admin" not in state and "admin_bridge_session" not in state
    assert answered.status_code == 302 and answered.location.startswith(BRIDGE_SLO + "?SAMLResponse=")
    response = _message(answered.location, "SAMLResponse")
    verify_redirect_signature(response, _admin_certs(browser))
    assert response.relay_state == request.relay_state and response.relay_state
    root = response.root
    assert root.get("InResponseTo") == request.root.get("ID") and root.get("Destination") == BRIDGE_SLO
    assert issuer_of(root) == "http://localhost/admin/metadata"
    assert read_status(root) == (SUCCESS, None, None)
    done = _follow(browser.client, browser.client.get(_path(answered.location)))
    assert "afgemeld bij alle toepassingen" in done.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 302

    # Used once: replayed in the next session, the same request ends nothing.
    _admin_signed_in(browser)
    replayed = browser.client.get(_path(to_admin.location))
    assert replayed.status_code == 400 and "Reden: replayed" in replayed.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 200


def test_a_replayed_logout_response_is_refused(browser):
    _admin_signed_in(browser)
    answered = _follow(browser.client, _afmelden(browser), stop_at="/admin/slo")
    assert answered.location.startswith(ADMIN_SLO + "?SAMLResponse=")
    assert browser.client.get(_path(answered.location)).status_code == 303
    _admin_signed_in(browser)
    replayed = browser.client.get(_path(answered.location))
    assert replayed.status_code == 400 and "Reden: replayed" in replayed.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 200


def _bridge_message(kind: str, signer, *, issuer=BRIDGE_IDP, destination=ADMIN_SLO,
                    now=None, in_response_to="_never-asked"):
    now = now or dt.datetime.now(dt.UTC)
    if kind == "SAMLRequest":
        root = logout_request(issuer=issuer, destination=destination, now=now,
                              name_id=NameId("someone", NAMEID_PERSISTENT), session_index="_s")
    else:
        root = logout_response(issuer=issuer, destination=destination, now=now,
                               in_response_to=in_response_to)
    return redirect_url(ADMIN_SLO, kind, to_bytes(root), None, signer)


@pytest.mark.parametrize("kind", ["SAMLRequest", "SAMLResponse"])
@pytest.mark.parametrize("change, reason", [
    ({"signer": None}, "unsigned"),
    ({"signer": "stranger"}, "bad_signature"),
    ({"destination": "http://localhost/demo-app/slo"}, "wrong_destination"),
    ({"issuer": "http://localhost/sp/metadata"}, "wrong_issuer"),
    ({"now": dt.datetime.now(dt.UTC) - dt.timedelta(minutes=30)}, "expired"),
])
def test_unverifiable_logout_messages_are_refused_and_change_nothing(browser, app, kind, change, reason):
    _admin_signed_in(browser)
    change = dict(change)  # the parameters are shared by both kinds
    signer = change.pop("signer", "bridge")
    signer = {"bridge": _bridge_key(app), "stranger": key_pair("stranger"), None: None}[signer]
    refused = browser.client.get(_path(_bridge_message(kind, signer, **change)))
    html = refused.get_data(as_text=True)
    assert refused.status_code == 400 and "Dit afmeldbericht kunnen we niet aanvaarden" in html
    assert f"Reden: {reason}" in html
    assert browser.client.get("/admin/").status_code == 200  # still signed in


def test_a_logout_response_to_no_request_of_ours_is_refused(browser, app):
    _admin_signed_in(browser)
    refused = browser.client.get(_path(_bridge_message("SAMLResponse", _bridge_key(app))))
    assert refused.status_code == 400
    assert "Reden: unknown_in_response_to" in refused.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 200


def test_the_admin_ui_publishes_its_single_logout_service(browser, tmp_path):
    served = parse_sp_metadata(browser.client.get("/admin/metadata").data, "idbeheer")
    registered = parse_sp_metadata((tmp_path / "metadata" / "sp" / "idbeheer.xml").read_bytes(),
                                   "idbeheer")
    for sp in (served, registered):
        endpoint = sp.slo((BINDING_HTTP_REDIRECT,))
        assert endpoint is not None and endpoint.location == ADMIN_SLO


def _bridge_logout_request_for(browser):
    """The bridge's LogoutRequest to the admin UI once `browser` confirms signing out at the
    bridge: the redirect URL, not yet followed (what someone could capture and pass on)."""
    action, fields = form_of(browser.client.get("/idp/slo").data)
    to_admin = browser.client.post(_path(action), data=fields)
    assert to_admin.status_code == 302 and to_admin.location.startswith(ADMIN_SLO + "?SAMLRequest=")
    return to_admin.location


def test_a_captured_logout_request_for_another_administrator_signs_nobody_else_out(browser, app):
    """#10.4: the request is signed by the bridge, but names An's sign-in: opened in Femke's
    browser it is refused and Femke stays signed in; in An's own browser it still works."""
    from support import FEMKE

    _admin_signed_in(browser)
    captured = _bridge_logout_request_for(browser)
    other = Journey(app.test_client())
    other.eid(other.to_dev_eid("/admin/"), FEMKE)
    landed, _, _ = other.post_answer(other.choose(NAZARETH))
    assert landed.status_code == 303 and other.client.get("/admin/").status_code == 200
    refused = other.client.get(_path(captured))
    assert refused.status_code == 400 and "Reden: not_this_session" in refused.get_data(as_text=True)
    assert other.client.get("/admin/people").status_code == 200  # still signed in
    answered = browser.client.get(_path(captured))
    assert answered.status_code == 302 and answered.location.startswith(BRIDGE_SLO + "?SAMLResponse=")
    assert browser.client.get("/admin/").status_code == 302


def test_a_logout_request_for_another_name_id_is_refused(browser, app):
    _admin_signed_in(browser)
    refused = browser.client.get(_path(_bridge_message("SAMLRequest", _bridge_key(app))))
    assert refused.status_code == 400 and "Reden: not_this_session" in refused.get_data(as_text=True)
    assert browser.client.get("/admin/").status_code == 200


def test_a_logout_request_with_no_admin_session_here_is_answered(browser, app):
    """Nothing to end in this browser (the session already timed out or was never made):
    the bridge hears Success, so its single logout goes on."""
    answered = browser.client.get(_path(_bridge_message("SAMLRequest", _bridge_key(app))))
    assert answered.status_code == 302 and answered.location.startswith(BRIDGE_SLO + "?SAMLResponse=")


def test_after_single_logout_a_copied_admin_cookie_opens_nothing(browser, app):
    """#10.5: single logout deletes the admin session server-side."""
    from admin_ui.session_store import COOKIE_NAME

    _admin_signed_in(browser)
    copied = browser.client.get_cookie(COOKIE_NAME).value
    thief = app.test_client()
    thief.set_cookie(COOKIE_NAME, copied, domain="localhost")
    assert thief.get("/admin/people/" + BART).status_code == 200  # what a copied cookie did
    answered = browser.client.get(_path(_bridge_logout_request_for(browser)))
    assert answered.status_code == 302 and answered.location.startswith(BRIDGE_SLO + "?SAMLResponse=")
    replayed = thief.get("/admin/people/" + BART)
    assert replayed.status_code == 302 and "/idp/sso?" in replayed.location
