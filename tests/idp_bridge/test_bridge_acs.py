"""Point 2: what the ACS refuses. Every refusal is a 4xx page, creates no session, and leaves
a sign-in trail row with its reason code."""
import base64
import copy
import datetime as dt
import zlib

import pytest
from lxml import etree
from support.bridge import DS, Forger, assert_refused, encode, request_id_of

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"


@pytest.fixture
def started(bridge):
    """A browser whose sign-in at demo-app is outstanding upstream: (browser, request ID)."""
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    redirect = browser.get(sp.login_url())
    assert redirect.status_code == 302
    return browser, request_id_of(redirect.headers["Location"])


@pytest.fixture
def forger(bridge, bridge_keys):
    return Forger(bridge_keys["dev-eid"], bridge.clock)


def post(browser, payload: str, **extra):
    return browser.client.post("/sp/acs", data={"SAMLResponse": payload, **extra})


def test_a_correct_forgery_is_accepted(bridge, started, forger):
    """The baseline the other tests change one thing of."""
    browser, request_id = started
    response = post(browser, encode(forger.response(request_id)))
    assert response.status_code == 303 and browser.session_cookie()


@pytest.mark.parametrize("change, reason", [
    ({"recipient": "https://evil.example/acs"}, "wrong_recipient"),
    ({"destination": "https://evil.example/acs"}, "wrong_destination"),
    ({"audience": "https://other-sp.example/metadata"}, "wrong_audience"),
    ({"issuer": "https://evil.example/idp"}, "wrong_issuer"),
    ({"class_ref": "urn:oasis:names:tc:SAML:2.0:ac:classes:Password"}, "unknown_authn_context"),
    ({"rrn": "12345678901"}, "invalid_rrn"),
])
def test_wrong_fields_are_refused(bridge, started, forger, change, reason):
    browser, request_id = started
    assert_refused(bridge, browser, post(browser, encode(forger.response(request_id, **change))),
                   reason)


def test_expired_assertion_is_refused(bridge, started, forger):
    browser, request_id = started
    old = bridge.clock() - dt.timedelta(minutes=10)
    response = post(browser, encode(forger.response(request_id, not_on_or_after=old)))
    assert_refused(bridge, browser, response, "expired")


def test_not_yet_valid_assertion_is_refused(bridge, started, forger):
    browser, request_id = started
    later = bridge.clock() + dt.timedelta(minutes=10)
    response = post(browser, encode(forger.response(request_id, not_before=later)))
    assert_refused(bridge, browser, response, "not_yet_valid")


def test_unknown_in_response_to_is_refused(bridge, started, forger):
    browser, _ = started
    response = post(browser, encode(forger.response("_never_asked")))
    assert_refused(bridge, browser, response, "unknown_in_response_to")


def test_unsolicited_response_is_refused(bridge, started, forger):
    browser, _ = started
    response = post(browser, encode(forger.response(None)))
    assert_refused(bridge, browser, response, "in_response_to_mismatch")


def test_replayed_response_is_refused(bridge, started, forger):
    browser, request_id = started
    payload = encode(forger.response(request_id))
    assert post(browser, payload).status_code == 303
    other = bridge.browser()
    assert_refused(bridge, other, post(other, payload), "replayed")


def test_second_response_to_one_request_is_refused(bridge, started, forger):
    browser, request_id = started
    assert post(browser, encode(forger.response(request_id))).status_code == 303
    other = bridge.browser()
    assert_refused(bridge, other, post(other, encode(forger.response(request_id))),
                   "unknown_in_response_to")


def test_rsa_sha1_is_refused(bridge, started, forger):
    browser, request_id = started
    root = forger.response(request_id, weak=True, sign_response=False)
    assert_refused(bridge, browser, post(browser, encode(root)), "signature_weak_algorithm")


def test_unsigned_assertion_is_refused_even_in_a_signed_response(bridge, started, forger):
    browser, request_id = started
    root = forger.response(request_id, sign_assertion=False)
    assert_refused(bridge, browser, post(browser, encode(root)), "signature_unsigned")


def test_foreign_key_is_refused(bridge, started, bridge_keys):
    browser, request_id = started
    root = Forger(bridge_keys["stranger"], bridge.clock).response(request_id)
    response = post(browser, encode(root))
    assert_refused(bridge, browser, response, "signature_untrusted_key")


def test_tampered_assertion_is_refused(bridge, started, forger):
    browser, request_id = started
    root = forger.response(request_id, sign_response=False)
    value = root.find(f".//{{{SAML}}}AttributeValue")
    value.text = "85073003328"
    assert_refused(bridge, browser, post(browser, encode(root)), "signature_bad_signature")


def test_doctype_is_refused(bridge, started, forger):
    browser, request_id = started
    xml = etree.tostring(forger.response(request_id))
    evil = b'<!DOCTYPE r [<!ENTITY x "y">]>' + xml
    response = post(browser, base64.b64encode(evil).decode())
    assert_refused(bridge, browser, response, "xml_doctype")


def test_oversized_response_is_refused(bridge, started):
    browser, _ = started
    payload = base64.b64encode(b"<a>" + b"x" * 400_000 + b"</a>").decode()
    response = post(browser, payload)
    assert 400 <= response.status_code < 500
    assert browser.session_cookie() is None


def test_deflate_bomb_at_the_sso_is_refused(bridge):
    """HTTP-Redirect input is inflated with a limit: 100 MB of zeros never materialise."""
    sp = bridge.sp("demo-app")
    bomb = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = bomb.compress(b"<" + b"a" * 100_000_000) + bomb.flush()
    from urllib.parse import quote_plus
    response = bridge.browser().get("/idp/sso?SAMLRequest=" + quote_plus(base64.b64encode(data).decode()))
    assert response.status_code == 400
    assert bridge.events()[-1].reason == "xml_too_large"
    assert sp  # the application exists; the refusal is about the message


def test_garbage_is_a_4xx_not_a_5xx(bridge, started):
    browser, _ = started
    for payload in ("", "not base64!!", base64.b64encode(b"<not-closed").decode(),
                    base64.b64encode(b"<x/>").decode()):
        assert 400 <= post(browser, payload).status_code < 500


# -- XML signature wrapping (XSW1-XSW8, after Somorovsky et al. 2012) ------------------------

def _evil_assertion(original):
    evil = copy.deepcopy(original)
    evil.set("ID", "_evil")
    for node in evil.findall(f"{{{DS}}}Signature"):
        evil.remove(node)
    evil.find(f".//{{{SAML}}}AttributeValue").text = "85073003328"
    return evil


def xsw1(root):
    evil = copy.deepcopy(root)
    evil.set("ID", "_evil_response")
    evil_sig = evil.find(f"{{{DS}}}Signature")
    evil.find(f".//{{{SAML}}}AttributeValue").text = "85073003328"
    evil_sig.append(copy.deepcopy(root))
    return evil


def xsw2(root):
    evil = copy.deepcopy(root)
    evil.set("ID", "_evil_response")
    evil.find(f".//{{{SAML}}}AttributeValue").text = "85073003328"
    sig = evil.find(f"{{{DS}}}Signature")
    sig.addprevious(copy.deepcopy(root))
    return evil


def _pieces(root):
    """(Response without its own signature, its signed Assertion, an unsigned evil copy)."""
    for node in root.findall(f"{{{DS}}}Signature"):
        root.remove(node)
    original = root.find(f"{{{SAML}}}Assertion")
    return root, original, _evil_assertion(original)


def xsw3(root):
    root, original, evil = _pieces(root)
    original.addprevious(evil)
    return root


def xsw4(root):
    root, original, evil = _pieces(root)
    original.addprevious(evil)
    evil.append(original)
    return root


def xsw5(root):
    root, original, evil = _pieces(root)
    evil.set("ID", original.get("ID"))
    evil.insert(1, copy.deepcopy(original.find(f"{{{DS}}}Signature")))
    original.addprevious(evil)
    root.remove(original)
    root.append(etree.Element(f"{{{SAMLP}}}Extensions"))
    root[-1].append(original)
    return root


def xsw6(root):
    root, original, evil = _pieces(root)
    evil.set("ID", original.get("ID"))
    signature = copy.deepcopy(original.find(f"{{{DS}}}Signature"))
    evil.insert(1, signature)
    original.addprevious(evil)
    root.remove(original)
    signature.append(original)
    return root


def xsw7(root):
    root, original, evil = _pieces(root)
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    root.insert(1, extensions)
    extensions.append(copy.deepcopy(original))
    original.addprevious(evil)
    root.remove(original)
    return root


def xsw8(root):
    root, original, evil = _pieces(root)
    evil.set("ID", original.get("ID"))
    signature = copy.deepcopy(original.find(f"{{{DS}}}Signature"))
    evil.insert(1, signature)
    holder = etree.SubElement(signature, f"{{{DS}}}Object")
    stripped = copy.deepcopy(original)
    stripped.remove(stripped.find(f"{{{DS}}}Signature"))
    holder.append(stripped)
    original.addprevious(evil)
    root.remove(original)
    return root


@pytest.mark.parametrize("wrap", [xsw1, xsw2, xsw3, xsw4, xsw5, xsw6, xsw7, xsw8],
                         ids=lambda f: f.__name__)
def test_signature_wrapping_is_refused(bridge, started, forger, wrap):
    browser, request_id = started
    root = wrap(forger.response(request_id))
    response = post(browser, encode(root))
    assert 400 <= response.status_code < 500
    assert browser.session_cookie() is None
    refused = [e for e in bridge.events() if e.outcome == "refused"]
    assert refused and refused[-1].reason.startswith("signature_"), refused[-1].reason
    assert not any(e.outcome == "success" for e in bridge.events())
