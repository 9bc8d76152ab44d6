"""The authorization endpoint on the sign-in core (issue 12 point 1): client -> /oidc/authorize
-> bridge -> dev_eid -> capacity -> code -> token -> userinfo, and its refusals."""
from __future__ import annotations

from urllib.parse import urlencode

from joserfc import jwt
from joserfc.jwk import KeySet
from support import BART, MERELBEKE
from support.oidc import ISSUER, REDIRECT, answer_of, authorize_url, pkce, sign_in


def test_code_flow_employee_eid_to_userinfo(op, rp):
    verifier, challenge = pkce()
    browser = op.browser()
    answer = answer_of(sign_in(browser, authorize_url(rp, code_challenge=challenge,
                                                      code_challenge_method="S256"), BART, MERELBEKE))
    assert answer["state"] == "st-1" and answer["iss"] == ISSUER
    tokens = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT,
                      code_verifier=verifier)
    assert tokens.status_code == 200, tokens.json
    jwks = KeySet.import_key_set(rp.http.get("/oidc/jwks").json)
    claims = jwt.decode(tokens.json["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["nonce"] == "n-1" and claims["aud"] == rp.client_id and claims["iss"] == ISSUER
    assert claims["government"] == MERELBEKE and claims["capacity"] == "employee"
    info = rp.http.get("/oidc/userinfo", headers={"Authorization": "Bearer " + tokens.json["access_token"]})
    assert info.status_code == 200 and info.json["sub"] == claims["sub"]
    again = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT,
                     code_verifier=verifier)
    assert again.status_code == 400 and again.json["error"] == "invalid_grant"
    bearer = {"Authorization": "Bearer " + tokens.json["access_token"]}
    revoked = rp.http.get("/oidc/userinfo", headers=bearer)
    assert revoked.status_code == 401


def test_second_client_request_uses_the_session_without_a_new_sign_in(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    again = browser.get(authorize_url(rp, state="st-2"))
    assert answer_of(again)["state"] == "st-2"


def test_prompt_none_without_session_is_login_required(op, rp):
    answer = answer_of(op.browser().get(authorize_url(rp, prompt="none")))
    assert answer["error"] == "login_required" and answer["state"] == "st-1"


def test_cancel_at_dev_eid_is_access_denied(op, rp):
    browser = op.browser()
    response = sign_in(browser, authorize_url(rp), BART, MERELBEKE, outcome="cancel")
    if response.status_code != 303:  # an intermediate page of ours
        response = browser.submit(response.data)
    assert answer_of(response)["error"] == "access_denied"


def test_unknown_redirect_uri_is_refused_on_our_page_never_redirected(op, rp):
    response = op.browser().get(authorize_url(rp, redirect_uri="https://evil.example.test/cb"))
    assert response.status_code == 400 and "Location" not in response.headers
    unknown = op.browser().get(authorize_url(rp, client_id="no-such-client"))
    assert unknown.status_code == 400 and "Location" not in unknown.headers


def test_refusals_go_back_as_oauth_errors(op, rp):
    browser = op.browser()
    implicit = answer_of(browser.get(authorize_url(rp, response_type="token")))
    assert implicit["error"] == "unsupported_response_type"
    assert answer_of(browser.get(authorize_url(rp, code_challenge="x" * 43,
                                               code_challenge_method="plain")))["error"] == "invalid_request"
    assert answer_of(browser.get(authorize_url(rp, scope="profile")))["error"] == "invalid_scope"
    assert answer_of(browser.get(authorize_url(rp, max_age="soon")))["error"] == "invalid_request"


def test_signed_in_through_saml_reaches_oidc_without_a_second_sign_in(op, rp):
    browser = op.browser()
    sp = op.sp("demo-app")
    browser.sign_in(sp, BART, MERELBEKE)
    answer = answer_of(browser.get(authorize_url(rp)))
    tokens = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
    jwks = KeySet.import_key_set(rp.http.get("/oidc/jwks").json)
    claims = jwt.decode(tokens.json["id_token"], jwks, algorithms=["RS256"]).claims
    assert claims["government"] == MERELBEKE


def test_capacity_parameter_other_than_the_session_shows_the_mismatch_page(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    response = browser.get(authorize_url(rp, capacity="citizen"))
    if response.status_code == 303 and response.headers["Location"].endswith("/idp/capacity"):
        response = browser.get("/idp/capacity")
    assert response.status_code in (200, 409), response.data[:800]
    assert "Location" not in response.headers


def _signed_in_tokens(op, rp, browser):
    answer = answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    tokens = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
    assert tokens.status_code == 200, tokens.json
    return tokens.json


def test_bridge_sign_out_ends_the_oidc_grants(op, rp):
    browser = op.browser()
    tokens = _signed_in_tokens(op, rp, browser)
    browser.sign_out_everywhere()
    info = rp.http.get("/oidc/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert info.status_code == 401


def test_rp_initiated_logout_ends_the_session_and_the_saml_side(op, rp):
    browser = op.browser()
    tokens = _signed_in_tokens(op, rp, browser)
    response = browser.get("/oidc/logout?" + urlencode({"id_token_hint": tokens["id_token"]}))
    assert response.status_code in (200, 302, 303), response.data[:800]
    info = rp.http.get("/oidc/userinfo", headers={"Authorization": "Bearer " + tokens["access_token"]})
    assert info.status_code == 401
    again = browser.get(authorize_url(rp, prompt="none"))
    assert answer_of(again)["error"] == "login_required"


def test_logout_refuses_a_foreign_hint_and_an_unregistered_target(op, rp):
    browser = op.browser()
    tokens = _signed_in_tokens(op, rp, browser)
    bad = browser.get("/oidc/logout?" + urlencode({"id_token_hint": "x.y.z"}))
    assert bad.status_code == 400 and "Location" not in bad.headers
    elsewhere = browser.get("/oidc/logout?" + urlencode({"id_token_hint": tokens["id_token"],
                                                         "post_logout_redirect_uri": "https://evil.test/"}))
    assert elsewhere.status_code == 400 and "Location" not in elsewhere.headers
