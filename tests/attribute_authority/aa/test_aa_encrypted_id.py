"""#10.8: an EncryptedID in an AttributeQuery is no decryption oracle.

The query is signed by the application that sends it, so its signature proves nothing about a
ciphertext that application tampered with. The AA accepts AES-GCM only, and every way an
EncryptedID can fail (cipher, key transport, key, tag, padding, plaintext) gets the one same
answer: Requester/UnknownPrincipal with the same StatusMessage, and no Assertion.
"""
import base64
import secrets

import pytest
from lxml import etree
from support import BART
from support.aa import NS, envelope, query, read, signed

from samlkit.encryption import encrypt_name_id
from samlkit.keys import ensure_dev_keypair
from samlkit.samlxml import DS, SAML, XENC

_CIPHER_VALUE = f"{{{XENC}}}EncryptedData/{{{XENC}}}CipherData/{{{XENC}}}CipherValue"
_KEY_METHOD = (f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey/"
               f"{{{XENC}}}EncryptionMethod")


def _encrypted_query(aa_server, **kwargs) -> etree._Element:
    return query(aa_server.demo.entity_id, BART, encrypt_to=aa_server.keys.encryption[0], **kwargs)


def _encrypted_id(q: etree._Element) -> etree._Element:
    return q.find(f"{{{SAML}}}Subject/{{{SAML}}}EncryptedID")


def _flip(q: etree._Element, index: int) -> etree._Element:
    value = _encrypted_id(q).find(_CIPHER_VALUE)
    raw = bytearray(base64.b64decode(value.text))
    raw[index] ^= 0x01
    value.text = base64.b64encode(bytes(raw)).decode()
    return q


def _cbc(aa_server):
    return _encrypted_query(aa_server, cipher="aes256-cbc")


def _cbc_bad_padding(aa_server):
    return _flip(_encrypted_query(aa_server, cipher="aes128-cbc"), -1)


def _cbc_other_block(aa_server):
    return _flip(_encrypted_query(aa_server, cipher="aes128-cbc"), 3)


def _gcm_bad_tag(aa_server):
    return _flip(_encrypted_query(aa_server), -1)


def _gcm_bad_ciphertext(aa_server):
    return _flip(_encrypted_query(aa_server), 14)


def _garbage(aa_server):
    q = _encrypted_query(aa_server)
    _encrypted_id(q).find(_CIPHER_VALUE).text = base64.b64encode(secrets.token_bytes(64)).decode()
    return q


def _other_key(aa_server, tmp_path):
    stranger = ensure_dev_keypair(tmp_path, "stranger", "not the AA")
    return query(aa_server.demo.entity_id, BART, encrypt_to=stranger)


def _rsa_1_5(aa_server):
    q = _encrypted_query(aa_server)
    _encrypted_id(q).find(_KEY_METHOD).set("Algorithm", f"{XENC}rsa-1_5")
    return q


def _no_encrypted_key(aa_server):
    q = _encrypted_query(aa_server)
    key = _encrypted_id(q).find(f"{{{XENC}}}EncryptedData/{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey")
    key.getparent().remove(key)
    return q


def _not_a_name_id(aa_server):
    q = query(aa_server.demo.entity_id, BART)
    subject = q.find(f"{{{SAML}}}Subject")
    plain = subject[0]
    other = etree.Element(f"{{{SAML}}}Issuer", nsmap={"saml": SAML})
    other.text = BART
    subject.replace(plain, encrypt_name_id(other, aa_server.keys.encryption[0].certificate))
    return q


FAILURES = {
    "aes-cbc": _cbc,
    "aes-cbc with bad padding": _cbc_bad_padding,
    "aes-cbc with a changed block": _cbc_other_block,
    "aes-gcm with a changed tag": _gcm_bad_tag,
    "aes-gcm with a changed ciphertext": _gcm_bad_ciphertext,
    "random ciphertext": _garbage,
    "rsa-1_5 key transport": _rsa_1_5,
    "no EncryptedKey": _no_encrypted_key,
    "an Issuer instead of a NameID": _not_a_name_id,
}


def _status(answer) -> bytes:
    status = answer.response.find("samlp:Status", namespaces=NS)
    return etree.tostring(status, method="c14n")


def _ask(aa_server, q: etree._Element):
    response = aa_server.post(envelope(signed(q, aa_server.demo.keypair)))
    assert response.status_code == 200, response.text[:300]
    return read(response.content)


def test_gcm_is_answered(aa_server):
    answer = _ask(aa_server, _encrypted_query(aa_server, cipher="aes128-gcm"))
    assert answer.statuses == ["Success"]
    assert answer.rights == ["demo-app-reader@44088"]


@pytest.mark.parametrize("case", sorted(FAILURES))
def test_every_failure_gets_the_same_answer(aa_server, tmp_path, case):
    reference = _ask(aa_server, _other_key(aa_server, tmp_path))
    assert reference.statuses == ["Requester", "UnknownPrincipal"]
    assert reference.rights is None
    answer = _ask(aa_server, FAILURES[case](aa_server))
    assert answer.rights is None
    # Byte for byte the same Status: nothing tells which step failed.
    assert _status(answer) == _status(reference)
    assert b"AES-GCM" in _status(answer)
