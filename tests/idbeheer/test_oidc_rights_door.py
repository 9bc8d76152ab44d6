"""/oidc/rights in the all-in-one app is a plain WSGI endpoint in front of Flask, like
/aa/soap (idp_bridge/oidc/rights_door.py): the same answers and OAuth refusals as the bridge's
Flask route, a revoke visible at the next call (R8). demo-app's OIDC mode asks it."""
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
