"""EncryptedID and EncryptedAssertion: ours and other stacks' decrypt; weak key transport and
tampering do not."""

import shutil
import subprocess

import pytest
import xmlsec
from lxml import etree
from support.saml_samples import LIMIT, SAML

from samlkit.encryption import (
    CONTENT_CIPHERS,
    decrypt_encrypted_assertion,
    decrypt_encrypted_id,
    encrypt_assertion,
    encrypt_name_id,
)
from samlkit.errors import DecryptionRefused
from samlkit.xmlparse import parse_xml
from samlkit.xmlsig import sign, verify

XENC = "http://www.w3.org/2001/04/xmlenc#"
DS = "http://www.w3.org/2000/09/xmldsig#"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


def name_id(value: str = "85073003328") -> etree._Element:
    element = etree.Element(f"{{{SAML}}}NameID", nsmap={"saml": SAML}, Format=UNSPECIFIED)
    element.text = value
    return element


def reason(encrypted_id, keypair) -> str:
    with pytest.raises(DecryptionRefused) as info:
        decrypt_encrypted_id(encrypted_id, [keypair])
    return info.value.reason


@pytest.mark.parametrize("cipher", sorted(c for c in CONTENT_CIPHERS if c.endswith("-gcm")))
def test_roundtrip(keypair, cipher):
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher=cipher)
    decrypted = decrypt_encrypted_id(encrypted, [keypair])
    assert decrypted.tag == f"{{{SAML}}}NameID"
    assert decrypted.text == "85073003328" and decrypted.get("Format") == UNSPECIFIED


@pytest.mark.parametrize("cipher", sorted(c for c in CONTENT_CIPHERS if c.endswith("-cbc")))
def test_cbc_encrypted_id_is_refused(keypair, cipher):
    # Its padding oracle would stay open: the sender's own signature covers what it tampered.
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher=cipher)
    assert reason(encrypted, keypair) == "weak_algorithm"


def test_staged_key_opens_too(keypair, other_keypair):
    encrypted = encrypt_name_id(name_id(), other_keypair.certificate)
    assert decrypt_encrypted_id(encrypted, [keypair, other_keypair]).text == "85073003328"


def test_inside_a_received_query_leaves_the_tree_alone(keypair):
    encrypted = encrypt_name_id(name_id(), keypair.certificate)
    query = etree.fromstring(
        f'<samlp:AttributeQuery xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol" '
        f'xmlns:saml="{SAML}" ID="_q" Version="2.0"><saml:Subject/></samlp:AttributeQuery>'
    )
    query[0].append(encrypted)
    received = parse_xml(etree.tostring(query), LIMIT)
    before = etree.tostring(received)
    encrypted_id = received.find(f"{{{SAML}}}Subject/{{{SAML}}}EncryptedID")
    assert decrypt_encrypted_id(encrypted_id, [keypair]).text == "85073003328"
    assert etree.tostring(received) == before


def test_encrypted_key_beside_the_data(keypair):
    # Shibboleth can place the EncryptedKey next to EncryptedData, found by RetrievalMethod.
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher="aes128-gcm")
    key_info = encrypted.find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo")
    encrypted_key = key_info.find(f"{{{XENC}}}EncryptedKey")
    encrypted_key.set("Id", "_ek1")
    encrypted.append(encrypted_key)
    etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", URI="#_ek1", Type=f"{XENC}EncryptedKey")
    assert decrypt_encrypted_id(encrypted, [keypair]).text == "85073003328"


def test_other_recipients_key_is_skipped(keypair, other_keypair):
    for_us = encrypt_name_id(name_id(), keypair.certificate)
    for_them = encrypt_name_id(name_id(), other_keypair.certificate)
    # Same session key is impossible to arrange here, so check only that a foreign key first
    # does not stop the search: put theirs before ours around our data.
    ours = for_us.find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey")
    theirs = for_them.find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey")
    ours.getparent().remove(ours)
    for_us.append(theirs)
    for_us.append(ours)
    assert decrypt_encrypted_id(for_us, [keypair]).text == "85073003328"


def test_wrong_key(keypair, other_keypair):
    encrypted = encrypt_name_id(name_id(), other_keypair.certificate)
    assert reason(encrypted, keypair) == "undecryptable"


def test_tampered_gcm_ciphertext(keypair):
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher="aes256-gcm")
    value = encrypted.find(f"{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue")
    raw = bytearray(__import__("base64").b64decode(value.text))
    raw[20] ^= 1
    value.text = __import__("base64").b64encode(bytes(raw)).decode()
    assert reason(encrypted, keypair) == "undecryptable"


def test_rsa_1_5_key_transport_is_refused(keypair):
    encrypted = _encrypt_with(keypair, xmlsec.constants.TransformRsaPkcs1)
    assert b"rsa-1_5" in etree.tostring(encrypted)
    assert reason(encrypted, keypair) == "weak_algorithm"


def test_triple_des_content_is_refused(keypair):
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher="aes128-gcm")
    method = encrypted.find(f"{{{XENC}}}EncryptedData/{{{XENC}}}EncryptionMethod")
    method.set("Algorithm", f"{XENC}tripledes-cbc")
    assert reason(encrypted, keypair) == "weak_algorithm"


def test_not_an_encrypted_id(keypair):
    assert reason(name_id(), keypair) == "malformed"


def test_encrypted_payload_must_be_a_name_id(keypair):
    other = etree.Element(f"{{{SAML}}}Issuer", nsmap={"saml": SAML})
    other.text = "https://evil.example"
    encrypted = encrypt_name_id(other, keypair.certificate)
    assert reason(encrypted, keypair) == "malformed"


@pytest.mark.parametrize(
    ("algorithm", "session_key"),
    [("http://www.w3.org/2009/xmlenc11#aes128-gcm", "aes-128"),
     ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256")],
)
def test_pysaml2_encrypted_id_decrypts(keypair, tmp_path, algorithm, session_key):
    from saml2 import element_to_extension_element, saml
    from saml2.sigver import RSA_OAEP_MGF1P, CryptoBackendXmlSec1, pre_encryption_part

    # pysaml2 encrypts with the xmlsec1 program (test side only; scripts/dev.sh installs it).
    assert shutil.which("xmlsec1"), "the xmlsec1 program is missing: apt-get install -y xmlsec1"
    assert b"aes256-gcm" in _xmlsec1_transforms(), "this xmlsec1 has no AES-GCM"
    template = tmp_path / "template.xml"
    template.write_text(str(pre_encryption_part(msg_enc=algorithm, key_enc=RSA_OAEP_MGF1P)))
    plain = saml.EncryptedID(
        extension_elements=[
            element_to_extension_element(saml.NameID(format=UNSPECIFIED, text="85073003328"))
        ]
    )
    backend = CryptoBackendXmlSec1(shutil.which("xmlsec1"))
    output = backend.encrypt(
        str(plain),
        str(keypair.cert_path),
        str(template),
        session_key,
        xpath="/*[local-name()='EncryptedID']/*[local-name()='NameID']",
    )
    received = parse_xml(output, LIMIT)
    assert received.find(f"{{{XENC}}}EncryptedData") is not None
    decrypted = decrypt_encrypted_id(received, [keypair])
    assert decrypted.text == "85073003328"


def _xmlsec1_transforms() -> bytes:
    run = subprocess.run(["xmlsec1", "--list-transforms"], capture_output=True, check=False)
    return run.stdout + run.stderr


def _encrypt_with(keypair, key_transport) -> etree._Element:
    encrypted_id = etree.Element(f"{{{SAML}}}EncryptedID", nsmap={"saml": SAML})
    data = xmlsec.template.encrypted_data_create(
        encrypted_id,
        xmlsec.constants.TransformAes128Cbc,
        type=xmlsec.constants.TypeEncElement,
        ns="xenc",
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(data)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(data, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, key_transport)
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)
    manager = xmlsec.KeysManager()
    manager.add_key(xmlsec.Key.from_memory(keypair.cert_pem, xmlsec.constants.KeyDataFormatCertPem))
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, 128, xmlsec.constants.KeyDataTypeSession
    )
    encrypted_id.append(ctx.encrypt_binary(data, etree.tostring(name_id())))
    return encrypted_id


# -- EncryptedAssertion ------------------------------------------------------------------------

ASSERTION_IN_RESPONSE = f"""<samlp:Response xmlns:samlp="urn:oasis:names:tc:SAML:2.0:protocol"
    xmlns:saml="{SAML}" ID="_r" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
  <saml:Assertion ID="_a" Version="2.0" IssueInstant="2026-01-01T00:00:00Z">
    <saml:Issuer>https://idp.example.test</saml:Issuer>
    <saml:Subject><saml:NameID>transient-1</saml:NameID></saml:Subject>
  </saml:Assertion>
</samlp:Response>"""


def signed_assertion(keypair) -> etree._Element:
    """A signed Assertion whose prefixes are declared on the Response around it, as IdPs do."""
    assertion = etree.fromstring(ASSERTION_IN_RESPONSE.encode()).find(f"{{{SAML}}}Assertion")
    sign(assertion, keypair)
    return assertion


def assertion_reason(encrypted, keypairs) -> str:
    with pytest.raises(DecryptionRefused) as info:
        decrypt_encrypted_assertion(encrypted, keypairs)
    return info.value.reason


@pytest.mark.parametrize("cipher", sorted(CONTENT_CIPHERS))
def test_assertion_roundtrip_is_a_document_of_its_own_and_still_verifies(keypair, cipher):
    encrypted = encrypt_assertion(signed_assertion(keypair), keypair.certificate, cipher=cipher)
    assert encrypted.tag == f"{{{SAML}}}EncryptedAssertion"
    assert b"transient-1" not in etree.tostring(encrypted)
    decrypted = decrypt_encrypted_assertion(encrypted, [keypair])
    assert decrypted.tag == f"{{{SAML}}}Assertion" and decrypted.getparent() is None
    assert verify(decrypted, decrypted, [keypair.certificate]) is decrypted
    assert decrypted.findtext(f"{{{SAML}}}Subject/{{{SAML}}}NameID") == "transient-1"


def test_assertion_for_the_staged_key_decrypts_too(keypair, other_keypair):
    encrypted = encrypt_assertion(signed_assertion(keypair), other_keypair.certificate)
    assert decrypt_encrypted_assertion(encrypted, [keypair, other_keypair]).get("ID") == "_a"
    assert assertion_reason(encrypted, [keypair]) == "undecryptable"


def test_assertion_with_rsa_1_5_is_refused(keypair):
    encrypted = encrypt_assertion(signed_assertion(keypair), keypair.certificate,
                                  key_transport="rsa-1_5")
    assert assertion_reason(encrypted, [keypair]) == "weak_algorithm"


def test_encrypted_assertion_must_hold_an_assertion(keypair):
    encrypted = encrypt_assertion(name_id(), keypair.certificate)
    assert assertion_reason(encrypted, [keypair]) == "malformed"
    assert assertion_reason(encrypt_name_id(name_id(), keypair.certificate), [keypair]) == "malformed"


def test_pysaml2_encrypted_assertion_decrypts_and_verifies(keypair, tmp_path):
    """Another stack's EncryptedAssertion (pysaml2 with the xmlsec1 program, as its IdP does)."""
    from saml2.sigver import RSA_OAEP_MGF1P, CryptoBackendXmlSec1, pre_encryption_part

    assert shutil.which("xmlsec1"), "the xmlsec1 program is missing: apt-get install -y xmlsec1"
    template = tmp_path / "template.xml"
    template.write_text(str(pre_encryption_part(msg_enc=f"{XENC}aes128-cbc", key_enc=RSA_OAEP_MGF1P)))
    wrapper = etree.Element(f"{{{SAML}}}EncryptedAssertion", nsmap={"saml": SAML})
    wrapper.append(signed_assertion(keypair))
    output = CryptoBackendXmlSec1(shutil.which("xmlsec1")).encrypt(
        etree.tostring(wrapper).decode(), str(keypair.cert_path), str(template), "aes-128",
        xpath="/*[local-name()='EncryptedAssertion']/*[local-name()='Assertion']")
    received = parse_xml(output if isinstance(output, bytes) else output.encode(), LIMIT)
    assert received.find(f"{{{SAML}}}Assertion") is None
    decrypted = decrypt_encrypted_assertion(received, [keypair])
    assert verify(decrypted, decrypted, [keypair.certificate]).get("ID") == "_a"
