"""Issue 12 point 5: the central administrator registers a catalog application as an OIDC
client on its catalog page (redirect URIs, authentication, scopes, logout URIs), checked by the
service the CLI uses; a generated secret is shown on one answer only and kept as a hash; a
refusal is a form message and changes nothing; the new client works on the very next request."""
from __future__ import annotations

import hashlib
import html
import io
import json
import logging
import re

import pytest
from sqlalchemy import func, select
from support import AN, BART, DINA, MERELBEKE
from support.admin import post, sign_in
from support.bridge import BridgeHarness
from support.oidc import REDIRECT, RelyingParty, authorize_url, new_rsa_key, register_client, tokens_for
from support.oidc import sign_in as oidc_sign_in

from attribute_authority.models import AuditEvent, OidcClient
from samlkit.keys import ensure_dev_keypair

PAGE = "/admin/central/catalog/applications/demo-app/oidc"
SECRET = re.compile(r'<code id="client-secret">([^<]+)</code>')


def text(response) -> str:
    return html.unescape(response.get_data(as_text=True))


def _jwks(key=None) -> str:
    return json.dumps({"keys": [(key or new_rsa_key()).as_dict(private=False)]})


def _form(**change) -> dict:
    form = {"redirect_uris": "https://rp.example.be/cb\nhttp://localhost:9000/cb",
            "post_logout_redirect_uris": "https://rp.example.be/bye",
            "backchannel_logout_uri": "https://rp.example.be/bcl",
            "scopes": ["profile", "rights"], "auth": "public", "jwks_json": "", "jwks_uri": "",
            "reason": "nieuwe OIDC-integratie"}
    form.update(change)
    return form


VERSION = re.compile(r'<input name="version" type="hidden" value="([^"]*)"')


def _opened(central, path: str = PAGE) -> str:
    """The registration version the form carries when opened now."""
    found = VERSION.search(central.get(path).get_data(as_text=True))
    assert found, f"no version field on {path}"
    return html.unescape(found.group(1))


def _save(central, path: str = PAGE, **change):
    """Open the form, then POST it with `change`: as an administrator does."""
    return post(central, path, {**_form(**change), "version": _opened(central, path)})


def _client(db, code="demo-app") -> OidcClient | None:
    db.expire_all()
    return db.scalars(select(OidcClient).join(OidcClient.application)
                      .where(OidcClient.application.has(code=code))).first()


def _audit_count(db) -> int:
    db.expire_all()
    return db.scalar(select(func.count()).select_from(AuditEvent))


@pytest.fixture
def central(client):
    sign_in(client, DINA, "vlaanderen")
    return client


def test_the_catalog_and_the_application_page_show_the_registration(app, central):
    assert "Nog geen OIDC-client." in text(central.get("/admin/central/catalog"))
    first = text(central.get(PAGE))
    assert "demo-app is nog geen OIDC-client" in first and 'value="keep"' not in first
    register_client(app.extensions["test.db"], "demo-app",
                    redirect_uris=["https://rp.example.be/cb", "https://rp.example.be/cb2"],
                    post_logout_redirect_uris=["https://rp.example.be/bye"],
                    backchannel_logout_uri="https://rp.example.be/bcl",
                    scopes=["openid", "rrn", "rights"])
    catalog = text(central.get("/admin/central/catalog"))
    assert "OIDC-client met client_id demo-app en 2 redirect URI's." in catalog
    page = text(central.get(PAGE))
    for shown in ("https://rp.example.be/cb2", "https://rp.example.be/bye",
                  "https://rp.example.be/bcl", "openid, rrn, rights",
                  "private_key_jwt met een geregistreerde JWKS"):
        assert shown in page, shown
    # the form starts from the registration as it stands, keeping its authentication
    assert "https://rp.example.be/cb\nhttps://rp.example.be/cb2</textarea>" in page
    assert re.search(r'value="keep"[^>]*checked|checked[^>]*value="keep"', page)
    assert re.search(r'checked[^>]*value="rrn"|value="rrn"[^>]*checked', page)


@pytest.mark.parametrize("auth,extra,kind", [
    ("jwks", {}, "jwks"),
    ("jwks", {"upload": True}, "jwks"),
    ("jwks_uri", {"jwks_uri": "https://rp.example.be/jwks.json"}, "jwks_uri"),
    ("secret", {}, "secret"),
    ("public", {}, "public"),
])
def test_registration_with_each_authentication(central, db, auth, extra, kind):
    before = _audit_count(db)
    form = {**_form(auth=auth, jwks_uri=extra.get("jwks_uri", "")), "version": _opened(central)}
    key = new_rsa_key()
    if auth == "jwks" and extra.get("upload"):
        form["jwks_file"] = (io.BytesIO(_jwks(key).encode()), "jwks.json")
    elif auth == "jwks":
        form["jwks_json"] = _jwks(key)
    done = post(central, PAGE, form, content_type="multipart/form-data")
    assert done.status_code == (200 if kind == "secret" else 302), text(done)
    client = _client(db)
    assert client.redirect_uris == ["https://rp.example.be/cb", "http://localhost:9000/cb"]
    assert client.post_logout_redirect_uris == ["https://rp.example.be/bye"]
    assert client.backchannel_logout_uri == "https://rp.example.be/bcl"
    assert client.scopes == ["openid", "profile", "rights"]
    assert bool(client.jwks) == (kind == "jwks") and bool(client.secret_hash) == (kind == "secret")
    assert client.jwks_uri == extra.get("jwks_uri")
    if kind == "jwks":
        assert client.jwks["keys"][0]["kid"] == key.kid
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert _audit_count(db) == before + 1
    assert (event.action, event.actor_rrn, event.after["auth"], event.reason) == \
        ("oidc_client.registered", DINA, kind, "nieuwe OIDC-integratie")
    if kind != "secret":
        assert "is bewaard: ze geldt meteen" in text(central.get(done.location))


def test_a_change_keeps_the_authentication_unless_another_is_chosen(app, central, db):
    secret, _key = register_client(app.extensions["test.db"], "demo-app", secret=True)
    hashed = _client(db).secret_hash
    changed = _save(central, auth="keep", redirect_uris="https://rp.example.be/new")
    assert changed.status_code == 302, text(changed)
    client = _client(db)
    assert client.secret_hash == hashed and client.redirect_uris == ["https://rp.example.be/new"]
    event = db.scalars(select(AuditEvent).order_by(AuditEvent.id.desc())).first()
    assert event.action == "oidc_client.changed" and event.before["redirect_uris"] == [REDIRECT]
    assert "nieuw geheim" not in text(central.get(changed.location)).split("<h2")[1]


@pytest.mark.parametrize("change,needle", [
    ({"redirect_uris": ""}, "minstens één redirect URI"),
    ({"redirect_uris": "geen adres"}, "'geen adres' moet een absolute https-URL zijn"),
    ({"redirect_uris": "http://rp.example.be/cb"}, "moet een absolute https-URL zijn"),
    ({"redirect_uris": "https://rp.example.be/cb#deel"}, "zonder #fragment"),
    ({"post_logout_redirect_uris": "ftp://rp.example.be/bye"}, "post-logout redirect URI"),
    ({"backchannel_logout_uri": "http://rp.example.be/bcl"}, "back-channel logout URI"),
    ({"auth": "jwks", "jwks_json": "{keys: geen json"}, "geen leesbare JSON"),
    ({"auth": "jwks", "jwks_json": ""}, "Plak de JWKS of kies een JSON-bestand"),
    ({"auth": "jwks", "jwks_json": '{"keys": []}'}, "minstens één sleutel"),
    ({"auth": "jwks", "jwks_json": json.dumps({"keys": [new_rsa_key().as_dict(private=True)]})},
     "private sleutel"),
    ({"auth": "jwks_uri", "jwks_uri": "http://rp.example.be/jwks"}, "JWKS URI"),
    ({"auth": "jwks_uri", "jwks_uri": ""}, "Vul de JWKS URI in"),
    ({"auth": "keep"}, "Ongeldige keuze"),  # nothing to keep yet
    ({"scopes": ["profile", "admin"]}, "Het formulier is niet volledig"),
])
def test_bad_input_is_a_clear_form_message_and_changes_nothing(central, db, change, needle):
    before = _audit_count(db)
    refused = _save(central, **change)
    assert refused.status_code == 422 and needle in text(refused), text(refused)
    assert 'role="alert"' in text(refused)
    assert _client(db) is None and _audit_count(db) == before


def test_a_refused_change_keeps_the_registration_as_it_was(app, central, db):
    register_client(app.extensions["test.db"], "demo-app")
    kept = _client(db)
    state = (kept.redirect_uris, kept.jwks, kept.scopes)
    before = _audit_count(db)
    refused = _save(central, auth="jwks", jwks_json="[1, 2",
                                        redirect_uris="https://rp.example.be/other")
    assert refused.status_code == 422
    page = text(refused)
    assert "geen leesbare JSON" in page and "private_key_jwt met een geregistreerde JWKS" in page
    client = _client(db)
    assert (client.redirect_uris, client.jwks, client.scopes) == state
    assert _audit_count(db) == before


def test_a_new_secret_is_shown_once_and_only_its_hash_is_kept(central, db, caplog):
    caplog.set_level(logging.DEBUG)
    shown = _save(central, auth="secret")
    assert shown.status_code == 200
    assert shown.headers["Cache-Control"] == "no-store"
    page = text(shown)
    assert "maar één keer getoond" in page and 'role="alert"' in page
    secret = SECRET.search(page).group(1)
    assert len(secret) >= 40
    client = _client(db)
    assert client.secret_hash == "sha256:" + hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in client.secret_hash
    trail = db.scalars(select(AuditEvent)).all()
    assert not any(secret in json.dumps([e.before, e.after, e.reason]) for e in trail)
    assert client.secret_hash not in json.dumps([e.after for e in trail])
    assert not any(secret in record.getMessage() for record in caplog.records)
    again = text(central.get(PAGE))
    assert secret not in again and "client-secret" not in again
    assert "alleen als hash bewaard" in again
    # a second new secret replaces the first
    other = SECRET.search(text(_save(central, auth="secret"))).group(1)
    assert other != secret and _client(db).secret_hash.endswith(hashlib.sha256(other.encode()).hexdigest())


def test_a_reloaded_secret_answer_makes_no_second_secret(central, db):
    """The browser sends the POST that showed the secret again (a reload): the registration
    changed since that form was opened, so nothing is saved and the secret shown stays."""
    form = {**_form(auth="secret"), "version": _opened(central)}
    secret = SECRET.search(text(post(central, PAGE, dict(form)))).group(1)
    before = (_client(db).secret_hash, _audit_count(db))
    again = post(central, PAGE, dict(form))
    assert again.status_code == 409 and "client-secret" not in text(again)
    assert "er is niets bewaard" in text(again)
    assert (_client(db).secret_hash, _audit_count(db)) == before
    assert _client(db).secret_hash.endswith(hashlib.sha256(secret.encode()).hexdigest())
    # the form it shows carries the registration as it is now: saving that one works
    version = VERSION.search(again.get_data(as_text=True))
    assert html.unescape(version.group(1)) == _opened(central)


def test_another_administrators_change_in_between_is_not_overwritten(app, central, db):
    register_client(app.extensions["test.db"], "demo-app")
    opened = _opened(central)
    assert _save(central, redirect_uris="https://rp.example.be/first").status_code == 302
    stale = post(central, PAGE, {**_form(redirect_uris="https://rp.example.be/second", auth="keep"),
                                 "version": opened})
    assert stale.status_code == 409
    assert _client(db).redirect_uris == ["https://rp.example.be/first"]
    assert post(central, PAGE, _form(auth="keep")).status_code == 409  # no version: not seen either


def test_a_local_administrator_gets_403_and_changes_nothing(client, db):
    sign_in(client, AN, MERELBEKE)
    before = _audit_count(db)
    assert client.get(PAGE).status_code == 403
    refused = post(client, PAGE, _form(auth="secret"))
    assert refused.status_code == 403 and "client-secret" not in text(refused)
    assert _client(db) is None and _audit_count(db) == before
    assert "OIDC-client" not in text(client.get("/admin/central/catalog"))


def test_a_post_without_a_valid_form_token_is_refused(central, db):
    before = _audit_count(db)
    for token in (None, "vervalst"):
        data = _form(auth="secret")
        if token:
            data["csrf_token"] = token
        refused = central.post(PAGE, data=data)
        assert refused.status_code == 400 and "client-secret" not in text(refused)
    assert _client(db) is None and _audit_count(db) == before


def test_an_unknown_application_is_a_404(central):
    assert central.get("/admin/central/catalog/applications/geen-app/oidc").status_code == 404


def test_english_page(central):
    post(central, "/admin/language", {"language": "en", "next": PAGE})
    page = text(central.get(PAGE))
    assert "Register or change the OIDC client" in page and "Redirect URIs" in page
    refused = text(_save(central, redirect_uris=""))
    assert "an OIDC client needs at least one redirect URI" in refused
    refused = text(_save(central, redirect_uris="http://rp.example.be/cb"))
    assert "'http://rp.example.be/cb' must be an absolute https URL" in refused
    private = json.dumps({"keys": [new_rsa_key().as_dict(private=True)]})
    refused = text(_save(central, auth="jwks", jwks_json=private))
    assert "Invalid input: the JWKS holds a private key; register only the public one" in refused
    refused = text(_save(central, auth="jwks", jwks_json='{"keys": []}'))
    assert "Invalid input: the JWKS needs a list 'keys' with at least one key" in refused
    assert "Ongeldige invoer" not in refused and "sleutel" not in refused


@pytest.fixture(scope="module")
def bridge_keys(tmp_path_factory):
    certs = tmp_path_factory.mktemp("bridge-certs")
    return {name: ensure_dev_keypair(certs, name, f"test {name}")
            for name in ("idp", "sp", "dev-eid", "oidc")}


@pytest.fixture
def op(tmp_path, app, bridge_keys) -> BridgeHarness:
    """The bridge on the admin UI's database: what the catalog page commits, it reads."""
    return BridgeHarness(tmp_path, app.extensions["test.engine"], bridge_keys)


@pytest.mark.parametrize("auth", ["jwks", "secret"])
def test_a_client_registered_on_the_page_works_on_the_next_request(central, op, auth):
    added = post(central, "/admin/central/catalog/applications",
                 {"code": "bibliotheek", "name": "Bibliotheek", "capacity": "employee"})
    assert added.status_code == 302, text(added)
    key = new_rsa_key()
    done = _save(central, "/admin/central/catalog/applications/bibliotheek/oidc",
                 auth=auth, redirect_uris=REDIRECT, jwks_json=_jwks(key),
                 scopes=["profile", "capacity", "rights"])
    assert done.status_code in (200, 302), text(done)
    secret = SECRET.search(text(done)).group(1) if auth == "secret" else None
    rp = RelyingParty(op, "bibliotheek", secret=secret, key=None if secret else key)
    answer = oidc_sign_in(op.browser(), authorize_url(rp), BART, MERELBEKE)
    tokens = tokens_for(rp, answer)
    claims = rp.id_claims(tokens["id_token"])
    assert claims["aud"] in ("bibliotheek", ["bibliotheek"]) and claims["nonce"] == "n-1"
    assert rp.userinfo(tokens["access_token"]).json["family_name"] == "Claes"
