"""XML signatures: what verifies, and every shape of wrapping and weakness that must not."""

import copy
import shutil

import pytest
import xmlsec
from cryptography.hazmat.primitives.asymmetric import ec, rsa
from lxml import etree
from support.saml_samples import (
    DS,
    LIMIT,
    SAML,
    SAMLP,
    attribute_query,
    signed_query,
    signed_response,
)

from samlkit.errors import SignatureRefused
from samlkit.keys import KeyPair, cert_der_b64, self_signed_keypair
from samlkit.xmlparse import parse_xml
from samlkit.xmlsig import sign, verify

QUERY = "/samlp:AttributeQuery"
ASSERTION = "/samlp:Response/saml:Assertion"


def refusal(data: bytes, target: str, certs) -> str:
    with pytest.raises(SignatureRefused) as info:
        verify(parse_xml(data, LIMIT), target, certs)
    return info.value.reason


# -- what verifies --------------------------------------------------------------------------


def test_roundtrip_returns_the_signed_element(keypair):
    root = parse_xml(signed_query(keypair), LIMIT)
    verified = verify(root, QUERY, [keypair.certificate])
    assert verified is root
    assert verified.findtext(f"{{{SAML}}}Subject/{{{SAML}}}NameID") == "85073003328"


def test_verifies_in_memory_right_after_signing(keypair):
    root = parse_xml(attribute_query(), LIMIT)
    signature = sign(root, keypair)
    assert root.find(f"{{{DS}}}Signature") is signature
    assert verify(root, root, [keypair.certificate]) is root


def test_signature_sits_after_issuer_with_certificate(keypair):
    root = parse_xml(signed_query(keypair), LIMIT)
    assert etree.QName(root[1]).localname == "Signature" and root[1].prefix == "ds"
    cert_text = root.findtext(f".//{{{DS}}}X509Certificate")
    assert "".join(cert_text.split()) == cert_der_b64(keypair.certificate)


def test_nested_signatures_both_verify(keypair):
    root = parse_xml(signed_response(keypair, sign_response=True), LIMIT)
    assert verify(root, "/samlp:Response", [keypair.certificate]) is root
    assertion = verify(root, ASSERTION, [keypair.certificate])
    assert assertion.get("ID") == "_a1"


def test_any_of_several_trusted_keys(keypair, other_keypair):
    # Key rollover: metadata lists the old and the new key.
    data = signed_query(keypair)
    verify(parse_xml(data, LIMIT), QUERY, [other_keypair.certificate, keypair.certificate])


def test_stale_keyinfo_is_only_a_hint(keypair, other_keypair):
    data = signed_query(keypair).replace(
        cert_der_b64(keypair.certificate).encode(), cert_der_b64(other_keypair.certificate).encode()
    )
    assert verify(parse_xml(data, LIMIT), QUERY, [keypair.certificate]) is not None


def test_ecdsa_key(tmp_path):
    pair = _keypair(ec.generate_private_key(ec.SECP256R1()))
    root = parse_xml(attribute_query(), LIMIT)
    sign(root, pair)
    data = etree.tostring(root)
    assert b"ecdsa-sha256" in data
    verify(parse_xml(data, LIMIT), QUERY, [pair.certificate])


def test_whitespace_and_prefixes_as_received(keypair):
    # Another stack's formatting survives: the tree is verified as parsed, never rebuilt.
    root = parse_xml(attribute_query(), LIMIT)
    sign(root, keypair)
    data = etree.tostring(root, pretty_print=False)
    assert b"\n  <saml:Issuer>" in data
    verify(parse_xml(data, LIMIT), QUERY, [keypair.certificate])


# -- what does not --------------------------------------------------------------------------


def test_unsigned(keypair):
    assert refusal(attribute_query(), QUERY, [keypair.certificate]) == "unsigned"


def test_tampered_content(keypair):
    data = signed_query(keypair).replace(b"85073003328", b"90021411412")
    assert refusal(data, QUERY, [keypair.certificate]) == "bad_signature"


def test_tampered_signature_value(keypair):
    root = parse_xml(signed_query(keypair), LIMIT)
    value = root.find(f".//{{{DS}}}SignatureValue")
    value.text = value.text.strip()[:-8] + "AAAAAAA="
    assert refusal(etree.tostring(root), QUERY, [keypair.certificate]) == "bad_signature"


def test_wrong_key(keypair, other_keypair):
    data = signed_query(other_keypair)
    assert refusal(data, QUERY, [keypair.certificate]) == "untrusted_key"


def test_no_trusted_keys(keypair):
    assert refusal(signed_query(keypair), QUERY, []) == "untrusted_key"


def test_rsa_sha1_is_weak(keypair):
    root = parse_xml(attribute_query(), LIMIT)
    _sign_with(root, keypair, xmlsec.constants.TransformRsaSha1, xmlsec.constants.TransformSha1)
    data = etree.tostring(root)
    assert b"rsa-sha1" in data
    assert refusal(data, QUERY, [keypair.certificate]) == "weak_algorithm"


def test_sha1_digest_is_weak(keypair):
    root = parse_xml(attribute_query(), LIMIT)
    _sign_with(root, keypair, xmlsec.constants.TransformRsaSha256, xmlsec.constants.TransformSha1)
    assert refusal(etree.tostring(root), QUERY, [keypair.certificate]) == "weak_algorithm"


@pytest.mark.parametrize(
    "algorithm",
    [
        "http://www.w3.org/2000/09/xmldsig#hmac-sha1",
        "http://www.w3.org/2001/04/xmldsig-more#hmac-sha256",
        "http://www.w3.org/2001/04/xmldsig-more#rsa-md5",
    ],
)
def test_hmac_and_md5_are_weak(keypair, algorithm):
    data = signed_query(keypair).replace(
        b"http://www.w3.org/2001/04/xmldsig-more#rsa-sha256", algorithm.encode()
    )
    assert refusal(data, QUERY, [keypair.certificate]) == "weak_algorithm"


def test_short_rsa_key_is_weak():
    pair = _keypair(rsa.generate_private_key(public_exponent=65537, key_size=1024))
    root = parse_xml(attribute_query(), LIMIT)
    sign(root, pair)
    assert refusal(etree.tostring(root), QUERY, [pair.certificate]) == "weak_algorithm"


@pytest.mark.parametrize(
    "transform",
    [
        b"http://www.w3.org/TR/1999/REC-xpath-19991116",
        b"http://www.w3.org/TR/1999/REC-xslt-19991116",
        b"http://www.w3.org/2001/10/xml-exc-c14n#WithComments",
    ],
)
def test_other_transforms_are_refused(keypair, transform):
    data = signed_query(keypair).replace(
        b'<ds:Transform Algorithm="http://www.w3.org/2001/10/xml-exc-c14n#"/>',
        b'<ds:Transform Algorithm="' + transform + b'"/>',
    )
    assert refusal(data, QUERY, [keypair.certificate]) == "bad_transform"


def test_missing_id(keypair):
    data = signed_query(keypair).replace(b'ID="_q1"', b"")
    assert refusal(data, QUERY, [keypair.certificate]) == "missing_id"


# -- signature wrapping ----------------------------------------------------------------------


def _evil_assertion(original: etree._Element, new_id: str | None) -> etree._Element:
    evil = copy.deepcopy(original)
    evil.find(f"{{{DS}}}Signature").getparent().remove(evil.find(f"{{{DS}}}Signature"))
    evil.find(f"{{{SAML}}}Subject/{{{SAML}}}NameID").text = "01091204695"
    if new_id is not None:
        evil.set("ID", new_id)
    return evil


def _swap_into_extensions(root: etree._Element, evil: etree._Element) -> None:
    """Put `evil` where the signed Assertion was, and the signed one in samlp:Extensions."""
    signed = root.find(f"{{{SAML}}}Assertion")
    extensions = etree.Element(f"{{{SAMLP}}}Extensions")
    root.insert(1, extensions)
    root.replace(signed, evil)
    extensions.append(signed)


def test_xsw_signed_assertion_moved_into_extensions(keypair):
    root = parse_xml(signed_response(keypair), LIMIT)
    _swap_into_extensions(root, _evil_assertion(root.find(f"{{{SAML}}}Assertion"), "_evil"))
    assert refusal(etree.tostring(root), ASSERTION, [keypair.certificate]) == "unsigned"


def test_xsw_evil_copy_with_same_id(keypair):
    root = parse_xml(signed_response(keypair), LIMIT)
    signed = root.find(f"{{{SAML}}}Assertion")
    evil = _evil_assertion(signed, None)
    evil.insert(1, copy.deepcopy(signed.find(f"{{{DS}}}Signature")))
    _swap_into_extensions(root, evil)
    assert refusal(etree.tostring(root), ASSERTION, [keypair.certificate]) == "wrapping"


def test_xsw_signed_original_hidden_in_signature_object(keypair):
    root = parse_xml(signed_response(keypair), LIMIT)
    signed = root.find(f"{{{SAML}}}Assertion")
    signature = copy.deepcopy(signed.find(f"{{{DS}}}Signature"))
    evil = _evil_assertion(signed, "_evil")
    evil.insert(1, signature)
    obj = etree.SubElement(signature, f"{{{DS}}}Object")
    root.replace(signed, evil)
    obj.append(signed)
    assert refusal(etree.tostring(root), ASSERTION, [keypair.certificate]) == "wrapping"


def test_xsw_reference_to_another_element(keypair):
    # A valid signature over the Assertion, moved onto the Response: it references _a1, not _r1.
    root = parse_xml(signed_response(keypair), LIMIT)
    signature = root.find(f"{{{SAML}}}Assertion/{{{DS}}}Signature")
    root.insert(1, signature)
    assert refusal(etree.tostring(root), "/samlp:Response", [keypair.certificate]) == "wrapping"


def test_xsw_two_assertions(keypair):
    root = parse_xml(signed_response(keypair), LIMIT)
    signed = root.find(f"{{{SAML}}}Assertion")
    root.append(_evil_assertion(signed, "_evil"))
    assert refusal(etree.tostring(root), ASSERTION, [keypair.certificate]) == "wrapping"


def test_xsw_xml_id_duplicate(keypair):
    root = parse_xml(signed_response(keypair), LIMIT)
    evil = _evil_assertion(root.find(f"{{{SAML}}}Assertion"), "_evil")
    evil.set("{http://www.w3.org/XML/1998/namespace}id", "_a1")
    root.append(evil)
    data = etree.tostring(root)
    assert refusal(data, "/samlp:Response/saml:Assertion[1]", [keypair.certificate]) == "wrapping"


def test_two_signatures_on_one_element(keypair):
    root = parse_xml(signed_query(keypair), LIMIT)
    root.insert(2, copy.deepcopy(root[1]))
    assert refusal(etree.tostring(root), QUERY, [keypair.certificate]) == "wrapping"


def test_two_references(keypair):
    root = parse_xml(signed_query(keypair), LIMIT)
    signed_info = root.find(f"{{{DS}}}Signature/{{{DS}}}SignedInfo")
    signed_info.append(copy.deepcopy(signed_info[2]))
    assert refusal(etree.tostring(root), QUERY, [keypair.certificate]) == "wrapping"


def test_target_missing(keypair):
    assert refusal(signed_query(keypair), ASSERTION, [keypair.certificate]) == "not_found"


# -- other stacks ---------------------------------------------------------------------------


@pytest.mark.parametrize("usual_prefixes", [True, False])
def test_pysaml2_signed_attribute_query_verifies(keypair, usual_prefixes):
    # pysaml2 signs with the xmlsec1 program (test side only; scripts/dev.sh installs it).
    assert shutil.which("xmlsec1"), "the xmlsec1 program is missing: apt-get install -y xmlsec1"
    from saml2 import saml, samlp
    from saml2.sigver import CryptoBackendXmlSec1, pre_signature_part
    from saml2.xmldsig import DIGEST_SHA256, SIG_RSA_SHA256
    from saml2.xmldsig import NAMESPACE as DS_NS

    query = samlp.AttributeQuery(
        id="_pysaml2q",
        version="2.0",
        issue_instant="2025-03-01T10:00:00Z",
        issuer=saml.Issuer(text="https://demo-app.example.be/sp"),
        subject=saml.Subject(name_id=saml.NameID(text="85073003328")),
    )
    # pysaml2's own default is still rsa-sha1, which we refuse: configure it as a peer must.
    query.signature = pre_signature_part(
        query.id,
        cert_der_b64(keypair.certificate),
        digest_alg=DIGEST_SHA256,
        sign_alg=SIG_RSA_SHA256,
    )
    xml = query.to_string(nspair={"samlp": samlp.NAMESPACE, "saml": saml.NAMESPACE, "ds": DS_NS})
    if not usual_prefixes:  # as pysaml2's str() writes it, whatever prefixes were registered
        for usual, generated in (("samlp", "ns0"), ("saml", "ns1"), ("ds", "ns2")):
            xml = xml.replace(f"<{usual}:".encode(), f"<{generated}:".encode())
            xml = xml.replace(f"</{usual}:".encode(), f"</{generated}:".encode())
            xml = xml.replace(f"xmlns:{usual}=".encode(), f"xmlns:{generated}=".encode())
    backend = CryptoBackendXmlSec1(shutil.which("xmlsec1"))
    signed = backend.sign_statement(
        xml,
        "urn:oasis:names:tc:SAML:2.0:protocol:AttributeQuery",
        str(keypair.key_path),
        "_pysaml2q",
    )
    data = signed.encode()
    assert (b"<samlp:AttributeQuery" in data) == usual_prefixes
    root = parse_xml(data, LIMIT)
    assert verify(root, root, [keypair.certificate]).get("ID") == "_pysaml2q"


# -- helpers --------------------------------------------------------------------------------


def _sign_with(root: etree._Element, pair: KeyPair, method, digest) -> None:
    signature = xmlsec.template.create(root, xmlsec.constants.TransformExclC14N, method, ns="ds")
    reference = xmlsec.template.add_reference(signature, digest, uri=f"#{root.get('ID')}")
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformEnveloped)
    xmlsec.template.add_transform(reference, xmlsec.constants.TransformExclC14N)
    root.insert(1, signature)
    ctx = xmlsec.SignatureContext()
    ctx.register_id(root, "ID")
    ctx.key = xmlsec.Key.from_memory(pair.key_pem, xmlsec.constants.KeyDataFormatPem)
    ctx.sign(signature)


def _keypair(private_key) -> KeyPair:
    return self_signed_keypair(private_key, "test signer", days=1)
