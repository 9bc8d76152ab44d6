"""The OpenID Foundation's Basic OP checks that home-grown providers most often fail (issue 12,
"Tests that must exist"), driven without a browser through the bridge and dev_eid:
prompt=none without a session, prompt=login and max_age forcing a fresh sign-in with a newer
auth_time, code reuse, nonce, unknown or altered redirect_uri, id_token_hint at logout, the
ID token verified with /oidc/jwks only, and a discovery document that says what works."""
from __future__ import annotations

import base64
import json
from urllib.parse import urlencode

import pytest
from joserfc import jwt
from joserfc.errors import JoseError
from joserfc.jwk import KeySet
from support import BART, CHRIS, MERELBEKE
from support.bridge import _path
from support.oidc import (
    ISSUER,
    REDIRECT,
    answer_of,
    authorize_url,
    pkce,
    register,
    sign_in,
    signed_in_again,
)


def _signed_in(rp, browser, **params) -> dict:
    """A first sign-in of Bart as employee of Merelbeke-Melle; the token answer."""
    answer = answer_of(sign_in(browser, authorize_url(rp, **params), BART, MERELBEKE))
    return rp.exchange(answer["code"])


# -- prompt -------------------------------------------------------------------------------------


def test_prompt_none_without_session_is_login_required(op, rp):
    answer = answer_of(op.browser().get(authorize_url(rp, prompt="none")))
    assert answer["error"] == "login_required" and answer["state"] == "st-1"
    assert answer["iss"] == ISSUER and "code" not in answer


def test_prompt_none_with_a_session_answers_without_interaction(op, rp):
    browser = op.browser()
    _signed_in(rp, browser)
    answer = answer_of(browser.get(authorize_url(rp, prompt="none", state="st-2")))
    assert "code" in answer and answer["state"] == "st-2"


def test_prompt_login_forces_a_fresh_sign_in_with_a_newer_auth_time(op, rp):
    browser = op.browser()
    first = rp.id_claims(_signed_in(rp, browser)["id_token"])
    op.clock.advance(seconds=5)
    # with a session, prompt=login still goes upstream (to_dev_eid asserts the redirect)
    again = answer_of(signed_in_again(browser, authorize_url(rp, prompt="login"), BART))
    second = rp.id_claims(rp.exchange(again["code"])["id_token"])
    assert second["auth_time"] >= first["auth_time"] + 5
    assert second["sub"] == first["sub"] and second["government"] == MERELBEKE  # capacity kept


def test_max_age_forces_a_fresh_sign_in_once_the_sign_in_is_older(op, rp):
    browser = op.browser()
    first = rp.id_claims(_signed_in(rp, browser, max_age="1")["id_token"])
    assert "auth_time" in first  # max_age asked: auth_time is REQUIRED (OIDC Core 2)
    # within max_age the session does (no upstream hop)
    within = answer_of(browser.get(authorize_url(rp, max_age="60", state="st-2")))
    assert rp.id_claims(rp.exchange(within["code"])["id_token"])["auth_time"] == first["auth_time"]
    op.clock.advance(seconds=2)
    again = answer_of(signed_in_again(browser, authorize_url(rp, max_age="1"), BART))
    second = rp.id_claims(rp.exchange(again["code"])["id_token"])
    assert second["auth_time"] > first["auth_time"] and "auth_time" in second


def test_max_age_too_old_with_prompt_none_is_login_required(op, rp):
    browser = op.browser()
    _signed_in(rp, browser)
    op.clock.advance(seconds=2)
    assert answer_of(browser.get(authorize_url(rp, prompt="none", max_age="1")))["error"] == "login_required"


def test_id_token_hint_at_authorization_answers_only_for_that_person(op, rp):
    chris = answer_of(sign_in(op.browser(), authorize_url(rp), CHRIS, MERELBEKE))  # another browser
    chris_token = rp.exchange(chris["code"])["id_token"]
    s = op.browser()
    bart_token = _signed_in(rp, s)["id_token"]
    assert "code" in answer_of(s.get(authorize_url(rp, prompt="none", id_token_hint=bart_token)))
    other = answer_of(s.get(authorize_url(rp, prompt="none", id_token_hint=chris_token)))
    assert other["error"] == "login_required"
    assert s.get(authorize_url(rp, id_token_hint=chris_token)).status_code == 302  # signs in afresh
    forged = answer_of(s.get(authorize_url(rp, id_token_hint=bart_token[:-4] + "AAAA")))
    assert forged["error"] == "invalid_request"


# -- code --------------------------------------------------------------------------------------


def test_code_reuse_is_invalid_grant_and_revokes_the_tokens_it_issued(op, rp):
    verifier, challenge = pkce()
    answer = answer_of(sign_in(op.browser(), authorize_url(rp, code_challenge=challenge,
                                                           code_challenge_method="S256"), BART, MERELBEKE))
    tokens = rp.exchange(answer["code"], verifier)
    assert rp.userinfo(tokens["access_token"]).status_code == 200
    again = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT,
                     code_verifier=verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    if "refresh_token" in tokens:
        refreshed = rp.token(grant_type="refresh_token", refresh_token=tokens["refresh_token"])
        assert refreshed.json["error"] == "invalid_grant"


def test_a_code_is_bound_to_its_client_and_redirect_uri(op, rp):
    answer = answer_of(sign_in(op.browser(), authorize_url(rp), BART, MERELBEKE))
    elsewhere = rp.token(grant_type="authorization_code", code=answer["code"],
                         redirect_uri=REDIRECT + "/other")
    assert elsewhere.status_code == 400 and elsewhere.json["error"] == "invalid_grant"


# -- nonce -------------------------------------------------------------------------------------


def test_nonce_is_echoed_and_absent_when_not_sent(op, rp):
    browser = op.browser()
    with_nonce = rp.id_claims(_signed_in(rp, browser, nonce="a-nonce-of-the-rp")["id_token"])
    assert with_nonce["nonce"] == "a-nonce-of-the-rp"
    answer = answer_of(browser.get(authorize_url(rp, nonce=None)))
    assert "nonce" not in rp.id_claims(rp.exchange(answer["code"])["id_token"])


# -- redirect_uri ------------------------------------------------------------------------------


@pytest.mark.parametrize("redirect_uri", [
    "https://evil.example.test/cb",
    REDIRECT + "/extra",  # a prefix match would accept it
    REDIRECT + "?next=https://evil.example.test/",
    REDIRECT.upper(),
    REDIRECT.replace("https://", "http://"),
    REDIRECT + "#frag",
    "",
])
def test_unknown_or_altered_redirect_uri_is_an_error_page_never_a_redirect(op, rp, redirect_uri):
    response = op.browser().get(authorize_url(rp, redirect_uri=redirect_uri, response_type="token"))
    assert response.status_code == 400 and "Location" not in response.headers
    assert "evil" not in response.get_data(as_text=True)


def test_unknown_client_is_an_error_page_never_a_redirect(op, rp):
    unknown = op.browser().get(authorize_url(rp, client_id="no-such-client"))
    assert unknown.status_code == 400 and "Location" not in unknown.headers


# -- logout with id_token_hint -----------------------------------------------------------------


def test_rp_initiated_logout_with_id_token_hint_ends_the_session(op, rp):
    browser = op.browser()
    tokens = _signed_in(rp, browser)
    response = browser.get("/oidc/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    assert response.status_code in (200, 302, 303), response.data[:800]
    assert rp.userinfo(tokens["access_token"]).status_code == 401
    assert answer_of(browser.get(authorize_url(rp, prompt="none")))["error"] == "login_required"


def test_logout_returns_to_a_registered_post_logout_redirect_uri_with_state(op):
    rp = register(op, post_logout_redirect_uris=["https://rp.example.test/bye"])
    browser = op.browser()
    tokens = _signed_in(rp, browser)
    response = browser.get("/oidc/logout?" + urlencode({
        "id_token_hint": tokens["id_token"], "post_logout_redirect_uri": "https://rp.example.test/bye",
        "state": "s-out"}))
    while response.status_code in (302, 303) and response.headers["Location"].startswith("http://localhost/"):
        response = browser.get(_path(response.headers["Location"]))  # the upstream logout hop
    assert response.status_code in (302, 303), response.data[:800]
    assert response.headers["Location"] == "https://rp.example.test/bye?state=s-out"
    assert rp.userinfo(tokens["access_token"]).status_code == 401


def test_logout_refuses_a_foreign_hint_and_an_unregistered_target(op, rp):
    browser = op.browser()
    tokens = _signed_in(rp, browser)
    header, payload, signature = tokens["id_token"].split(".")
    altered = json.loads(base64.urlsafe_b64decode(payload + "=="))
    altered["aud"] = "idbeheer"
    forged = ".".join([header, base64.urlsafe_b64encode(json.dumps(altered).encode()).decode().rstrip("="),
                       signature])
    for hint in ("x.y.z", forged):
        bad = browser.get("/oidc/logout?" + urlencode({"id_token_hint": hint}))
        assert bad.status_code == 400 and "Location" not in bad.headers
    elsewhere = browser.get("/oidc/logout?" + urlencode({"id_token_hint": tokens["id_token"],
                                                         "post_logout_redirect_uri": "https://evil.test/"}))
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
    assert rp.userinfo(tokens["access_token"]).status_code == 200  # nothing ended


# -- the ID token ------------------------------------------------------------------------------


def test_id_token_verifies_with_the_published_jwks_only(op, rp):
    tokens = _signed_in(rp, op.browser())
    claims = rp.id_claims(tokens["id_token"])  # keys from the discovery's jwks_uri
    header = json.loads(base64.urlsafe_b64decode(tokens["id_token"].split(".")[0] + "=="))
    jwks = rp.http.get("/oidc/jwks").json
    assert header["alg"] == "RS256" and header["kid"] in [k["kid"] for k in jwks["keys"]]
    assert all("d" not in k for k in jwks["keys"])  # public keys only
    assert claims["iss"] == ISSUER and claims["aud"] == rp.client_id and claims["exp"] > claims["iat"]
    for claim in ("sub", "auth_time", "acr", "amr"):
        assert claim in claims
    # the same token does not verify with another key, nor as an HMAC over the public key
    from support.oidc import new_rsa_key

    with pytest.raises(JoseError):
        jwt.decode(tokens["id_token"], KeySet([new_rsa_key()]), algorithms=["RS256"])


# -- discovery ---------------------------------------------------------------------------------


def test_discovery_names_the_contract(op):
    doc = op.app.test_client().get("/oidc/.well-known/openid-configuration").json
    assert doc["issuer"] == ISSUER
    for name, path in (("authorization_endpoint", "/authorize"), ("token_endpoint", "/token"),
                       ("userinfo_endpoint", "/userinfo"), ("jwks_uri", "/jwks"),
                       ("introspection_endpoint", "/introspect"), ("end_session_endpoint", "/logout")):
        assert doc[name] == ISSUER + path
    assert doc["response_types_supported"] == ["code"]
    assert doc["code_challenge_methods_supported"] == ["S256"]
    assert set(doc["token_endpoint_auth_methods_supported"]) == {"private_key_jwt", "client_secret_basic",
                                                                 "none"}
    assert doc["authorization_response_iss_parameter_supported"] is True
    assert doc["backchannel_logout_supported"] is True
    assert doc["subject_types_supported"] == ["pairwise"]
    assert "none" not in doc["token_endpoint_auth_signing_alg_values_supported"]
    assert not any(a.startswith("HS") for a in doc["token_endpoint_auth_signing_alg_values_supported"])


def test_discovery_is_consistent_with_what_works(op, rp):
    """Each promise of the document, tried: what it names works, what it denies is refused."""
    http = rp.http
    doc = http.get("/oidc/.well-known/openid-configuration").json
    browser = op.browser()
    verifier, challenge = pkce()
    scope = " ".join(s for s in doc["scopes_supported"] if s != "rrn")
    answer = answer_of(sign_in(browser, authorize_url(rp, scope=scope, code_challenge=challenge,
                                                      code_challenge_method="S256",
                                                      acr_values=" ".join(doc["acr_values_supported"])),
                               BART, MERELBEKE))
    assert answer["iss"] == doc["issuer"]  # authorization_response_iss_parameter_supported
    tokens = rp.exchange(answer["code"], verifier)
    claims = rp.id_claims(tokens["id_token"])
    assert set(claims) <= set(doc["claims_supported"]), set(claims) - set(doc["claims_supported"])
    assert claims["acr"] in doc["acr_values_supported"]
    info = rp.userinfo(tokens["access_token"]).json
    assert set(info) <= set(doc["claims_supported"])
    # response_types_supported: only code
    assert answer_of(browser.get(authorize_url(rp, response_type="id_token")))["error"] \
        == "unsupported_response_type"
    # response_modes_supported: query only
    assert doc["response_modes_supported"] == ["query"]
    assert answer_of(browser.get(authorize_url(rp, response_mode="form_post")))["error"] == "invalid_request"
    # code_challenge_methods_supported: S256 only, plain refused
    assert answer_of(browser.get(authorize_url(rp, code_challenge=challenge,
                                               code_challenge_method="plain")))["error"] == "invalid_request"
    # prompt_values_supported
    for prompt in doc["prompt_values_supported"]:
        response = browser.get(authorize_url(rp, prompt=prompt))
        assert response.status_code in (302, 303)
    # request_parameter_supported / request_uri_parameter_supported false: refused as such
    assert doc["request_parameter_supported"] is False and doc["request_uri_parameter_supported"] is False
    assert answer_of(browser.get(authorize_url(rp, request="e30.e30.")))["error"] == "request_not_supported"
    assert answer_of(browser.get(authorize_url(rp, request_uri="https://rp.example.test/r")))["error"] \
        == "request_uri_not_supported"
    # grant_types_supported: each is known to the token endpoint (not unsupported_grant_type)
    for grant_type in doc["grant_types_supported"]:
        assert rp.token(grant_type=grant_type).json.get("error") != "unsupported_grant_type"
    # subject_types_supported pairwise: another client sees another sub for the same person
    other = register(op, "idbeheer", name="lb-idbeheer")
    other_answer = answer_of(browser.get(authorize_url(other, scope="openid")))
    assert other.id_claims(other.exchange(other_answer["code"])["id_token"])["sub"] != claims["sub"]
    # the keys at jwks_uri sign with the advertised algorithm
    assert {k["alg"] for k in http.get("/oidc/jwks").json["keys"]} <= set(
        doc["id_token_signing_alg_values_supported"])
