"""The discovery document (OpenID Connect Discovery 1.0) at
`/oidc/.well-known/openid-configuration`: what standard clients configure themselves from."""
from __future__ import annotations

from typing import Any

from attribute_authority.oidc_clients import SCOPES

from .clients import ASSERTION_ALGORITHMS
from .signing import ALGORITHM

CLAIMS = ["sub", "iss", "aud", "exp", "iat", "auth_time", "nonce", "acr", "amr", "sid", "azp",
          "given_name", "family_name", "rrn", "capacity", "government", "rights"]


def configuration(issuer: str) -> dict[str, Any]:
    return {
        "issuer": issuer,
        "authorization_endpoint": issuer + "/authorize",
        "token_endpoint": issuer + "/token",
        "userinfo_endpoint": issuer + "/userinfo",
        "jwks_uri": issuer + "/jwks",
        "introspection_endpoint": issuer + "/introspect",
        "end_session_endpoint": issuer + "/logout",
        "response_types_supported": ["code"],
        "response_modes_supported": ["query"],
        "grant_types_supported": ["authorization_code", "refresh_token", "client_credentials"],
        "subject_types_supported": ["pairwise"],
        "id_token_signing_alg_values_supported": [ALGORITHM],
        "scopes_supported": list(SCOPES),
        "claims_supported": CLAIMS,
        "acr_values_supported": ["urn:lb-idbeheer:acr:eid", "urn:lb-idbeheer:acr:token"],
        "prompt_values_supported": ["none", "login"],
        "code_challenge_methods_supported": ["S256"],
        # "none": public clients (registered --public), each code proven with PKCE S256.
        "token_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic", "none"],
        "token_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "introspection_endpoint_auth_methods_supported": ["private_key_jwt", "client_secret_basic"],
        "introspection_endpoint_auth_signing_alg_values_supported": ASSERTION_ALGORITHMS,
        "authorization_response_iss_parameter_supported": True,
        "claims_parameter_supported": False,
        "request_parameter_supported": False,
        "request_uri_parameter_supported": False,
        "backchannel_logout_supported": True,
        "backchannel_logout_session_supported": True,
        "frontchannel_logout_supported": False,
        "ui_locales_supported": ["nl", "en"],
    }
