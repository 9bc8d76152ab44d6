"""Discovery, JWKS, client authentication at the token endpoint, client_credentials and
/oidc/rights, introspection: every refusal an OAuth error JSON (issue 12 points 2, 4, 6)."""
from __future__ import annotations

import base64
import time

import pytest
from joserfc import jwt
from joserfc.jwk import KeySet
from support import BART, MERELBEKE
from support.oidc import ISSUER, register


def test_jwks_publishes_the_signing_key_and_the_staged_next_key(op, oidc_keys, tmp_path):
    from idp_bridge.oidc.signing import SigningKeys

    jwks = op.app.test_client().get("/oidc/jwks").json
    assert [k["kty"] for k in jwks["keys"]] == ["RSA"] and "d" not in jwks["keys"][0]
    staged = SigningKeys(oidc_keys["oidc"], oidc_keys["idp"])
    assert len(staged.jwks()["keys"]) == 2
    token = staged.sign({"x": 1})
    assert jwt.decode(token, KeySet.import_key_set(staged.jwks()), algorithms=["RS256"]).claims == {"x": 1}
    assert staged.jwks()["keys"][0]["kid"] == jwks["keys"][0]["kid"]  # the current key signs


def test_client_credentials_with_private_key_jwt_then_rights(rp):
    token = rp.client_token()
    answer = rp.http.get(f"/oidc/rights?rrn={BART}", headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 403  # demo-app is not allowed rrn lookups
    sub = rp.op.app.extensions["idp_bridge.oidc"].name_ids.name_id("demo-app", BART)
    answer = rp.http.get(f"/oidc/rights?sub={sub}", headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 200, answer.json
    assert answer.json["sub"] == sub and answer.json["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    assert answer.headers["Cache-Control"] == "no-store"
    scoped = rp.http.get(f"/oidc/rights?sub={sub}&government=44086",
                         headers={"Authorization": "Bearer " + token})
    assert scoped.json["rights"] == []


def test_rights_by_rrn_for_an_application_allowed_the_rrn_scope(op):
    rp = register(op, scopes=("openid", "rrn", "rights"))
    token = rp.client_token()
    answer = rp.http.get(f"/oidc/rights?rrn={BART}", headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 200 and answer.json["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    unknown = rp.http.get("/oidc/rights?rrn=88421013756", headers={"Authorization": "Bearer " + token})
    assert unknown.status_code == 404 and unknown.json["error"] == "unknown_person"
    bad = rp.http.get("/oidc/rights?rrn=12345678901", headers={"Authorization": "Bearer " + token})
    assert bad.status_code == 400 and bad.json["error"] == "invalid_request"


def test_rights_refusals(rp):
    assert rp.http.get("/oidc/rights?sub=x").status_code == 401
    wrong = rp.http.get("/oidc/rights?sub=x", headers={"Authorization": "Bearer nope"})
    assert wrong.status_code == 401 and wrong.json["error"] == "invalid_token"
    assert "Bearer" in wrong.headers["WWW-Authenticate"]
    token = rp.client_token()
    in_url = rp.http.get(f"/oidc/rights?sub=x&access_token={token}")
    assert in_url.status_code == 401  # tokens in URLs are not accepted
    unknown = rp.http.get("/oidc/rights?sub=not-a-sub", headers={"Authorization": "Bearer " + token})
    assert unknown.status_code == 404
    both = rp.http.get("/oidc/rights", headers={"Authorization": "Bearer " + token})
    assert both.status_code == 400 and both.json["error"] == "invalid_request"


def test_rights_of_another_application_are_not_shown(op):
    other = register(op, "idbeheer", name="lb-idbeheer")
    token = other.client_token()
    sub = op.app.extensions["idp_bridge.oidc"].name_ids.name_id("idbeheer", BART)
    answer = other.http.get(f"/oidc/rights?sub={sub}", headers={"Authorization": "Bearer " + token})
    assert answer.status_code == 200 and answer.json["rights"] == []
    # a sub issued to demo-app means nothing to another application
    demo_sub = op.app.extensions["idp_bridge.oidc"].name_ids.name_id("demo-app", BART)
    assert other.http.get(f"/oidc/rights?sub={demo_sub}",
                          headers={"Authorization": "Bearer " + token}).status_code == 404


def test_rights_are_live_r8(own_op):
    from support.oidc import revoke_grant

    rp = register(own_op)
    token = rp.client_token()
    sub = own_op.app.extensions["idp_bridge.oidc"].name_ids.name_id("demo-app", BART)
    before = rp.http.get(f"/oidc/rights?sub={sub}", headers={"Authorization": "Bearer " + token}).json
    assert before["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    revoke_grant(own_op, BART, "demo-app-reader")
    after = rp.http.get(f"/oidc/rights?sub={sub}", headers={"Authorization": "Bearer " + token}).json
    assert after["rights"] == []


def test_client_secret_basic(op):
    rp = register(op, secret=True)
    assert rp.secret and len(rp.secret) >= 40
    assert rp.token(grant_type="client_credentials").status_code == 200
    wrong = base64.b64encode(b"demo-app:wrong").decode()
    answer = rp.http.post("/oidc/token", data={"grant_type": "client_credentials"},
                          headers={"Authorization": "Basic " + wrong})
    assert answer.status_code == 401 and answer.json["error"] == "invalid_client"
    assert answer.headers["WWW-Authenticate"].startswith("Basic")
    # a secret client cannot use a JWT, a post secret is not supported
    post = rp.http.post("/oidc/token", data={"grant_type": "client_credentials", "client_id": "demo-app",
                                             "client_secret": rp.secret})
    assert post.status_code == 401 and post.json["error"] == "invalid_client"


@pytest.mark.parametrize("overrides,why", [
    ({"aud": "https://elsewhere.example/token"}, "aud"),
    ({"iss": "someone-else"}, "iss"),
    ({"sub": "someone-else"}, "sub"),
    ({"exp": int(time.time()) - 600}, "exp"),
    ({"exp": None}, "no exp"),
    ({"iat": None}, "no iat"),
    ({"iat": int(time.time()) + 3600, "exp": int(time.time()) + 3660}, "iat in the future"),
    ({"iat": int(time.time()) - 100, "exp": int(time.time()) + 3600}, "too long"),
    ({"iat": int(time.time()) - 1200, "exp": int(time.time()) + 60}, "issued too long ago"),
    ({"jti": None}, "no jti"),
])
def test_client_assertion_claims_are_checked(rp, overrides, why):
    fields = {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
              "client_assertion": rp.assertion(**overrides), "grant_type": "client_credentials"}
    answer = rp.http.post("/oidc/token", data=fields)
    assert answer.status_code == 401 and answer.json["error"] == "invalid_client", (why, answer.json)


def test_client_assertion_jti_is_used_once(rp):
    assertion = rp.assertion()
    fields = {"client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
              "client_assertion": assertion, "grant_type": "client_credentials"}
    assert rp.http.post("/oidc/token", data=fields).status_code == 200
    again = rp.http.post("/oidc/token", data=fields)
    assert again.status_code == 401 and again.json["error"] == "invalid_client"


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).decode().rstrip("=")


def test_alg_none_and_hs256_with_the_public_key_are_refused(rp):
    import hashlib
    import hmac
    import json

    now = int(time.time())
    claims = {"iss": "demo-app", "sub": "demo-app", "aud": ISSUER + "/token", "iat": now,
              "exp": now + 60, "jti": "j-none"}
    none = _b64(json.dumps({"alg": "none"}).encode()) + "." + _b64(json.dumps(claims).encode()) + "."
    public_pem = rp.key.as_pem(private=False)
    # the classic confusion attack, made by hand (joserfc itself refuses to build it)
    signing_input = (_b64(json.dumps({"alg": "HS256", "kid": rp.key.kid}).encode()) + "."
                     + _b64(json.dumps({**claims, "jti": "j-hs"}).encode()))
    mac = hmac.new(public_pem, signing_input.encode(), hashlib.sha256).digest()
    hs = signing_input + "." + _b64(mac)
    for assertion in (none, hs, "not.a.jwt", "ü"):
        answer = rp.http.post("/oidc/token", data={
            "client_assertion_type": "urn:ietf:params:oauth:client-assertion-type:jwt-bearer",
            "client_assertion": assertion, "grant_type": "client_credentials"})
        assert answer.status_code == 401 and answer.json["error"] == "invalid_client", answer.json


def test_assertion_signed_by_another_key_is_refused(rp):
    from support.oidc import new_rsa_key

    rp.key = new_rsa_key()
    answer = rp.token(grant_type="client_credentials")
    assert answer.status_code == 401 and answer.json["error"] == "invalid_client"


def test_token_endpoint_refusals_are_oauth_errors(rp):
    http = rp.http
    assert http.post("/oidc/token", data={}).json["error"] == "invalid_request"
    unsupported = rp.token(grant_type="password")
    assert unsupported.status_code == 400 and unsupported.json["error"] == "unsupported_grant_type"
    assert "password" not in unsupported.get_data(as_text=True)
    nobody = http.post("/oidc/token", data={"grant_type": "client_credentials"})
    assert nobody.status_code == 401 and nobody.json["error"] == "invalid_client"
    repeated = http.post("/oidc/token", data={"grant_type": ["client_credentials",
                                              "authorization_code"]})
    assert repeated.json["error"] == "invalid_request"
    bad_code = rp.token(grant_type="authorization_code", code="nope", redirect_uri="x")
    assert bad_code.status_code == 400 and bad_code.json["error"] == "invalid_grant"
    bad_refresh = rp.token(grant_type="refresh_token", refresh_token="nope")
    assert bad_refresh.json["error"] == "invalid_grant"
    scope = rp.token(grant_type="client_credentials", scope="rrn rights")
    assert scope.json["error"] == "invalid_scope"
    assert http.get("/oidc/token").status_code == 405


def test_introspection_of_a_client_token(rp, op):
    token = rp.client_token()
    fields, headers = rp.auth()
    answer = rp.http.post("/oidc/introspect", data={**fields, "token": token}, headers=headers)
    assert answer.status_code == 200 and answer.json["active"] is True
    assert answer.json["client_id"] == "demo-app"
    fields, headers = rp.auth()
    unknown = rp.http.post("/oidc/introspect", data={**fields, "token": "nope"}, headers=headers)
    assert unknown.json == {"active": False}
    other = register(op, "idbeheer", name="lb-idbeheer")
    fields, headers = other.auth()
    foreign = other.http.post("/oidc/introspect", data={**fields, "token": token}, headers=headers)
    assert foreign.json == {"active": False}
    assert rp.http.post("/oidc/introspect", data={"token": token}).status_code == 401


def test_a_newly_registered_client_works_on_the_next_request(op):
    from support.oidc import random_code

    code = random_code()
    rp = register(op, code, name="Nieuwe toepassing")
    assert rp.token(grant_type="client_credentials").status_code == 200
