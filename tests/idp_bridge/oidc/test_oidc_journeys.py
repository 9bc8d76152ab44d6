"""Whole OIDC journeys without a browser (issue 12, "Tests that must exist"): the federal
token and citizen sign-ins through to userinfo, and the capacity mismatch/switch page (R13)
through to a code in the new capacity."""
from __future__ import annotations

from support import BART, CHRIS, EMIL, MERELBEKE, NAZARETH
from support.bridge import _path, form_of
from support.oidc import answer_of, authorize_url, random_code, register, sign_in, upstream


def test_token_sign_in_as_employee_through_to_userinfo(op, rp):
    answer = answer_of(sign_in(op.browser(), authorize_url(rp), BART, MERELBEKE, method="token"))
    tokens = rp.exchange(answer["code"])
    claims = rp.id_claims(tokens["id_token"])
    assert claims["acr"] == "urn:lb-idbeheer:acr:token" and claims["amr"] == ["otp"]
    assert claims["capacity"] == "employee" and claims["government"] == MERELBEKE
    info = rp.userinfo(tokens["access_token"]).json
    assert info["sub"] == claims["sub"] and info["family_name"] == "Claes"
    assert info["rights"] == [f"demo-app-reader@{MERELBEKE}"] and info["government"] == MERELBEKE


def test_citizen_sign_in_through_to_userinfo(op):
    rp = register(op, random_code(), capacity="any")
    answer = answer_of(sign_in(op.browser(), authorize_url(rp), BART, "citizen"))
    tokens = rp.exchange(answer["code"])
    claims = rp.id_claims(tokens["id_token"])
    assert claims["capacity"] == "citizen" and "government" not in claims
    info = rp.userinfo(tokens["access_token"]).json
    assert info["capacity"] == "citizen" and "government" not in info and info["rights"] == []


def test_citizen_only_application_answers_without_a_choice(op):
    rp = register(op, random_code(), capacity="citizen")
    browser = op.browser()
    acs = upstream(browser, authorize_url(rp), EMIL, method="token")
    assert acs.status_code == 303
    answer = answer_of(browser.get("/idp/capacity"))  # nothing to choose (#11.3)
    info = rp.userinfo(rp.exchange(answer["code"])["access_token"]).json
    assert info["capacity"] == "citizen" and info["given_name"]


def _mismatch(op, rp):
    """Chris signed in to demo-app for Merelbeke-Melle; demo-app then asks for Nazareth-De Pinte:
    the mismatch page. Returns (browser, the first tokens, the page)."""
    browser = op.browser()
    first = rp.exchange(answer_of(sign_in(browser, authorize_url(rp), CHRIS, MERELBEKE))["code"])
    asked = browser.get(authorize_url(rp, capacity=NAZARETH, state="st-switch"))
    assert asked.status_code == 303 and asked.headers["Location"].endswith("/idp/capacity")
    page = browser.get("/idp/capacity")
    assert page.status_code == 409 and "wisselen" in page.get_data(as_text=True)
    assert "Location" not in page.headers and "code=" not in page.get_data(as_text=True)
    return browser, first, page


def test_capacity_switch_for_oidc_ends_in_a_code_in_the_new_capacity(op, rp):
    browser, first, page = _mismatch(op, rp)
    # within the same second as the first sign-in: the new session's sid is its own, so the
    # old session's logout does not revoke the new code
    action, fields = form_of(page.data)
    switch = browser.client.post(_path(action), data={**fields, "action": "switch"})
    # the old capacity's application is signed out first (its tokens end), then upstream
    assert switch.status_code == 302 and "/dev-eid/sso" in switch.headers["Location"], switch.data[:800]
    assert rp.userinfo(first["access_token"]).status_code == 401
    dev_eid = browser.get(_path(switch.headers["Location"]))
    autopost = browser.submit(dev_eid.data, rrn=CHRIS, method="eid")
    assert browser.submit(autopost.data).status_code == 303
    choice = browser.get("/idp/capacity")
    assert form_of(choice.data)[1]["capacity"] == NAZARETH  # what the application asked, preselected
    answer = answer_of(browser.submit(choice.data))  # the choice answers the application at once
    assert answer["state"] == "st-switch"
    tokens = rp.exchange(answer["code"])
    claims = rp.id_claims(tokens["id_token"])
    assert claims["government"] == NAZARETH and claims["sub"] == rp.id_claims(first["id_token"])["sub"]
    assert rp.userinfo(tokens["access_token"]).json["rights"] == []  # demo-app-admin is Merelbeke's only
    # one capacity per session: Merelbeke-Melle now needs a switch again
    back = browser.get(authorize_url(rp, capacity=MERELBEKE))
    assert back.status_code == 303 and back.headers["Location"].endswith("/idp/capacity")


def test_declining_the_switch_answers_access_denied(op, rp):
    browser, first, page = _mismatch(op, rp)
    action, fields = form_of(page.data)
    answer = answer_of(browser.client.post(_path(action), data={**fields, "action": "cancel"}))
    assert answer["error"] == "access_denied" and answer["state"] == "st-switch"
    assert rp.userinfo(first["access_token"]).status_code == 200  # the session goes on as it was


def test_capacity_asked_with_prompt_none_is_interaction_required(op, rp):
    browser = op.browser()
    answer_of(sign_in(browser, authorize_url(rp), CHRIS, MERELBEKE))
    answer = answer_of(browser.get(authorize_url(rp, capacity=NAZARETH, prompt="none")))
    assert answer["error"] == "interaction_required"
