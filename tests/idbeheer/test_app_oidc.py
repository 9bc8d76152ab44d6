"""The all-in-one app serves the OpenID Provider under /oidc/ (the bridge's prefix) with its
own generated key in demo mode, and keeps /oidc/ out of the admin UI."""
from idbeheer.app import create_app
from idbeheer.settings import from_env


def test_discovery_and_jwks_of_the_all_in_one_app(fresh_url, tmp_path):
    settings = from_env({"IDBEHEER_HOME": str(tmp_path), "IDBEHEER_DATABASE_URL": fresh_url,
                         "IDBEHEER_CERTS_DIR": str(tmp_path / "certs"),
                         "IDBEHEER_METADATA_DIR": str(tmp_path / "metadata")})
    client = create_app(settings).test_client()
    doc = client.get("/oidc/.well-known/openid-configuration").json
    assert doc["issuer"] == settings.base_url.rstrip("/") + "/oidc"
    assert client.get("/oidc/jwks").json["keys"][0]["alg"] == "RS256"
    assert (tmp_path / "certs" / "oidc.key").exists()
    assert client.post("/oidc/token", data={}).json["error"] == "invalid_request"
