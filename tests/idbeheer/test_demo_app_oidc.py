"""demo-app in OpenID Connect mode (BASE/demo-app-oidc, client demo-app, private_key_jwt):
its registration in demo mode, its authorization request, and every refusal of what comes back
to it (state, iss, forged logout tokens, a stale sign-out form). All-in-one app, Flask test
client, no browser."""
import time
import uuid
from urllib.parse import parse_qs, urlsplit

import pytest
from joserfc import jwt
from sqlalchemy import func, select

from attribute_authority import oidc_clients
from attribute_authority.db import make_engine, session_factory, unit_of_work
from attribute_authority.models import AuditEvent
from examples.demo_app.oidc_client import BACKCHANNEL_EVENT, client_jwk, public_jwks
from examples.demo_app.registration import demo_oidc_keypair, oidc_registration
from idbeheer.app import create_app
from idbeheer.demo_mode import register_demo_clients
from idbeheer.keys import service_keys
from idbeheer.settings import from_env

BASE = "http://localhost"


@pytest.fixture
def settings(databases, register, tmp_path):
    return from_env({
        "IDBEHEER_HOME": str(tmp_path / "var"), "IDBEHEER_DATABASE_URL": databases.seeded(register),
        "IDBEHEER_BASE_URL": BASE, "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
        "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")})


@pytest.fixture
def db(settings):
    engine = make_engine(settings.database_url)
    yield session_factory(engine)
    engine.dispose()


@pytest.fixture
def client(settings, db):
    with unit_of_work(db) as session:
        register_demo_clients(session, settings)
    return create_app(settings).test_client()


def _audit_rows(db) -> int:
    with db() as session:
        return session.scalar(select(func.count()).select_from(AuditEvent))


def test_demo_mode_registers_demo_app_as_oidc_client_once_and_follows_the_base_url(settings, db):
    before = _audit_rows(db)
    with unit_of_work(db) as session:
        assert register_demo_clients(session, settings) is True
    with unit_of_work(db) as session:  # unchanged: nothing written, nothing audited
        assert register_demo_clients(session, settings) is False
    assert _audit_rows(db) == before + 1
    with db() as session:
        row = oidc_clients.client_for(session, "demo-app")
        assert row.redirect_uris == [BASE + "/demo-app-oidc/callback"]
        assert row.post_logout_redirect_uris == [BASE + "/demo-app-oidc/signed-out"]
        assert row.secret_hash is None and row.jwks == public_jwks(demo_oidc_keypair(settings.certs_dir))
        assert "d" not in row.jwks["keys"][0]  # the public key only
    moved = oidc_registration("http://127.0.0.1:8123", settings.certs_dir)
    with unit_of_work(db) as session:
        assert oidc_clients.seed_client(session, "demo-app", **moved) is True
    with db() as session:
        assert oidc_clients.client_for(session, "demo-app").redirect_uris == [
            "http://127.0.0.1:8123/demo-app-oidc/callback"]
    assert (settings.certs_dir / "demo-app-oidc.key").exists()


def test_seed_client_refuses_an_application_not_in_the_catalog(db, settings):
    from attribute_authority.errors import InvalidInput

    with pytest.raises(InvalidInput), unit_of_work(db) as session:
        oidc_clients.seed_client(session, "no-such-app", **oidc_registration(BASE, settings.certs_dir))


def test_anonymous_page_offers_the_oidc_sign_in(client):
    page = client.get("/demo-app-oidc/")
    assert page.status_code == 200
    assert "Aanmelden met eID of federaal token (OpenID Connect)" in page.get_data(as_text=True)


def test_login_sends_an_authorization_request_with_pkce_state_and_nonce(client):
    answer = client.get("/demo-app-oidc/login?capacity=44088")
    assert answer.status_code == 302
    url = urlsplit(answer.location)
    assert url.path == "/oidc/authorize"
    query = {k: v[0] for k, v in parse_qs(url.query).items()}
    assert query["client_id"] == "demo-app" and query["response_type"] == "code"
    assert query["redirect_uri"] == BASE + "/demo-app-oidc/callback"
    assert query["code_challenge_method"] == "S256" and len(query["code_challenge"]) == 43
    assert query["scope"] == "openid profile capacity rights" and query["capacity"] == "44088"
    assert len(query["state"]) >= 32 and len(query["nonce"]) >= 32
    # A capacity that is no government code is not passed on.
    bad = client.get("/demo-app-oidc/login?capacity=%3Cscript%3E")
    assert "capacity" not in parse_qs(urlsplit(bad.location).query)


@pytest.mark.parametrize("args", [
    "code=x&state=wrong&iss=http%3A%2F%2Flocalhost%2Foidc",  # another state: CSRF or a mix-up
    "code=x&iss=http%3A%2F%2Flocalhost%2Foidc",  # no state
    "code=x&STATE&iss=http%3A%2F%2Fevil.example%2Foidc",  # another issuer (RFC 9207)
    "code=x&STATE",  # no iss
    "error=access_denied&STATE&iss=http%3A%2F%2Flocalhost%2Foidc",
])
def test_callback_refuses_what_it_did_not_ask_for(client, args):
    state = parse_qs(urlsplit(client.get("/demo-app-oidc/login").location).query)["state"][0]
    answer = client.get("/demo-app-oidc/callback?" + args.replace("STATE", "state=" + state))
    assert answer.status_code == 400
    assert "Deze aanmelding kunnen we niet aanvaarden" in answer.get_data(as_text=True)
    assert "Aanmelden met eID" in client.get("/demo-app-oidc/").get_data(as_text=True)


def test_callback_without_a_pending_request_is_refused(client):
    answer = client.get("/demo-app-oidc/callback?code=x&state=y&iss=http%3A%2F%2Flocalhost%2Foidc")
    assert answer.status_code == 400 and "state_mismatch" in answer.get_data(as_text=True)


def _logout_token(key, **overrides) -> str:
    now = int(time.time())
    claims = {"iss": BASE + "/oidc", "aud": "demo-app", "iat": now, "jti": uuid.uuid4().hex,
              "sid": "session-1", "events": {BACKCHANNEL_EVENT: {}}}
    claims.update(overrides)
    claims = {k: v for k, v in claims.items() if v is not None}
    return jwt.encode({"alg": "RS256", "kid": key.kid, "typ": "logout+jwt"}, claims, key)


def test_backchannel_logout_accepts_the_bridges_logout_token(client, settings):
    bridge_key = client_jwk(service_keys(settings, "oidc", "")[0])
    answer = client.post("/demo-app-oidc/backchannel-logout",
                         data={"logout_token": _logout_token(bridge_key)})
    assert answer.status_code == 200


@pytest.mark.parametrize("overrides", [
    {"aud": "another-app"}, {"iss": "http://evil.example/oidc"}, {"events": None},
    {"nonce": "n"}, {"sid": None}, {"iat": None},
])
def test_backchannel_logout_refuses_a_wrong_logout_token(client, settings, overrides):
    bridge_key = client_jwk(service_keys(settings, "oidc", "")[0])
    answer = client.post("/demo-app-oidc/backchannel-logout",
                         data={"logout_token": _logout_token(bridge_key, **overrides)})
    assert answer.status_code == 400 and answer.json == {"error": "invalid_request"}


def test_backchannel_logout_refuses_a_token_signed_by_another_key(client, settings):
    other = client_jwk(demo_oidc_keypair(settings.certs_dir))  # demo-app's own key, not the bridge's
    answer = client.post("/demo-app-oidc/backchannel-logout", data={"logout_token": _logout_token(other)})
    assert answer.status_code == 400
    assert client.post("/demo-app-oidc/backchannel-logout", data={}).status_code == 400


def test_sign_out_form_needs_its_token_and_the_signed_out_page_its_state(client):
    assert client.post("/demo-app-oidc/logout", data={"csrf": "forged"}).status_code == 400
    assert client.get("/demo-app-oidc/signed-out?state=anything").status_code == 400


def test_jwks_publishes_the_public_key_only(client, settings):
    jwks = client.get("/demo-app-oidc/jwks").json
    assert jwks == public_jwks(demo_oidc_keypair(settings.certs_dir))
    assert set(jwks["keys"][0]) == {"kty", "n", "e", "kid", "use", "alg"}


# -- back with a code: the exchange, the ID token, the page ----------------------------------
# The code is issued through the provider's grant store, as its authorization endpoint issues
# it after the sign-in; everything after that is the real token endpoint, JWKS, userinfo and
# /oidc/rights.


def _provider(app):
    return next(a.extensions["idp_bridge.oidc"] for _p, a in app.extensions["idbeheer.mounted"]
                if "idp_bridge.oidc" in a.extensions)


def _asked(client) -> dict[str, str]:
    """demo-app-oidc's authorization request (its pending state kept in its session)."""
    location = client.get("/demo-app-oidc/login").location
    return {k: v[0] for k, v in parse_qs(urlsplit(location).query).items()}


def _answer(client, rrn="90021411412", capacity=("employee", "44088"), sid="sid-1", **wrong) -> dict:
    """The provider's answer to a new request of demo-app-oidc, the code issued for it (as
    /oidc/authorize does once the person is signed in): the callback's query."""
    import datetime as dt

    from idp_bridge.oidc.grants import Grant
    from idp_bridge.person import Capacity, SignedInPerson

    asked = _asked(client)
    person = SignedInPerson(rrn=rrn, surname="Claes", given_name="Bart", method="eid",
                            authn_instant=dt.datetime.now(dt.UTC), capacity=Capacity(*capacity))
    provider = _provider(client.application)
    grant = Grant(client_id="demo-app", scopes=asked["scope"].split(), person=person.to_dict(), sid=sid,
                  redirect_uri=asked["redirect_uri"], nonce=wrong.get("nonce", asked["nonce"]),
                  code_challenge=asked["code_challenge"], auth_time=provider.epoch(),
                  session_ends=provider.epoch() + 3600)
    return {"code": provider.grants.new_code(grant), "state": asked["state"], "iss": BASE + "/oidc"}


def _come_back(client, **kw):
    return client.get("/demo-app-oidc/callback", query_string=_answer(client, **kw))


def test_back_with_a_code_demo_app_shows_the_claims_userinfo_and_rights(client):
    answer = _come_back(client)
    assert answer.status_code == 303 and answer.location.endswith("/demo-app-oidc/")
    page = client.get("/demo-app-oidc/").get_data(as_text=True)
    assert "Bart Claes" in page and "bestuur <code>44088</code>" in page
    assert page.count("demo-app-reader@44088") >= 2  # in the ID token and from /oidc/rights now
    assert "<code>acr</code>" in page and "urn:lb-idbeheer:acr:eid" in page
    assert "Userinfo, nu" in page and "(niet beschikbaar)" not in page


def test_an_id_token_for_another_nonce_is_refused(client):
    answer = _come_back(client, nonce="not-the-one-we-sent")
    assert answer.status_code == 400 and "id_token_nonce" in answer.get_data(as_text=True)
    assert "Aanmelden met eID" in client.get("/demo-app-oidc/").get_data(as_text=True)


def test_a_code_used_twice_is_refused(client):
    query = _answer(client)
    assert client.get("/demo-app-oidc/callback", query_string=query).status_code == 303
    asked = _asked(client)  # a new request; the old answer is sent again with its state
    replay = client.get("/demo-app-oidc/callback", query_string={**query, "state": asked["state"]})
    assert replay.status_code == 400 and "token_refused:invalid_grant" in replay.get_data(as_text=True)


def test_backchannel_logout_ends_the_signed_in_session(client, settings):
    _come_back(client, sid="bridge-session-7")
    assert "Bart Claes" in client.get("/demo-app-oidc/").get_data(as_text=True)
    bridge_key = client_jwk(service_keys(settings, "oidc", "")[0])
    other = client.post("/demo-app-oidc/backchannel-logout",
                        data={"logout_token": _logout_token(bridge_key, sid="another-session")})
    assert other.status_code == 200
    assert "Bart Claes" in client.get("/demo-app-oidc/").get_data(as_text=True)  # not this one
    ended = client.post("/demo-app-oidc/backchannel-logout",
                        data={"logout_token": _logout_token(bridge_key, sid="bridge-session-7")})
    assert ended.status_code == 200
    assert "Aanmelden met eID" in client.get("/demo-app-oidc/").get_data(as_text=True)


def test_sign_out_sends_the_browser_to_the_providers_end_session_with_the_id_token(client):
    _come_back(client)
    page = client.get("/demo-app-oidc/").get_data(as_text=True)
    import re

    csrf = re.search(r'name="csrf" value="([^"]+)"', page).group(1)
    answer = client.post("/demo-app-oidc/logout", data={"csrf": csrf})
    assert answer.status_code == 302
    end = urlsplit(answer.location)
    query = {k: v[0] for k, v in parse_qs(end.query).items()}
    assert end.path == "/oidc/logout" and query["id_token_hint"].count(".") == 2
    assert query["post_logout_redirect_uri"] == BASE + "/demo-app-oidc/signed-out"
    assert "Aanmelden met eID" in client.get("/demo-app-oidc/").get_data(as_text=True)
    back = client.get("/demo-app-oidc/signed-out", query_string={"state": query["state"]})
    assert back.status_code == 200 and "U bent afgemeld" in back.get_data(as_text=True)


def test_its_page_keeps_its_content_in_one_main_landmark(client):
    """axe's landmark rules (found by the browser tests): the whole page in one <main>."""
    for path in ("/demo-app-oidc/", "/demo-app-oidc/signed-out"):
        html = client.get(path).get_data(as_text=True)
        body = html.split("<body>", 1)[1]
        assert html.count("<main>") == 1 and body.startswith("<main>"), path
        assert body.rstrip().endswith("</main></body></html>"), path
