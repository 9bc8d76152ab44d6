"""/oidc/rights and /oidc/token in the all-in-one app are plain WSGI endpoints in front of
Flask, like /aa/soap (idp_bridge/oidc/rights_door.py): the same answers and OAuth refusals as
the bridge's Flask routes, a revoke visible at the next call (R8). demo-app's OIDC mode asks
them."""
from types import SimpleNamespace

import pytest
from support import BART, CHRIS, MERELBEKE, NAZARETH
from support.oidc import revoke_grant

from attribute_authority.db import make_engine, session_factory, unit_of_work
from examples.demo_app.oidc_client import RelyingParty
from examples.demo_app.registration import demo_oidc_keypair
from idbeheer.app import create_app, in_process_http
from idbeheer.demo_mode import register_demo_clients
from idbeheer.settings import from_env


@pytest.fixture
def served(databases, register, tmp_path):
    settings = from_env({
        "IDBEHEER_HOME": str(tmp_path / "var"), "IDBEHEER_DATABASE_URL": databases.seeded(register),
        "IDBEHEER_BASE_URL": "http://localhost", "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata"),
        "IDBEHEER_CERTS_DIR": str(tmp_path / "certs")})
    engine = make_engine(settings.database_url)
    with unit_of_work(session_factory(engine)) as session:
        register_demo_clients(session, settings)
    app = create_app(settings)
    rp = RelyingParty(issuer="http://localhost/oidc", client_id="demo-app",
                      keypair=demo_oidc_keypair(settings.certs_dir),
                      redirect_uri="http://localhost/demo-app-oidc/callback", http=in_process_http(app))
    yield app, rp, session_factory(engine)
    engine.dispose()


def _sub(app, rrn: str) -> str:
    provider = next(a.extensions["idp_bridge.oidc"] for _prefix, a in app.extensions["idbeheer.mounted"]
                    if "idp_bridge.oidc" in a.extensions)
    return provider.name_ids.name_id("demo-app", rrn)


def test_rights_through_the_plain_endpoint(served):
    app, rp, _db = served
    status, answer = rp.rights(_sub(app, BART))
    assert status == 200 and answer["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    assert answer["sub"] == _sub(app, BART) and answer["at"]
    status, answer = rp.rights(_sub(app, CHRIS), [NAZARETH])
    assert status == 200 and answer["rights"] == []
    response = app.test_client().get("/oidc/rights?sub=" + _sub(app, BART),
                                     headers={"Authorization": "Bearer " + rp.client_token()})
    assert response.headers["Cache-Control"] == "no-store" and response.mimetype == "application/json"
    assert response.headers["X-Request-ID"]  # observed like /aa/soap: logs and metrics


def test_a_revoke_is_gone_from_the_next_answer(served):
    app, rp, db = served
    assert rp.rights(_sub(app, BART))[1]["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    revoke_grant(SimpleNamespace(db=db), BART, "demo-app-reader")
    assert rp.rights(_sub(app, BART))[1]["rights"] == []


@pytest.mark.parametrize("headers, query, method, status, error", [
    ({}, "sub=x", "GET", 401, "invalid_token"),
    ({"Authorization": "Bearer nope"}, "sub=x", "GET", 401, "invalid_token"),
    (None, "sub=x&sub=y", "GET", 400, "invalid_request"),
    (None, "", "GET", 400, "invalid_request"),
    (None, "sub=not-a-sub", "GET", 404, "unknown_person"),
    (None, "rrn=" + BART, "GET", 403, "insufficient_scope"),  # demo-app has no rrn scope
    (None, "sub=x", "POST", 405, "invalid_request"),
])
def test_refusals_are_oauth_errors(served, headers, query, method, status, error):
    app, rp, _db = served
    if headers is None:
        headers = {"Authorization": "Bearer " + rp.client_token()}
    response = app.test_client().open("/oidc/rights?" + query, method=method, headers=headers)
    assert response.status_code == status and response.json["error"] == error
    if status == 401:
        assert response.headers["WWW-Authenticate"].startswith("Bearer")


def test_tokens_through_the_plain_endpoint(served):
    app, rp, _db = served
    token = rp.client_token()  # demo-app's client: private_key_jwt, client_credentials
    assert token
    response = app.test_client().post("/oidc/token", data={"grant_type": "client_credentials",
                                                           **_assertion(rp)})
    assert response.status_code == 200 and response.json["token_type"] == "Bearer"
    assert response.headers["Cache-Control"] == "no-store" and response.headers["X-Request-ID"]


def _assertion(rp) -> dict[str, str]:
    return {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": rp._assertion("http://localhost/oidc/token")}


@pytest.mark.parametrize("form, method, status, error", [
    ({}, "POST", 400, "invalid_request"),  # no grant_type
    ({"grant_type": "password"}, "POST", 400, "unsupported_grant_type"),
    ({"grant_type": "client_credentials"}, "POST", 401, "invalid_client"),  # no authentication
    ({"grant_type": "authorization_code", "code": "nope", "redirect_uri": "x", "assert": True},
     "POST", 400, "invalid_grant"),
    ({"grant_type": "client_credentials", "assert": True, "scope": "rights rrn"}, "POST", 400,
     "invalid_scope"),
    ({"grant_type": "client_credentials"}, "GET", 405, "invalid_request"),
    ({"grant_type": "client_credentials", "x": "y" * 70_000}, "POST", 413, "invalid_request"),
])
def test_token_refusals_are_oauth_errors(served, form, method, status, error):
    app, rp, _db = served
    if form.pop("assert", False):
        form.update(_assertion(rp))
    response = app.test_client().open("/oidc/token", method=method, data=form)
    assert response.status_code == status and response.json["error"] == error, response.json
    assert response.headers["Cache-Control"] == "no-store"
    if status == 401:
        assert response.headers["WWW-Authenticate"]


def test_a_repeated_token_parameter_is_refused(served):
    app, rp, _db = served
    from werkzeug.datastructures import MultiDict

    response = app.test_client().post("/oidc/token", data=MultiDict([
        ("grant_type", "client_credentials"), ("grant_type", "client_credentials"),
        *_assertion(rp).items()]))
    assert response.status_code == 400 and response.json["error"] == "invalid_request"
