"""EncryptedID: ours and other stacks' decrypt; weak key transport and tampering do not."""

import shutil
import subprocess

import pytest
import xmlsec
from lxml import etree
from saml_samples import LIMIT, SAML

from attribute_authority.saml.encryption import (
    CONTENT_CIPHERS,
    decrypt_encrypted_id,
    encrypt_name_id,
)
from attribute_authority.saml.errors import DecryptionRefused
from attribute_authority.saml.xmlparse import parse_xml

XENC = "http://www.w3.org/2001/04/xmlenc#"
DS = "http://www.w3.org/2000/09/xmldsig#"
UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"


def name_id(value: str = "85073003328") -> etree._Element:
    element = etree.Element(f"{{{SAML}}}NameID", nsmap={"saml": SAML}, Format=UNSPECIFIED)
    element.text = value
    return element


def reason(encrypted_id, keypair) -> str:
    with pytest.raises(DecryptionRefused) as info:
        decrypt_encrypted_id(encrypted_id, keypair)
    return info.value.reason


@pytest.mark.parametrize("cipher", sorted(CONTENT_CIPHERS))
def test_roundtrip(keypair, cipher):
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher=cipher)
    decrypted = decrypt_encrypted_id(encrypted, keypair)
    assert decrypted.tag == f"{{{SAML}}}NameID"
    assert decrypted.text == "85073003328" and decrypted.get("Format") == UNSPECIFIED


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
    assert decrypt_encrypted_id(encrypted_id, keypair).text == "85073003328"
    assert etree.tostring(received) == before


def test_encrypted_key_beside_the_data(keypair):
    # Shibboleth can place the EncryptedKey next to EncryptedData, found by RetrievalMethod.
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher="aes128-cbc")
    key_info = encrypted.find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo")
    encrypted_key = key_info.find(f"{{{XENC}}}EncryptedKey")
    encrypted_key.set("Id", "_ek1")
    encrypted.append(encrypted_key)
    etree.SubElement(key_info, f"{{{DS}}}RetrievalMethod", URI="#_ek1", Type=f"{XENC}EncryptedKey")
    assert decrypt_encrypted_id(encrypted, keypair).text == "85073003328"


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
    assert decrypt_encrypted_id(for_us, keypair).text == "85073003328"


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
    encrypted = encrypt_name_id(name_id(), keypair.certificate, cipher="aes128-cbc")
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
    [(f"{XENC}aes128-cbc", "aes-128"), ("http://www.w3.org/2009/xmlenc11#aes256-gcm", "aes-256")],
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
    decrypted = decrypt_encrypted_id(received, keypair)
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
