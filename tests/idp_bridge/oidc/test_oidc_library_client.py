"""A relying party that is not ours: Authlib's own OAuth 2.0 client (requests integration)
discovers the provider, signs a person in with the authorization code flow and PKCE,
authenticates with `private_key_jwt`, and asks `/oidc/rights` with a `client_credentials`
token, over real HTTP against the bridge on a free port."""
from __future__ import annotations

import socket
import threading
from urllib.parse import parse_qsl, urlsplit

import pytest
import requests
from authlib.integrations.requests_client import OAuth2Session
from authlib.oauth2.rfc7523 import PrivateKeyJWT
from support import BART, MERELBEKE
from support.bridge import BridgeHarness
from support.oidc import register
from werkzeug.serving import make_server


@pytest.fixture
def live_op(tmp_path, bridge_engine, oidc_keys):
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        port = s.getsockname()[1]
    base = f"http://127.0.0.1:{port}"
    harness = BridgeHarness(tmp_path, bridge_engine, oidc_keys, config_overrides={"base_url": base})
    server = make_server("127.0.0.1", port, harness.app, threaded=True)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    harness.base = base
    yield harness
    server.shutdown()
    thread.join(5)


def test_authlib_client_private_key_jwt_client_credentials_then_rights(live_op):
    rp = register(live_op)
    discovery = requests.get(live_op.base + "/oidc/.well-known/openid-configuration", timeout=5).json()
    token_url = discovery["token_endpoint"]
    client = OAuth2Session("demo-app", rp.key.as_dict(private=True), token_endpoint_auth_method=PrivateKeyJWT(
        token_url, alg="RS256"))
    client.register_client_auth_method(PrivateKeyJWT(token_url, alg="RS256"))
    token = client.fetch_token(token_url, grant_type="client_credentials", scope="rights")
    assert token["token_type"] == "Bearer" and token["scope"] == "rights"
    sub = live_op.app.extensions["idp_bridge.oidc"].name_ids.name_id("demo-app", BART)
    answer = client.get(live_op.base + "/oidc/rights", params={"sub": sub}, timeout=5)
    assert answer.status_code == 200 and answer.json()["rights"] == [f"demo-app-reader@{MERELBEKE}"]
    introspected = client.introspect_token(discovery["introspection_endpoint"], token=token["access_token"])
    assert introspected.json()["active"] is True


@pytest.mark.parametrize("app, capacity, expected", [
    ("demo-app", MERELBEKE, {"capacity": "employee", "government": MERELBEKE,
                             "rights": [f"demo-app-reader@{MERELBEKE}"]}),
    ("any", "citizen", {"capacity": "citizen", "rights": []}),  # an application for everyone
])
def test_authlib_client_code_flow_with_pkce_and_private_key_jwt(live_op, app, capacity, expected):
    """Authlib's client does the whole authorization code flow: discovery, the authorization
    URL with PKCE S256 and a nonce, the browser's journey through the bridge and dev_eid, the
    code exchange with a private_key_jwt assertion (Authlib checks state), the ID token
    verified with /oidc/jwks only, userinfo; then client_credentials -> /oidc/rights."""
    from authlib.common.security import generate_token
    from joserfc import jwt
    from joserfc.jwk import KeySet
    from support.http_browser import HttpBrowser, walk
    from support.oidc import REDIRECT, random_code

    code = "demo-app" if app == "demo-app" else random_code()
    rp = register(live_op, code, **({} if app == "demo-app" else {"capacity": "any"}))
    discovery = requests.get(live_op.base + "/oidc/.well-known/openid-configuration", timeout=5).json()
    token_url = discovery["token_endpoint"]
    client = OAuth2Session(code, rp.key.as_dict(private=True), redirect_uri=REDIRECT,
                           scope="openid profile capacity rights", code_challenge_method="S256",
                           token_endpoint_auth_method=PrivateKeyJWT(token_url, alg="RS256"))
    client.register_client_auth_method(PrivateKeyJWT(token_url, alg="RS256"))
    verifier, nonce = generate_token(48), generate_token(24)
    url, state = client.create_authorization_url(discovery["authorization_endpoint"], nonce=nonce,
                                                 code_verifier=verifier)
    back = walk(HttpBrowser(), url, BART, capacity, stop_at=REDIRECT)
    assert back.location, back.text[:800]
    answer = dict(parse_qsl(urlsplit(back.location).query))
    assert answer["state"] == state and answer["iss"] == discovery["issuer"]  # RFC 9207
    token = client.fetch_token(token_url, authorization_response=back.location, code_verifier=verifier)
    jwks = KeySet.import_key_set(requests.get(discovery["jwks_uri"], timeout=5).json())
    claims = jwt.decode(token["id_token"], jwks, algorithms=["RS256"]).claims
    jwt.JWTClaimsRegistry(iss={"essential": True, "value": discovery["issuer"]},
                          aud={"essential": True, "value": code},
                          nonce={"essential": True, "value": nonce}, exp={"essential": True},
                          sub={"essential": True}).validate(claims)
    assert claims["given_name"] == "Bart" and claims["acr"] == "urn:lb-idbeheer:acr:eid"
    assert {k: claims[k] for k in expected} == expected
    userinfo = client.get(discovery["userinfo_endpoint"], timeout=5).json()
    assert userinfo["sub"] == claims["sub"] and userinfo["rights"] == expected["rights"]
    # The back end asks for the same person's rights with a token of its own.
    backend = OAuth2Session(code, rp.key.as_dict(private=True),
                            token_endpoint_auth_method=PrivateKeyJWT(token_url, alg="RS256"))
    backend.register_client_auth_method(PrivateKeyJWT(token_url, alg="RS256"))
    backend.fetch_token(token_url, grant_type="client_credentials", scope="rights")
    rights = backend.get(live_op.base + "/oidc/rights", params={"sub": claims["sub"]}, timeout=5).json()
    assert rights["rights"] == expected["rights"]
