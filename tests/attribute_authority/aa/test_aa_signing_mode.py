"""IDBEHEER_AA_SIGN_RESPONSE: the Assertion is always signed (DESIGN.md); the Response around
it too by default, or not, which saves one RSA signature per answer. Both kinds of answer are
read by pysaml2 and by demo-app's self-contained client."""
import pytest
from lxml import etree
from saml2.xml.schema import _create_xml_schema_validator
from support import BART, HANNE
from support.aa import DS, SAML, envelope, query, read, signed
from support.aa_pysaml2 import ask, client, rights

from examples.demo_app.aa_client import Authority, read_answer
from samlkit.xmlsig import verify

_SIGNATURE = f"{{{DS}}}Signature"
_ASSERTION = f"{{{SAML}}}Assertion"


def _ask(server, rrn: str):
    q = signed(query(server.demo.entity_id, rrn), server.demo.keypair)
    data = server.post(envelope(q)).content
    return q, data, read(data)


def _certs(server):
    return [k.certificate for k in server.keys.signing]


def test_by_default_response_and_assertion_are_signed(aa_server):
    _, _, answer = _ask(aa_server, BART)
    assert answer.response.find(_SIGNATURE) is not None
    verify(answer.root, answer.response, _certs(aa_server))
    verify(answer.root, answer.response.find(_ASSERTION), _certs(aa_server))


def test_one_signature_mode_signs_the_assertion_only(aa_server_one_signature):
    server = aa_server_one_signature
    _, _, answer = _ask(server, BART)
    assert answer.statuses == ["Success"] and answer.rights == ["demo-app-reader@44088"]
    assert answer.response.find(_SIGNATURE) is None
    assertion = verify(answer.root, answer.response.find(_ASSERTION), _certs(server))
    assert assertion.find(_SIGNATURE) is not None
    _create_xml_schema_validator().validate(etree.tostring(answer.response))


def test_one_signature_mode_still_signs_unknown_principal(aa_server_one_signature):
    """An UnknownPrincipal answer has no Assertion: its Response signature is all there is."""
    _, _, answer = _ask(aa_server_one_signature, HANNE)
    assert answer.statuses == ["Requester", "UnknownPrincipal"]
    verify(answer.root, answer.response, _certs(aa_server_one_signature))


def test_demo_app_client_reads_the_one_signature_answer(aa_server_one_signature):
    server = aa_server_one_signature
    q, data, _ = _ask(server, BART)
    aa = Authority(f"{server.base_url}/aa/metadata", tuple(_certs(server)))
    got = read_answer(data, q.get("ID"), server.demo.entity_id, aa)
    assert got.status == "Success" and got.rights == ["demo-app-reader@44088"]


@pytest.mark.parametrize("want_response_signed", [True, False])
def test_pysaml2_accepts_the_one_signature_answer(aa_server_one_signature, tmp_path,
                                                  want_response_signed):
    """pysaml2 passes `want_response_signed` (and `want_assertions_signed`) to AuthnResponses
    only: for an AttributeResponse it verifies the signatures present and requires none, so
    it accepts an unsigned Response around a signed Assertion whatever its configuration."""
    sp = _pysaml2(aa_server_one_signature, tmp_path, want_response_signed=want_response_signed)
    assert rights(ask(sp, aa_server_one_signature.soap_url, BART)) == ["demo-app-reader@44088"]


def _pysaml2(server, workdir, **kwargs):
    certs = server.settings.certs_dir
    return client(server.base_url, server.demo.entity_id, certs / "demo-app.key",
                  certs / "demo-app.crt", workdir, **kwargs)
