"""An application's AuthnRequest is checked against its registered metadata; upstream failures
reach the application as a SAML status; new applications work without a restart."""
import base64
import zlib
from urllib.parse import parse_qs, quote_plus, urlsplit

import pytest
from lxml import etree
from saml2 import BINDING_HTTP_POST
from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA1, SIG_RSA_SHA256
from support import BART
from support.bridge import sp_metadata_xml


def status_of(answer) -> str:
    from support.bridge import saml_response_of
    return base64.b64decode(saml_response_of(answer.data)).decode()


def test_unknown_application_gets_a_page(bridge):
    sp = bridge.sp("demo-app")
    url = sp.login_url()
    (bridge.metadata_dir / "sp" / "demo-app.xml").unlink()
    response = bridge.browser().get(url)
    assert response.status_code == 400 and "niet aangesloten" in response.get_data(as_text=True)
    assert bridge.events()[-1].reason == "unknown_application"


def test_new_application_works_without_restart(bridge):
    bridge.browser().get("/idp/metadata")
    sp = bridge.sp("late-app")  # metadata file written after the app started
    assert bridge.browser().get(sp.login_url()).status_code == 302


def _unsigned(url: str) -> str:
    parts = urlsplit(url)
    query = "&".join(p for p in parts.query.split("&") if not p.startswith(("Signature=", "SigAlg=")))
    return parts.path + "?" + query


def test_unsigned_request_is_refused_with_a_saml_status(bridge):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().get(_unsigned(sp.login_url()))
    assert answer.status_code == 200
    xml = status_of(answer)
    assert "status:Requester" in xml and "RequestDenied" in xml and "Assertion" not in xml
    assert bridge.events()[-1].reason == "signature_unsigned"


def test_badly_signed_request_is_refused(bridge, bridge_keys):
    sp = bridge.sp("demo-app")
    url = sp.login_url()
    stranger = bridge.sp("demo-app", keypair=bridge_keys["stranger"])  # metadata now has another key
    assert stranger
    status_of(bridge.browser().get(url))
    assert bridge.events()[-1].reason == "signature_bad_signature"


def test_rsa_sha1_query_signature_is_refused(bridge):
    sp = bridge.sp("demo-app")
    _, _, info = sp.client.prepare_for_negotiated_authenticate(
        entityid="http://localhost/idp/metadata",
        binding="urn:oasis:names:tc:SAML:2.0:bindings:HTTP-Redirect",
        sign=True, sigalg=SIG_RSA_SHA1, digest_alg=DIGEST_SHA256)
    location = dict(info["headers"])["Location"]
    bridge.browser().get(location.replace("http://localhost", ""))
    assert bridge.events()[-1].reason == "signature_weak_algorithm"


def test_unsigned_request_is_accepted_when_neither_side_asks_for_signatures(
        tmp_path, bridge_engine, bridge_keys):
    from support.bridge import BridgeHarness
    harness = BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                            config_overrides={"want_authn_requests_signed": False})
    sp = harness.sp("demo-app")
    (harness.metadata_dir / "sp" / "demo-app.xml").write_text(
        sp_metadata_xml(sp.entity_id, sp.acs, sp.slo, bridge_keys["testsp"], signed_requests=False))
    assert harness.browser().get(_unsigned(sp.login_url())).status_code == 302


def _redirect_with(xml: bytes) -> str:
    deflater = zlib.compressobj(9, zlib.DEFLATED, -15)
    data = deflater.compress(xml) + deflater.flush()
    return "/idp/sso?SAMLRequest=" + quote_plus(base64.b64encode(data).decode())


def _request_xml(sp, **attrs) -> bytes:
    parts = urlsplit(sp.login_url())
    xml = zlib.decompress(base64.b64decode(parse_qs(parts.query)["SAMLRequest"][0]), -15)
    root = etree.fromstring(xml)
    for name, value in attrs.items():
        root.set(name, value)
    return etree.tostring(root)


def test_acs_url_outside_the_metadata_is_refused(tmp_path, bridge_engine, bridge_keys):
    from support.bridge import BridgeHarness
    harness = BridgeHarness(tmp_path, bridge_engine, bridge_keys,
                            config_overrides={"want_authn_requests_signed": False})
    sp = harness.sp("demo-app")
    (harness.metadata_dir / "sp" / "demo-app.xml").write_text(
        sp_metadata_xml(sp.entity_id, sp.acs, sp.slo, bridge_keys["testsp"], signed_requests=False))
    xml = _request_xml(sp, AssertionConsumerServiceURL="https://evil.example/acs")
    response = harness.browser().get(_redirect_with(xml))
    assert response.status_code == 400 and "evil" not in response.get_data(as_text=True)
    assert harness.events()[-1].reason == "wrong_acs"


def test_post_binding_request_with_xml_signature_is_accepted(bridge):
    sp = bridge.sp("demo-app")
    request_id, request = sp.client.create_authn_request(
        "http://localhost/idp/sso", binding=BINDING_HTTP_POST, sign=True,
        sign_alg=SIG_RSA_SHA256, digest_alg=DIGEST_SHA256)
    form = {"SAMLRequest": base64.b64encode(str(request).encode()).decode(), "RelayState": "x"}
    assert bridge.browser().client.post("/idp/sso", data=form).status_code == 302


@pytest.mark.parametrize("outcome, reason", [("cancel", "upstream_authn_failed"),
                                             ("card_error", "upstream_responder")])
def test_upstream_failure_reaches_the_application_as_a_status(bridge, outcome, reason):
    sp = bridge.sp("demo-app")
    browser = bridge.browser()
    answer = browser.upstream_sign_in(sp, BART, outcome=outcome)
    assert answer.status_code == 200
    xml = status_of(answer)
    assert "status:Responder" in xml and "status:AuthnFailed" in xml and "Assertion" not in xml
    event = bridge.events()[-1]
    assert (event.outcome, event.reason, event.application) == ("failed", reason, "demo-app")
    assert browser.session_cookie() is None


def test_is_passive_without_session_answers_no_passive(bridge):
    sp = bridge.sp("demo-app")
    answer = bridge.browser().get(sp.login_url(is_passive="true"))
    assert "NoPassive" in status_of(answer)
