"""Issue #10.7 and #10.10 (the bridge's part): login CSRF at the ACS in every mode, and input
that once gave a 500 (a non-ASCII ACS index or form token) is a clear 4xx refusal."""
import base64

from lxml import etree
from support.bridge import BASE, Forger, assert_refused, request_id_of

from samlkit.samlxml import instant, new_id
from samlkit.xmlsig import sign

BART = "90021411412"


def test_acs_refuses_a_response_posted_into_another_browser_outside_production(bridge, bridge_keys):
    """The victim's browser never started this sign-in: without the flow cookie it is refused,
    also in demo mode (plain http), and the victim gets no session of the attacker's."""
    assert not bridge.config.production
    sp = bridge.sp("demo-app")
    attacker = bridge.browser()
    redirect = attacker.get(sp.login_url())
    response_xml = Forger(bridge_keys["dev-eid"], bridge.clock).response(
        request_id_of(redirect.headers["Location"]))
    victim = bridge.browser()
    answer = victim.client.post("/sp/acs", data={
        "SAMLResponse": base64.b64encode(etree.tostring(response_xml)).decode()})
    assert_refused(bridge, victim, answer, "browser_mismatch")


def test_a_non_ascii_acs_index_is_refused_not_a_500(bridge, bridge_keys):
    sp = bridge.sp("demo-app")
    root = etree.fromstring(f"""<samlp:AuthnRequest xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
        xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{new_id()}" Version="2.0"
        IssueInstant="{instant(bridge.clock())}" Destination="{BASE}/idp/sso"
        AssertionConsumerServiceIndex="\u00b2"><saml:Issuer>{sp.entity_id}</saml:Issuer>
        </samlp:AuthnRequest>""".encode())
    sign(root, bridge_keys["testsp"])
    answer = bridge.browser().client.post("/idp/sso", data={
        "SAMLRequest": base64.b64encode(etree.tostring(root)).decode()})
    assert answer.status_code == 400, answer.data[:400]
    assert "niet in haar registratie" in answer.get_data(as_text=True)
    assert bridge.events()[-1].reason == "wrong_acs"


def test_a_non_ascii_form_token_is_refused_not_a_500(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    assert browser.upstream_sign_in(sp, BART).status_code == 303
    chosen = browser.client.post("/idp/capacity", data={"csrf_token": "\u00e9\u00e9n", "capacity": "citizen"})
    assert chosen.status_code == 400 and "Dit formulier is verlopen" in chosen.get_data(as_text=True)
    signed_out = browser.client.post("/idp/slo", data={"csrf_token": "\u00e9\u00e9n"})
    assert signed_out.status_code == 400 and "Afmelden niet gelukt" in signed_out.get_data(as_text=True)
    assert browser.get("/idp/capacity").status_code == 200  # still signed in, nothing chosen
