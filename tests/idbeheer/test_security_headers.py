"""#10.11: the all-in-one app's answers carry a Content-Security-Policy, cannot be framed, are
not sniffed, and pages with personal data are not stored in any cache; the POST binding's
auto-submit is the one inline script the policy allows, by its hash."""
import base64
import hashlib
import re
from urllib.parse import urlsplit

import lxml.html
import pytest
from support import AN, BART, MERELBEKE
from support.admin import post
from support.bridge import form_of

from idbeheer.app import create_app
from idbeheer.security_headers import content_security_policy
from idbeheer.settings import from_env
from samlkit.bindings import AUTO_SUBMIT_SCRIPT, post_form


@pytest.fixture
def app(databases, register, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path / "var"),
                         "IDBEHEER_DATABASE_URL": databases.seeded(register),
                         "IDBEHEER_BASE_URL": "http://localhost",
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")})
    return create_app(settings)


def _path(url: str) -> str:
    parts = urlsplit(url)
    return parts.path + ("?" + parts.query if parts.query else "")


def _submit(client, response, **overrides):
    action, fields = form_of(response.data)
    fields.update(overrides)
    return client.post(_path(action), data=fields)


def _policy(response) -> dict[str, str]:
    header = response.headers["Content-Security-Policy"]
    return {d.split(" ", 1)[0]: d.split(" ", 1)[1] for d in (p.strip() for p in header.split(";"))}


def assert_protected(response) -> None:
    """Not framable, not sniffed, not stored, under the policy."""
    assert response.headers["X-Frame-Options"] == "DENY"
    assert _policy(response)["frame-ancestors"] == "'none'"
    assert response.headers["X-Content-Type-Options"] == "nosniff"
    assert response.headers["Referrer-Policy"] == "same-origin"
    assert response.headers["Cache-Control"] == "no-store"


def test_the_admin_forms_cannot_be_framed_and_are_not_stored(app):
    client = app.test_client()
    to_bridge = client.get("/admin/people/" + BART)
    assert_protected(to_bridge)
    to_dev_eid = client.get(_path(to_bridge.location))
    page = client.get(_path(to_dev_eid.location))  # dev_eid's sign-in page
    assert_protected(page)
    handover = _submit(client, page, rrn=AN, method="eid")  # dev_eid's POST binding page
    assert_protected(handover)
    assert _submit(client, handover).status_code == 303
    capacity = client.get("/idp/capacity")  # the bridge's capacity form
    assert capacity.status_code == 200 and 'name="capacity"' in capacity.get_data(as_text=True)
    assert_protected(capacity)
    _submit(client, capacity, capacity=MERELBEKE)
    answer = client.get("/idp/capacity")  # the bridge's POST binding page to the admin UI
    assert_protected(answer)
    assert _submit(client, answer).status_code == 303
    person = client.get("/admin/people/" + BART)
    assert person.status_code == 200 and "Claes" in person.get_data(as_text=True)
    assert "csrf_token" in person.get_data(as_text=True)  # a page with forms
    assert_protected(person)
    assert_protected(client.get("/admin/grants"))
    sign_out_confirm = client.get("/idp/slo")  # the bridge's sign-out form
    assert sign_out_confirm.status_code == 200 and "<form" in sign_out_confirm.get_data(as_text=True)
    assert_protected(sign_out_confirm)
    assert_protected(post(client, "/admin/sign-out"))


def test_demo_app_and_the_aa_carry_the_headers_too(app):
    client = app.test_client()
    assert_protected(client.get("/demo-app/"))
    metadata = client.get("/aa/metadata")
    assert metadata.headers["X-Content-Type-Options"] == "nosniff"
    soap = client.post("/aa/soap", data=b"<x/>", content_type="text/xml")
    assert soap.status_code == 400 and soap.headers["Cache-Control"] == "no-store"


def test_static_files_may_be_cached(app):
    css = app.test_client().get("/admin/static/look.css")
    assert css.status_code == 200 and "no-store" not in css.headers.get("Cache-Control", "")
    assert css.headers["X-Content-Type-Options"] == "nosniff"


def test_the_post_binding_script_is_the_one_inline_script_allowed():
    """No inline event handler (a hash cannot allow one without 'unsafe-hashes'); the script
    element's exact text is what the policy's hash names; the button stays for no-JS."""
    page = post_form("https://app.example.be/acs", "SAMLResponse", b"<x/>", "state")
    assert "onload" not in page and "<noscript>" in page and "<button" in page
    scripts = lxml.html.fromstring(page).xpath("//script")
    assert [s.text for s in scripts] == [AUTO_SUBMIT_SCRIPT]
    digest = base64.b64encode(hashlib.sha256(scripts[0].text.encode()).digest()).decode()
    script_src = dict(d.strip().split(" ", 1) for d in
                      content_security_policy(production=True).split(";"))["script-src"]
    assert script_src == f"'self' 'sha256-{digest}'" and "unsafe-inline" not in script_src


def test_form_action_allows_the_peers_and_plain_http_only_outside_production():
    production = content_security_policy(production=True)
    demo = content_security_policy(production=False)
    assert re.search(r"form-action 'self' https:(;|$)", production)
    assert re.search(r"form-action 'self' http: https:(;|$)", demo)
    for policy in (production, demo):
        assert "default-src 'self'" in policy and "object-src 'none'" in policy


def test_demo_apps_cookie_is_httponly_samesite_lax(app):
    to_bridge = app.test_client().get("/demo-app/login")
    (cookie,) = [h for h in to_bridge.headers.getlist("Set-Cookie") if h.startswith("demo_app_session=")]
    assert "HttpOnly" in cookie and "SameSite=Lax" in cookie and "Secure" not in cookie  # http BASE


def test_demo_apps_cookie_is_secure_over_https(tmp_path):
    from examples.demo_app import create_app as demo_app

    demo = demo_app(base_url="https://idbeheer.example.be", certs_dir=tmp_path, secret_key="k" * 32,
                    fetch=lambda _url: b"")
    assert demo.config["SESSION_COOKIE_SECURE"] is True
