"""The authorization request's own parameters (issue 12 point 2, OIDC Core 3.1.2.1), each on
the one sign-in core: `acr_values`, `login_hint`, PKCE for public clients, request objects
(not supported, and said so), and the `rrn` scope only for applications allowed it."""
from __future__ import annotations

from support import AN, BART, CHRIS, MERELBEKE
from support.oidc import (
    REDIRECT,
    answer_of,
    authorize_url,
    pkce,
    register,
    sign_in,
    signed_in_again,
    to_dev_eid,
    upstream,
)

EID, TOKEN = "urn:lb-idbeheer:acr:eid", "urn:lb-idbeheer:acr:token"


def _methods_offered(page) -> set[str]:
    import lxml.html

    return {i.get("value") for i in lxml.html.fromstring(page.data).xpath("//input[@name='method']")}


# -- acr_values ---------------------------------------------------------------------------------


def test_eid_asked_of_a_token_session_signs_in_afresh_with_eid(op, rp):
    browser = op.browser()
    first = answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE, method="token"))
    token_claims = rp.id_claims(rp.exchange(first["code"])["id_token"])
    assert token_claims["acr"] == TOKEN and token_claims["amr"] == ["otp"]
    op.clock.advance(seconds=3)
    url = authorize_url(rp, acr_values=EID)
    page = to_dev_eid(browser, url)  # no code from the token session: upstream again
    assert _methods_offered(page) == {"eid"}  # the upstream was asked for the eID card only
    refused = browser.submit(page.data, rrn=BART, method="token")
    assert refused.status_code == 400  # dev_eid, like the federal IdP, keeps to what was asked
    again = answer_of(signed_in_again(browser, url, BART, method="eid"))
    claims = rp.id_claims(rp.exchange(again["code"])["id_token"])
    assert claims["acr"] == EID and claims["amr"] == ["sc", "pin"]
    assert claims["auth_time"] > token_claims["auth_time"] and claims["government"] == MERELBEKE
    # now the session is by eID: asking eID (or token) again needs no sign-in
    assert "code" in answer_of(browser.get(authorize_url(rp, acr_values=f"{TOKEN} {EID}", state="s3")))


def test_an_eid_session_does_for_token_and_unknown_acr_values_are_ignored(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE, method="eid"))
    for acr_values in (TOKEN, "urn:other:loa:3", f"urn:other:loa:3 {EID}", "x" * 300):
        answer = answer_of(browser.get(authorize_url(rp, acr_values=acr_values)))
        assert rp.id_claims(rp.exchange(answer["code"])["id_token"])["acr"] == EID, acr_values


def test_without_a_session_the_upstream_is_asked_only_for_eid(op, rp):
    page = to_dev_eid(op.browser(), authorize_url(rp, acr_values=EID))
    assert _methods_offered(page) == {"eid"}
    page = to_dev_eid(op.browser(), authorize_url(rp, acr_values=f"{TOKEN} {EID}"))
    assert _methods_offered(page) == {"eid", "token"}
    page = to_dev_eid(op.browser(), authorize_url(rp))
    assert _methods_offered(page) == {"eid", "token"}


def test_eid_asked_with_prompt_none_of_a_token_session_is_login_required(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE, method="token"))
    answer = answer_of(browser.get(authorize_url(rp, acr_values=EID, prompt="none")))
    assert answer["error"] == "login_required"


# -- login_hint ---------------------------------------------------------------------------------


def test_an_rrn_hint_of_another_person_signs_in_afresh_never_the_wrong_person(op):
    rp = register(op, scopes=("openid", "profile", "capacity", "rights", "rrn"))
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    # the same person, also written as printed on the card: the session does
    for hint in (BART, "90.02.14-114.12"):
        assert "code" in answer_of(browser.get(authorize_url(rp, login_hint=hint)))
    # another person: never a code for Bart; prompt=none cannot sign in afresh
    passive = answer_of(browser.get(authorize_url(rp, login_hint=AN, prompt="none")))
    assert passive["error"] == "login_required"
    acs = upstream(browser, authorize_url(rp, login_hint=AN, scope="openid rrn capacity"), AN)
    assert acs.status_code == 303
    answer = answer_of(browser.choose(MERELBEKE))
    assert rp.id_claims(rp.exchange(answer["code"])["id_token"])["rrn"] == AN


def test_a_sub_hint_is_checked_for_every_application(op, rp):
    browser = op.browser()
    first = answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    bart_sub = rp.id_claims(rp.exchange(first["code"])["id_token"])["sub"]
    assert "code" in answer_of(browser.get(authorize_url(rp, login_hint=bart_sub)))
    chris_sub = op.app.extensions["idp_bridge.oidc"].name_ids.name_id(rp.client_id, CHRIS)
    assert answer_of(browser.get(authorize_url(rp, login_hint=chris_sub, prompt="none")))["error"] \
        == "login_required"
    # a hint that is neither a sub nor an RRN is no hint: the session does
    assert "code" in answer_of(browser.get(authorize_url(rp, login_hint="bart@example.test")))


def test_an_rrn_hint_from_an_application_not_allowed_rrn_cannot_probe_the_session(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), BART, MERELBEKE))
    # Bart's own RRN and another's answer the same: a fresh sign-in (or login_required)
    for hint in (BART, AN):
        assert answer_of(browser.get(authorize_url(rp, login_hint=hint, prompt="none")))["error"] \
            == "login_required"
        assert browser.get(authorize_url(rp, login_hint=hint)).status_code == 302  # upstream


# -- PKCE for public clients --------------------------------------------------------------------


def test_a_public_client_must_use_pkce_s256(op):
    rp = register(op, public=True)
    browser = op.browser()
    assert answer_of(browser.get(authorize_url(rp)))["error"] == "invalid_request"
    verifier, challenge = pkce()
    plain = answer_of(browser.get(authorize_url(rp, code_challenge=verifier, code_challenge_method="plain")))
    assert plain["error"] == "invalid_request"
    no_method = answer_of(browser.get(authorize_url(rp, code_challenge=challenge)))  # default: plain
    assert no_method["error"] == "invalid_request"
    answer = answer_of(sign_in(browser, authorize_url(rp, code_challenge=challenge,
                                                      code_challenge_method="S256"), BART, MERELBEKE))
    missing = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
    assert missing.status_code == 400 and missing.json["error"] == "invalid_grant"
    again = answer_of(browser.get(authorize_url(rp, code_challenge=challenge, code_challenge_method="S256")))
    wrong = rp.token(grant_type="authorization_code", code=again["code"], redirect_uri=REDIRECT,
                     code_verifier=pkce()[0])
    assert wrong.status_code == 400 and wrong.json["error"] == "invalid_grant"
    third = answer_of(browser.get(authorize_url(rp, code_challenge=challenge, code_challenge_method="S256")))
    tokens = rp.exchange(third["code"], verifier)
    assert rp.userinfo(tokens["access_token"]).status_code == 200


def test_a_public_client_gets_no_back_end_token_nor_introspection(op):
    rp = register(op, public=True)
    back_end = rp.token(grant_type="client_credentials")
    assert back_end.status_code == 400 and back_end.json["error"] == "unauthorized_client"
    introspect = rp.http.post("/oidc/introspect", data={"client_id": rp.client_id, "token": "x"})
    assert introspect.status_code == 401 and introspect.json["error"] == "invalid_client"


def test_a_confidential_client_cannot_pass_as_public(op, rp):
    # demo-app has a JWKS: naming itself by client_id alone is not authentication
    nameless = rp.http.post("/oidc/token", data={"grant_type": "client_credentials",
                                                 "client_id": rp.client_id})
    assert nameless.status_code == 401 and nameless.json["error"] == "invalid_client"


def test_pkce_is_enforced_when_a_confidential_client_used_it(op, rp):
    verifier, challenge = pkce()
    answer = answer_of(sign_in(op.browser(), authorize_url(rp, code_challenge=challenge,
                                                           code_challenge_method="S256"), BART, MERELBEKE))
    missing = rp.token(grant_type="authorization_code", code=answer["code"], redirect_uri=REDIRECT)
    assert missing.status_code == 400 and missing.json["error"] == "invalid_grant"


# -- request objects ---------------------------------------------------------------------------


def test_request_objects_are_refused_as_not_supported(op, rp):
    browser = op.browser()
    for params, error in (({"request": "eyJhbGciOiJub25lIn0.e30."}, "request_not_supported"),
                          ({"request_uri": "https://rp.example.test/req.jwt"}, "request_uri_not_supported"),
                          ({"registration": "{}"}, "registration_not_supported")):
        answer = answer_of(browser.get(authorize_url(rp, **params)))
        assert answer["error"] == error and answer["state"] == "st-1"


# -- the rrn scope -----------------------------------------------------------------------------


def test_rrn_is_released_to_an_application_allowed_the_rrn_scope(op):
    rp = register(op, scopes=("openid", "profile", "capacity", "rights", "rrn"))
    answer = answer_of(sign_in(op.browser(), authorize_url(rp, scope="openid rrn"), BART, MERELBEKE))
    tokens = rp.exchange(answer["code"])
    assert tokens["scope"] == "openid rrn"
    assert rp.id_claims(tokens["id_token"])["rrn"] == BART
    assert rp.userinfo(tokens["access_token"]).json["rrn"] == BART


def test_rrn_asked_by_another_application_is_dropped_silently(op, rp):
    answer = answer_of(sign_in(op.browser(), authorize_url(rp, scope="openid rrn profile unknown-scope"),
                               BART, MERELBEKE))
    assert "error" not in answer
    tokens = rp.exchange(answer["code"])
    assert tokens["scope"] == "openid profile"  # what was granted (RFC 6749 3.3)
    claims = rp.id_claims(tokens["id_token"])
    info = rp.userinfo(tokens["access_token"]).json
    assert "rrn" not in claims and "rrn" not in info and BART not in str(info)
    assert info["given_name"] == "Bart"
    fields, headers = rp.auth()
    introspected = rp.http.post("/oidc/introspect", data={**fields, "token": tokens["access_token"]},
                                headers=headers).json
    assert "rrn" not in introspected["scope"].split()



# -- ui_locales ---------------------------------------------------------------------------------


def _lang(response) -> str:
    import lxml.html

    return lxml.html.fromstring(response.data).get("lang")


def test_ui_locales_is_the_language_of_the_sign_in_pages(op, rp):
    """The first tag we speak ("en-GB" is English) holds for the pages of the sign-in it
    asked, over the upstream's PrefLanguage (Bart's is Dutch); none we speak is Dutch again."""
    browser = op.browser()
    acs = upstream(browser, authorize_url(rp, ui_locales="fr-BE en-GB nl"), BART)
    assert acs.status_code == 303, acs.data[:800]
    page = browser.get("/idp/capacity")
    assert _lang(page) == "en" and "In which capacity are you signing in?" in page.get_data(as_text=True)
    refused = browser.get(authorize_url(rp, redirect_uri="https://evil.example.test/cb", ui_locales="fr de"))
    assert refused.status_code == 400 and _lang(refused) == "nl"  # a new request, nothing we speak
    refused = browser.get(authorize_url(rp, redirect_uri="https://evil.example.test/cb", ui_locales="EN"))
    assert refused.status_code == 400 and _lang(refused) == "en"


def test_the_persons_own_language_choice_beats_ui_locales(op, rp):
    browser = op.browser()
    assert _lang(browser.get("/idp/slo?lang=nl")) == "nl"  # chosen with the page's language link
    refused = browser.get(authorize_url(rp, redirect_uri="https://evil.example.test/cb", ui_locales="en"))
    assert refused.status_code == 400 and _lang(refused) == "nl"


def test_a_saml_request_forgets_the_previous_applications_ui_locales(op, rp):
    browser = op.browser()
    browser.get(authorize_url(rp, redirect_uri="https://evil.example.test/cb", ui_locales="en"))
    sp = op.sp("demo-app")
    assert _lang(browser.get(sp.login_url().replace("SAMLRequest=", "SAMLRequest=x"))) == "nl"
