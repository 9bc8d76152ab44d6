""""Afmelden bij demo-app" is SAML single logout through the bridge (issue 13.1): demo-app
sends the bridge a signed LogoutRequest and takes its LogoutResponse at /demo-app/slo, so the
bridge's session ends too and the next sign-in, in demo-app or the admin UI, needs the eID
again (a shared computer). The bridge's own LogoutRequests sign demo-app out as well.
All-in-one app, Flask test client, no browser."""
import datetime as dt
from urllib.parse import urlsplit

import pytest
from support import AN, BART, MERELBEKE
from support.bridge import form_of

from examples.demo_app.registration import demo_keypair
from idbeheer.app import create_app
from idbeheer.keys import service_keys
from idbeheer.settings import from_env
from samlkit.bindings import BINDING_HTTP_REDIRECT, decode_redirect, redirect_url, verify_redirect_signature
from samlkit.logout import NameId, logout_request
from samlkit.samlxml import NAMEID_PERSISTENT, SAML, SAMLP, issuer_of, to_bytes
from samlkit.spmetadata import parse_sp_metadata

BRIDGE_SLO = "http://localhost/idp/slo"
DEMO_SLO = "http://localhost/demo-app/slo"
DEMO = "http://localhost/demo-app/metadata"


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _follow(client, response, stop_at: str = ""):
    while response.status_code in (302, 303):
        if stop_at and urlsplit(response.location).path == stop_at:
            break
        response = client.get(_path(response.location))
    return response


@pytest.fixture
def app(databases, register, tmp_path):
    url = databases.seeded(register)
    return create_app(from_env({
        "IDBEHEER_HOME": str(tmp_path / "var"), "IDBEHEER_DATABASE_URL": url,
        "IDBEHEER_BASE_URL": "http://localhost", "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
        "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")}))


@pytest.fixture
def client(app):
    return app.test_client()


def _asks_for_the_eid(client, start: str) -> bool:
    """Does opening `start` end on dev_eid's sign-in form (rather than a silent sign-in)?"""
    page = _follow(client, client.get(start))
    return page.status_code == 200 and 'name="rrn"' in page.get_data(as_text=True)


def _sign_in(client, start: str, rrn: str, government: str = MERELBEKE):
    page = _follow(client, client.get(start))
    if 'name="rrn"' in page.get_data(as_text=True):  # no bridge session yet: dev_eid
        action, fields = form_of(page.data)
        autopost = client.post(_path(action), data={**fields, "rrn": rrn, "method": "eid"})
        action, fields = form_of(autopost.data)
        page = _follow(client, client.post(_path(action), data=fields))
    if 'name="capacity"' in page.get_data(as_text=True):
        action, fields = form_of(page.data)
        page = _follow(client, client.post(_path(action), data={**fields, "capacity": government}))
    action, fields = form_of(page.data)  # the bridge's auto-POST to the application's ACS
    return _follow(client, client.post(_path(action), data=fields))


def _demo_signed_in(client, rrn: str = BART):
    me = _sign_in(client, "/demo-app/login", rrn)
    assert "U bent aangemeld" in me.get_data(as_text=True), me.get_data(as_text=True)[:400]
    return me


def _afmelden(client):
    _action, fields = form_of(client.get("/demo-app/me").data)
    return client.post("/demo-app/logout", data=fields)


def test_afmelden_bij_demo_app_ends_the_bridge_session(client):
    _demo_signed_in(client)
    out = _afmelden(client)
    assert out.status_code == 302 and out.location.startswith(BRIDGE_SLO + "?SAMLRequest=")
    request = decode_redirect(urlsplit(out.location).query.encode(), "SAMLRequest", 1 << 20)
    verify_redirect_signature(request, parse_sp_metadata(client.get("/demo-app/metadata").data,
                                                         "demo-app").signing_certs)
    root = request.root
    assert root.tag == f"{{{SAMLP}}}LogoutRequest" and issuer_of(root) == DEMO
    name_id = root.find(f"{{{SAML}}}NameID")
    assert name_id.text and name_id.get("SPNameQualifier") == DEMO
    assert root.findtext(f"{{{SAMLP}}}SessionIndex")
    assert "U bent aangemeld" not in client.get("/demo-app/me").get_data(as_text=True)

    answered = _follow(client, out, stop_at="/demo-app/slo")
    assert answered.location.startswith(DEMO_SLO + "?SAMLResponse=")
    done = client.get(_path(answered.location))
    html = done.get_data(as_text=True)
    assert done.status_code == 200 and "afgemeld bij demo-app en bij lb-idbeheer" in html
    # The next person at this computer is asked for an eID, in demo-app and in the admin UI.
    assert _asks_for_the_eid(client, "/demo-app/login")
    assert _asks_for_the_eid(client, "/admin/")
    # The answer counts once.
    assert client.get(_path(answered.location)).status_code == 400


def test_afmelden_needs_the_forms_token(client):
    _demo_signed_in(client)
    assert client.post("/demo-app/logout", data={"csrf": "guessed"}).status_code == 400
    assert client.get("/demo-app/logout").status_code == 405
    assert "U bent aangemeld" in client.get("/demo-app/me").get_data(as_text=True)


def test_signing_out_of_the_admin_ui_signs_demo_app_out(client):
    """IdP-initiated: one bridge session, two applications; the admin UI's Afmelden reaches
    demo-app's /slo (its metadata publishes it) with the bridge's LogoutRequest."""
    _sign_in(client, "/admin/", AN)
    assert client.get("/admin/").status_code == 200
    _demo_signed_in(client, AN)  # the bridge's session answers at once
    token = form_of(client.get("/admin/").data)[1]["csrf_token"]
    out = client.post("/admin/sign-out", data={"csrf_token": token})
    to_demo = _follow(client, out, stop_at="/demo-app/slo")
    assert to_demo.location.startswith(DEMO_SLO + "?SAMLRequest=")
    back = client.get(_path(to_demo.location))
    assert back.status_code == 302 and back.location.startswith(BRIDGE_SLO + "?SAMLResponse=")
    done = _follow(client, back)
    assert "U bent afgemeld" in done.get_data(as_text=True)
    assert "U bent niet aangemeld" in client.get("/demo-app/me").get_data(as_text=True)
    assert _asks_for_the_eid(client, "/demo-app/login")


def _bridge_request(app, name_id: NameId, *, signer="bridge", destination=DEMO_SLO) -> str:
    root = logout_request(issuer="http://localhost/idp/metadata", destination=destination,
                          name_id=name_id, session_index="_s", now=dt.datetime.now(dt.UTC))
    key = {"bridge": service_keys(app.extensions["idbeheer.settings"], "idp",
                                  "lb-idbeheer bridge IdP (dev)")[0],
           "demo-app": demo_keypair(app.extensions["idbeheer.settings"].certs_dir), None: None}[signer]
    return _path(redirect_url(DEMO_SLO, "SAMLRequest", to_bytes(root), None, key))


@pytest.mark.parametrize("change, reason", [
    ({"signer": None}, "unsigned"),
    ({"signer": "demo-app"}, "bad_signature"),
    ({"destination": "http://localhost/admin/slo"}, "wrong_destination"),
])
def test_unverifiable_logout_requests_change_nothing(app, client, change, reason):
    _demo_signed_in(client)
    refused = client.get(_bridge_request(app, NameId("someone", NAMEID_PERSISTENT), **change))
    assert refused.status_code == 400 and reason in refused.get_data(as_text=True)
    assert "U bent aangemeld" in client.get("/demo-app/me").get_data(as_text=True)


def test_a_bridge_logout_request_for_another_person_changes_nothing(app, client):
    """Signed by the bridge, but captured from another browser: not this session's NameID."""
    _demo_signed_in(client)
    refused = client.get(_bridge_request(app, NameId("someone-else", NAMEID_PERSISTENT,
                                                      "http://localhost/idp/metadata", DEMO)))
    assert refused.status_code == 400
    assert "U bent aangemeld" in client.get("/demo-app/me").get_data(as_text=True)


def test_demo_app_publishes_its_single_logout_service(client, tmp_path):
    for data in (client.get("/demo-app/metadata").data,
                 (tmp_path / "metadata" / "sp" / "demo-app.xml").read_bytes()):
        endpoint = parse_sp_metadata(data, "demo-app").slo((BINDING_HTTP_REDIRECT,))
        assert endpoint is not None and endpoint.location == DEMO_SLO
