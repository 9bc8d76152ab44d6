"""A relying party that is not ours: Authlib's own OAuth 2.0 client (requests integration)
discovers the provider, authenticates with `private_key_jwt` and asks `/oidc/rights` with a
`client_credentials` token, over real HTTP against the bridge on a free port."""
from __future__ import annotations

import socket
import threading

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
