"""An upstream IdP may encrypt its assertion to the bridge SP's encryption key: the bridge
publishes that key, decrypts inside a verified Response only, and then requires and verifies
the Assertion's own signature. Real xmlsec encryption throughout (dev_eid or the Forger)."""
import base64
import copy

import pytest
from lxml import etree
from support import BART, MERELBEKE
from support.bridge import (
    Forger,
    assert_refused,
    attributes_of,
    encode,
    form_of,
    request_id_of,
    saml_response_of,
)

from samlkit.keys import cert_der_b64
from samlkit.xmlsig import sign

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
XENC = "http://www.w3.org/2001/04/xmlenc#"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"


@pytest.fixture
def started(bridge):
    """A browser whose sign-in at demo-app is outstanding upstream: (browser, request ID)."""
    browser = bridge.browser()
    redirect = browser.get(bridge.sp("demo-app").login_url())
    assert redirect.status_code == 302
    return browser, request_id_of(redirect.headers["Location"])


@pytest.fixture
def forger(bridge, bridge_keys):
    return Forger(bridge_keys["dev-eid"], bridge.clock)


@pytest.fixture
def to_bridge(bridge_keys):
    return bridge_keys["sp-encryption"].certificate


def post(browser, root):
    return browser.client.post("/sp/acs", data={"SAMLResponse": encode(root)})


def test_sp_metadata_publishes_the_encryption_key(bridge, bridge_keys):
    root = etree.fromstring(bridge.app.test_client().get("/sp/metadata").data)
    by_use = {d.get("use"): d.findtext(f"{{{DS}}}KeyInfo/{{{DS}}}X509Data/{{{DS}}}X509Certificate")
              for d in root.iter(f"{{{MD}}}KeyDescriptor")}
    assert by_use == {"signing": cert_der_b64(bridge_keys["sp"].certificate),
                      "encryption": cert_der_b64(bridge_keys["sp-encryption"].certificate)}


def test_encrypted_assertion_of_dev_eid_signs_in(tmp_path, bridge_engine, bridge_keys):
    """The whole journey with dev_eid encrypting, as the federal IdP may."""
    from support.bridge import BridgeHarness

    bridge = BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                           config_overrides={"dev_eid_encrypts": True})
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    page = browser.to_dev_eid(sp)
    autopost = browser.submit(page.data, rrn=BART, method="eid")
    upstream = etree.fromstring(base64.b64decode(form_of(autopost.data)[1]["SAMLResponse"]))
    assert upstream.find(f"{{{SAML}}}Assertion") is None  # nothing readable on the wire
    assert upstream.find(f"{{{SAML}}}EncryptedAssertion/{{{XENC}}}EncryptedData") is not None
    assert BART.encode() not in etree.tostring(upstream)
    assert browser.submit(autopost.data).status_code == 303
    answer = browser.choose(MERELBEKE)
    attributes = attributes_of(sp.consume(saml_response_of(answer.data)))
    assert attributes["rrn"] == [BART] and attributes["government"] == [MERELBEKE]
    assert [e.reason for e in bridge.events()][-2:] == ["upstream_signed_in", "assertion_issued"]


@pytest.mark.parametrize("cipher", ["aes128-gcm", "aes256-gcm", "aes128-cbc", "aes256-cbc"])
def test_encrypted_assertion_with_the_usual_ciphers_is_accepted(started, forger, to_bridge, cipher):
    browser, request_id = started
    response = post(browser, forger.response(request_id, encrypt_to=to_bridge, cipher=cipher))
    assert response.status_code == 303 and browser.session_cookie()


def _cipher_value(root):
    return root.find(f"{{{SAML}}}EncryptedAssertion/{{{XENC}}}EncryptedData/"
                     f"{{{XENC}}}CipherData/{{{XENC}}}CipherValue")


def _flip(value: etree._Element) -> None:
    raw = bytearray(base64.b64decode(value.text))
    raw[len(raw) // 2] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()


def test_tampered_ciphertext_breaks_the_response_signature(bridge, started, forger, to_bridge):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge)
    _flip(_cipher_value(root))
    assert_refused(bridge, browser, post(browser, root), "signature_bad_signature")


@pytest.mark.parametrize("cipher", ["aes256-gcm", "aes128-cbc"])
def test_tampered_ciphertext_in_a_signed_response_is_undecryptable(bridge, started, forger,
                                                                  to_bridge, bridge_keys, cipher):
    """As from an IdP that signs after a fault: the decryption itself refuses, one reason."""
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, cipher=cipher, sign_response=False)
    _flip(_cipher_value(root))
    sign(root, bridge_keys["dev-eid"])
    assert_refused(bridge, browser, post(browser, root), "decryption_undecryptable")


def test_encrypted_to_another_key_is_undecryptable(bridge, started, forger, bridge_keys):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=bridge_keys["stranger"].certificate)
    assert_refused(bridge, browser, post(browser, root), "decryption_undecryptable")


def test_rsa_1_5_key_transport_is_refused(bridge, started, forger, to_bridge):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, key_transport="rsa-1_5")
    method = root.find(f".//{{{XENC}}}EncryptedKey/{{{XENC}}}EncryptionMethod")
    assert method.get("Algorithm") == XENC + "rsa-1_5"  # really written with PKCS#1 v1.5
    assert_refused(bridge, browser, post(browser, root), "decryption_weak_algorithm")


def test_unsigned_decrypted_assertion_is_refused(bridge, started, forger, to_bridge):
    """The Response's signature covers only ciphertext: the Assertion must be signed itself."""
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, sign_assertion=False)
    assert_refused(bridge, browser, post(browser, root), "signature_unsigned")


def test_encrypted_assertion_in_an_unsigned_response_is_refused(bridge, started, forger, to_bridge):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, sign_response=False)
    assert_refused(bridge, browser, post(browser, root), "signature_unsigned")


def test_assertion_beside_an_encrypted_assertion_is_refused(bridge, started, forger, to_bridge,
                                                           bridge_keys):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, sign_response=False)
    plain = forger.response(request_id, rrn="85073003328").find(f"{{{SAML}}}Assertion")
    root.append(copy.deepcopy(plain))
    sign(root, bridge_keys["dev-eid"])
    assert_refused(bridge, browser, post(browser, root), "signature_wrapping")


def test_two_encrypted_assertions_are_refused(bridge, started, forger, to_bridge, bridge_keys):
    browser, request_id = started
    root = forger.response(request_id, encrypt_to=to_bridge, sign_response=False)
    other = forger.response(request_id, rrn="85073003328", encrypt_to=to_bridge)
    root.append(copy.deepcopy(other.find(f"{{{SAML}}}EncryptedAssertion")))
    sign(root, bridge_keys["dev-eid"])
    assert_refused(bridge, browser, post(browser, root), "signature_wrapping")


def test_decrypted_assertion_signed_by_another_key_is_refused(bridge, started, to_bridge,
                                                             bridge_keys):
    browser, request_id = started
    root = Forger(bridge_keys["stranger"], bridge.clock).response(
        request_id, encrypt_to=to_bridge, sign_response=False)
    sign(root, bridge_keys["dev-eid"])  # the Response as the IdP's, the Assertion not
    assert_refused(bridge, browser, post(browser, root), "signature_untrusted_key")
