"""An application's RequestedAuthnContext is honoured (SAML core 3.3.2.2.1), on the one
sign-in core the OIDC side's acr_values use: the upstream is asked only for the methods that
will do, a session signed in with a method that does not do signs in afresh, the assertion
names the class ref asked for, and what cannot be met is answered Responder/NoAuthnContext,
never with an assertion of something else."""
from __future__ import annotations

import base64

import lxml.html
import pytest
from lxml import etree
from saml2.saml import AuthnContextClassRef, AuthnContextDeclRef
from saml2.samlp import RequestedAuthnContext
from support import BART, MERELBEKE
from support.bridge import Forger, encode, request_id_of, saml_response_of

from attribute_authority.sign_ins import reason_text
from idp_bridge.downstream import authn_context
from idp_bridge.downstream.authn_context import AskedContext, Unsatisfiable

SMARTCARD = "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI"
UNSPECIFIED = "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified"
PASSWORD = "urn:oasis:names:tc:SAML:2.0:ac:classes:PasswordProtectedTransport"
FAS_EID = "urn:be:fedict:iam:fas:citizen:eid"
FAS_TOKEN = "urn:be:fedict:iam:fas:citizen:token"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
STATUS = "urn:oasis:names:tc:SAML:2.0:status:"


def asking(*refs: str, comparison: str = "exact") -> dict:
    """The login_url keyword that puts a RequestedAuthnContext in the AuthnRequest."""
    return {"requested_authn_context": RequestedAuthnContext(
        authn_context_class_ref=[AuthnContextClassRef(text=ref) for ref in refs], comparison=comparison)}


def methods_offered(page) -> set[str]:
    return {i.get("value") for i in lxml.html.fromstring(page.data).xpath("//input[@name='method']")}


def answer_root(page) -> etree._Element:
    return etree.fromstring(base64.b64decode(saml_response_of(page.data)))


def status_codes(page) -> list[str]:
    return [c.get("Value") for c in answer_root(page).iter(f"{{{SAMLP}}}StatusCode")]


def class_ref_of(page) -> str:
    return answer_root(page).findtext(f".//{{{SAML}}}AuthnContextClassRef")


def signed_in(bridge, sp, method: str, **login):
    """A new browser signed in at `sp` with `method` as Bart for Merelbeke; (browser, answer)."""
    browser = bridge.browser()
    acs = browser.upstream_sign_in(sp, BART, method, **login)
    assert acs.status_code == 303, acs.data[:800]
    return browser, browser.choose(MERELBEKE)


def test_without_a_requested_context_every_method_is_offered_and_named(bridge):
    sp = bridge.sp("demo-app")
    assert methods_offered(bridge.browser().to_dev_eid(sp)) == {"eid", "token"}
    _, answer = signed_in(bridge, sp, "eid")
    assert class_ref_of(answer) == SMARTCARD
    _, answer = signed_in(bridge, sp, "token")
    assert class_ref_of(answer) == UNSPECIFIED


def test_the_eid_card_asked_is_all_the_upstream_offers_and_the_assertion_names_it(bridge):
    sp = bridge.sp("demo-app")
    assert methods_offered(bridge.browser().to_dev_eid(sp, **asking(SMARTCARD))) == {"eid"}
    _, answer = signed_in(bridge, sp, "eid", **asking(SMARTCARD))
    assert class_ref_of(answer) == SMARTCARD
    response = sp.consume(saml_response_of(answer.data))
    assert response.assertion.authn_statement[0].authn_context.authn_context_class_ref.text == SMARTCARD


def test_the_federal_class_ref_asked_is_the_one_the_assertion_names(bridge):
    sp = bridge.sp("demo-app")
    _, answer = signed_in(bridge, sp, "eid", **asking(PASSWORD, FAS_EID))
    assert class_ref_of(answer) == FAS_EID  # an exact match is exact: the ref it asked for
    _, answer = signed_in(bridge, sp, "token", **asking(FAS_TOKEN, FAS_EID))
    assert class_ref_of(answer) == FAS_TOKEN


def test_a_token_session_signs_in_afresh_for_an_application_asking_the_eid_card(bridge):
    sp = bridge.sp("demo-app")
    browser, _ = signed_in(bridge, sp, "token")
    bridge.clock.advance(seconds=2)
    page = browser.to_dev_eid(sp, **asking(SMARTCARD))  # no answer from the token session
    assert methods_offered(page) == {"eid"}
    refused = browser.submit(page.data, rrn=BART, method="token")
    assert refused.status_code == 400  # dev_eid, like the federal IdP, keeps to what was asked
    # with the card: the same person, so the capacity is kept and the answer comes at once
    page = browser.to_dev_eid(sp, **asking(SMARTCARD))
    acs = browser.submit(browser.submit(page.data, rrn=BART, method="eid").data)
    assert acs.status_code == 303
    answer = browser.get("/idp/capacity")
    assert class_ref_of(answer) == SMARTCARD and status_codes(answer) == [STATUS + "Success"]


def test_an_eid_session_does_for_minimum_token_but_not_for_exact_token(bridge):
    sp = bridge.sp("demo-app")
    browser, _ = signed_in(bridge, sp, "eid")
    at_least_token = browser.get(sp.login_url(**asking(FAS_TOKEN, comparison="minimum")))
    assert at_least_token.status_code == 200  # answered from the session, no sign-in
    assert class_ref_of(at_least_token) == SMARTCARD  # stronger than asked, and says so
    page = browser.to_dev_eid(sp, **asking(FAS_TOKEN))  # upstream again, for the token only
    assert methods_offered(page) == {"token"}


@pytest.mark.parametrize("login", [
    asking(PASSWORD),  # a class the bridge does not know
    asking(SMARTCARD, comparison="better"),  # nothing is stronger than the eID card
    asking("x" * 200, FAS_EID, comparison="bogus"),
    {"requested_authn_context": RequestedAuthnContext(
        authn_context_decl_ref=AuthnContextDeclRef(text="urn:example:decl"))},
], ids=["unknown-class", "better-than-eid", "bad-comparison", "decl-ref"])
def test_what_cannot_be_met_is_answered_no_authn_context_without_a_sign_in(bridge, login):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().get(sp.login_url(**login))
    assert answer.status_code == 200  # posted back to the application's ACS, never upstream
    assert status_codes(answer) == [STATUS + "Responder", STATUS + "NoAuthnContext"]
    assert answer_root(answer).find(f"{{{SAML}}}Assertion") is None
    event = bridge.events()[-1]
    assert (event.outcome, event.reason, event.application) == ("refused", "no_authn_context", "demo-app")
    assert "aanmeldmiddel" in reason_text(event.reason)  # the helpdesk reads what went wrong


def test_unspecified_asks_nothing(bridge):
    sp = bridge.sp("demo-app")
    assert methods_offered(bridge.browser().to_dev_eid(sp, **asking(UNSPECIFIED))) == {"eid", "token"}


def test_an_upstream_that_signs_in_with_another_method_than_asked_gets_the_application_nothing(
        bridge, bridge_keys):
    """The federal IdP need not honour our RequestedAuthnContext: its token sign-in for an
    application that asked the eID card is no assertion (it is still a session)."""
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    upstream = browser.get(sp.login_url(**asking(SMARTCARD)))
    forged = Forger(bridge_keys["dev-eid"], bridge.clock).response(
        request_id_of(upstream.headers["Location"]), rrn=BART, class_ref=FAS_TOKEN)
    acs = browser.client.post("/sp/acs", data={"SAMLResponse": encode(forged)})
    assert acs.status_code == 303
    answer = browser.choose(MERELBEKE)
    assert status_codes(answer) == [STATUS + "Responder", STATUS + "NoAuthnContext"]
    assert answer_root(answer).find(f"{{{SAML}}}Assertion") is None
    assert bridge.events()[-1].reason == "no_authn_context"


KNOWN = authn_context.known_refs({FAS_EID: "eid", FAS_TOKEN: "token"})


@pytest.mark.parametrize(("refs", "comparison", "expected"), [
    ((SMARTCARD,), "exact", AskedContext("eid", False, (SMARTCARD,))),
    ((FAS_TOKEN,), "exact", AskedContext("token", True, (FAS_TOKEN,))),
    ((FAS_TOKEN, FAS_EID), "exact", AskedContext(None, False, (FAS_TOKEN, FAS_EID))),
    ((FAS_TOKEN,), "minimum", AskedContext(None, False, (FAS_TOKEN,))),
    ((FAS_EID,), "minimum", AskedContext("eid", False, (FAS_EID,))),
    ((FAS_TOKEN,), "better", AskedContext("eid", False, (FAS_TOKEN,))),
    ((FAS_EID,), "maximum", AskedContext(None, False, (FAS_EID,))),
    ((FAS_TOKEN,), "maximum", AskedContext("token", True, (FAS_TOKEN,))),
    ((PASSWORD, FAS_EID), "exact", AskedContext("eid", False, (PASSWORD, FAS_EID))),
    ((UNSPECIFIED,), "exact", AskedContext(None, False, (UNSPECIFIED,))),
])
def test_each_comparison_leaves_the_methods_the_profile_says(refs, comparison, expected):
    root = etree.fromstring(
        f'<samlp:AuthnRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}">'
        f'<samlp:RequestedAuthnContext Comparison="{comparison}">'
        + "".join(f"<saml:AuthnContextClassRef>{ref}</saml:AuthnContextClassRef>" for ref in refs)
        + "</samlp:RequestedAuthnContext></samlp:AuthnRequest>")
    assert authn_context.asked(root, KNOWN) == expected


def test_too_many_class_refs_are_refused_not_read():
    root = etree.fromstring(
        f'<samlp:AuthnRequest xmlns:samlp="{SAMLP}" xmlns:saml="{SAML}"><samlp:RequestedAuthnContext>'
        + f"<saml:AuthnContextClassRef>{FAS_EID}</saml:AuthnContextClassRef>" * 21
        + "</samlp:RequestedAuthnContext></samlp:AuthnRequest>")
    with pytest.raises(Unsatisfiable):
        authn_context.asked(root, KNOWN)
