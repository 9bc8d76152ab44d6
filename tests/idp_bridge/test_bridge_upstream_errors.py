"""Issue #10.6: an upstream error Response is acted on only when signed. An unsigned one says
no more than "sign-in failed": the waiting sign-in stays outstanding, nothing is relayed."""
import base64

import pytest
from lxml import etree
from support.bridge import ACS, DEV_EID, Forger, request_id_of, saml_response_of

from samlkit.samlxml import instant, new_id
from samlkit.xmlsig import sign

EVIL = "Bel 0900-12345 en geef uw pincode"


@pytest.fixture
def started(bridge):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    redirect = browser.get(sp.login_url())
    assert redirect.status_code == 302
    return sp, browser, request_id_of(redirect.headers["Location"])


def error_response(bridge, request_id: str, keypair=None) -> str:
    root = etree.fromstring(f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
        xmlns:saml="urn:oasis:names:tc:SAML:2.0:assertion" ID="{new_id()}" Version="2.0"
        IssueInstant="{instant(bridge.clock())}" Destination="{ACS}" InResponseTo="{request_id}">
      <saml:Issuer>{DEV_EID}</saml:Issuer>
      <samlp:Status><samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:Responder">
        <samlp:StatusCode Value="urn:oasis:names:tc:SAML:2.0:status:AuthnFailed"/></samlp:StatusCode>
        <samlp:StatusMessage>{EVIL}</samlp:StatusMessage></samlp:Status>
    </samlp:Response>""".encode())
    if keypair is not None:
        sign(root, keypair)
    return base64.b64encode(etree.tostring(root)).decode()


def test_an_unsigned_error_response_cancels_nothing_and_relays_nothing(bridge, bridge_keys, started):
    sp, browser, request_id = started
    answer = browser.client.post("/sp/acs", data={"SAMLResponse": error_response(bridge, request_id)})
    assert 400 <= answer.status_code < 500
    page = answer.get_data(as_text=True)
    assert EVIL not in page and "SAMLResponse" not in page  # nothing sent to the application
    assert bridge.events()[-1].reason == "unsigned_error_status"
    # the sign-in is still outstanding: the real answer of the IdP still gets through
    real = Forger(bridge_keys["dev-eid"], bridge.clock).response(request_id)
    accepted = browser.client.post("/sp/acs", data={
        "SAMLResponse": base64.b64encode(etree.tostring(real)).decode()})
    assert accepted.status_code == 303, accepted.data[:400]


def test_a_signed_error_response_ends_the_waiting_sign_in_without_relaying_its_text(
        bridge, bridge_keys, started):
    sp, browser, request_id = started
    answer = browser.client.post("/sp/acs", data={
        "SAMLResponse": error_response(bridge, request_id, bridge_keys["dev-eid"])})
    assert answer.status_code == 200, answer.data[:400]
    to_app = base64.b64decode(saml_response_of(answer.data)).decode()
    assert "AuthnFailed" in to_app and EVIL not in to_app
    assert bridge.events()[-1].reason == "upstream_authn_failed"
