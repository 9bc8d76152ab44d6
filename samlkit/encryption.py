"""XML Encryption for SAML: an EncryptedID (a NameID encrypted to the attribute authority's
key) and an EncryptedAssertion (an upstream IdP's Assertion encrypted to the bridge SP's key).

Only RSA-OAEP key transport is accepted. RSA PKCS#1 v1.5 (`rsa-1_5`) is refused: the AA
answers every query, so any observable difference on bad padding would make it a
Bleichenbacher oracle for recovering session keys (Jager, Schwenk, Somorovsky, "Bleichenbacher's
attack strikes again", 2012), and XML Encryption 1.1 warns against it.

An EncryptedID is accepted only with AES-GCM content (`AUTHENTICATED_CIPHERS`): it arrives in
an AttributeQuery signed by the application that sent it, and that signature proves nothing
when the sender is the one tampering, so AES-CBC's padding oracle (Jager & Somorovsky, "How to
break XML Encryption", 2011) would stay open. An EncryptedAssertion may still use AES-CBC:
it is decrypted only inside a Response whose signature, by the upstream IdP, has verified.

Every cryptographic failure is reported with the same reason and message, and costs the same
work: a session key that does not unwrap is replaced by a random one and the content is
decrypted all the same (its tag or padding then fails), so neither the answer nor its timing
tells a bad key transport from bad content.
"""

from __future__ import annotations

import copy
import os
from collections.abc import Sequence

import xmlsec
from cryptography import x509
from cryptography.hazmat.primitives import serialization
from lxml import etree

from .errors import DecryptionRefused, XmlRefused
from .keys import KeyPair
from .samlxml import DS, SAML, XENC, XENC11
from .xmlparse import parse_xml

__all__ = [
    "AUTHENTICATED_CIPHERS",
    "KEY_TRANSPORT_METHODS",
    "CONTENT_CIPHERS",
    "KEY_TRANSPORTS",
    "decrypt_encrypted_assertion",
    "decrypt_encrypted_id",
    "encrypt_assertion",
    "encrypt_name_id",
]


_KEY_TRANSPORTS = {f"{XENC}rsa-oaep-mgf1p", f"{XENC11}rsa-oaep"}
KEY_TRANSPORT_METHODS = (f"{XENC}rsa-oaep-mgf1p", f"{XENC11}rsa-oaep")
# short name -> (algorithm URI, xmlsec transform, key bits)
CONTENT_CIPHERS = {
    "aes128-cbc": (f"{XENC}aes128-cbc", xmlsec.constants.TransformAes128Cbc, 128),
    "aes192-cbc": (f"{XENC}aes192-cbc", xmlsec.constants.TransformAes192Cbc, 192),
    "aes256-cbc": (f"{XENC}aes256-cbc", xmlsec.constants.TransformAes256Cbc, 256),
    "aes128-gcm": (f"{XENC11}aes128-gcm", xmlsec.constants.TransformAes128Gcm, 128),
    "aes192-gcm": (f"{XENC11}aes192-gcm", xmlsec.constants.TransformAes192Gcm, 192),
    "aes256-gcm": (f"{XENC11}aes256-gcm", xmlsec.constants.TransformAes256Gcm, 256),
}
_KEY_BITS = {uri: bits for uri, _, bits in CONTENT_CIPHERS.values()}
# Content ciphers with integrity: the only ones an EncryptedID may use.
AUTHENTICATED_CIPHERS = frozenset(uri for name, (uri, _, _) in CONTENT_CIPHERS.items()
                                  if name.endswith("-gcm"))
# short name -> xmlsec transform, for writing; "rsa-1_5" only so that tests can show the refusal
KEY_TRANSPORTS = {
    "rsa-oaep-mgf1p": xmlsec.constants.TransformRsaOaep,
    "rsa-1_5": xmlsec.constants.TransformRsaPkcs1,
}
_UNDECRYPTABLE = "the {what} cannot be decrypted with our key"
# An assertion is bounded by the message it came in; this only stops a decompression-like blow-up.
_MAX_ASSERTION_BYTES = 1 << 20


def decrypt_encrypted_id(
    encrypted_id: etree._Element, keypairs: Sequence[KeyPair]
) -> etree._Element:
    """Return the saml:NameID inside a saml:EncryptedID, as a new standalone element.

    The caller's tree is left untouched (it stays as signed). The EncryptedKey may sit inside
    EncryptedData/KeyInfo or beside EncryptedData; several (one per recipient) are tried, each
    with every one of `keypairs` (current and staged keys). AES-GCM content only.
    Raises `DecryptionRefused` with reason `malformed`, `weak_algorithm` or `undecryptable`.
    """
    name_id = _decrypt(encrypted_id, "EncryptedID", "NameID", keypairs, AUTHENTICATED_CIPHERS)
    if len(name_id):
        raise DecryptionRefused("malformed", "the EncryptedID does not hold one plain saml:NameID")
    return copy.deepcopy(name_id)


def decrypt_encrypted_assertion(
    encrypted_assertion: etree._Element, keypairs: Sequence[KeyPair]
) -> etree._Element:
    """Return the saml:Assertion inside a saml:EncryptedAssertion as the root of a document of
    its own, parsed by the hardened parser, so its signature can be verified on its own.

    The caller must have verified the signature of the message around it (see above) and must
    verify the Assertion's own signature before reading anything of it. Each of `keypairs`
    (current and staged encryption keys) is tried. Reasons as for `decrypt_encrypted_id`.
    """
    assertion = _decrypt(encrypted_assertion, "EncryptedAssertion", "Assertion", keypairs,
                         frozenset(_KEY_BITS))
    try:
        return parse_xml(etree.tostring(assertion), _MAX_ASSERTION_BYTES)
    except XmlRefused as exc:
        raise DecryptionRefused("malformed", f"the decrypted Assertion is refused: {exc.message}") from None


def _decrypt(
    container: etree._Element, container_name: str, content_name: str,
    keypairs: Sequence[KeyPair], ciphers: frozenset[str],
) -> etree._Element:
    """Decrypt the one EncryptedData of a saml:<container_name> in a copy of it; return the
    saml:<content_name> element it held (inside that copy)."""
    if container.tag != f"{{{SAML}}}{container_name}":
        raise DecryptionRefused("malformed", f"expected saml:{container_name}, not {container.tag}")
    undecryptable = _UNDECRYPTABLE.format(what=container_name)
    work = copy.deepcopy(container)
    data_nodes = work.findall(f"{{{XENC}}}EncryptedData")
    if len(data_nodes) != 1:
        raise DecryptionRefused("malformed", f"an {container_name} holds exactly one EncryptedData")
    encrypted_data = data_nodes[0]
    key_bits = _content_key_bits(encrypted_data, ciphers)
    key_nodes = [
        *encrypted_data.findall(f"{{{DS}}}KeyInfo/{{{XENC}}}EncryptedKey"),
        *work.findall(f"{{{XENC}}}EncryptedKey"),
    ]
    if not key_nodes:
        raise DecryptionRefused("malformed", "no EncryptedKey for the EncryptedData")
    for key_node in key_nodes:
        _check_key_transport(key_node)

    # Every key node with every key pair, whichever opens: the work does not depend on which.
    unwrapped = [_unwrap(key_node, keypair) for key_node in key_nodes for keypair in keypairs]
    session_key = next((k for k in unwrapped if k is not None and len(k) * 8 == key_bits), None)
    opened = session_key is not None

    ctx = xmlsec.EncryptionContext()
    ctx.key = xmlsec.Key.from_binary_data(
        xmlsec.constants.KeyDataAes, session_key or os.urandom(key_bits // 8)
    )
    # Parse the plaintext in place as an element, whatever Type the sender wrote.
    encrypted_data.set("Type", f"{XENC}Element")
    try:
        content = ctx.decrypt(encrypted_data)
    except xmlsec.Error:
        content = None
    if not opened or content is None:
        raise DecryptionRefused("undecryptable", undecryptable)
    others = [n for n in work if n is not content and n.tag != f"{{{XENC}}}EncryptedKey"]
    if (
        not isinstance(content, etree._Element)
        or content.tag != f"{{{SAML}}}{content_name}"
        or others
    ):
        raise DecryptionRefused(
            "malformed", f"the {container_name} does not hold one saml:{content_name}"
        )
    return content


def encrypt_name_id(
    name_id: etree._Element, recipient: x509.Certificate, *, cipher: str = "aes256-gcm"
) -> etree._Element:
    """Encrypt a saml:NameID to `recipient`; return a saml:EncryptedID.

    For test and demo queries. RSA-OAEP key transport, the EncryptedKey inside
    EncryptedData/KeyInfo as most stacks expect; `cipher` is a key of `CONTENT_CIPHERS`.
    """
    return _encrypt(name_id, "EncryptedID", recipient, cipher, "rsa-oaep-mgf1p")


def encrypt_assertion(
    assertion: etree._Element, recipient: x509.Certificate, *, cipher: str = "aes256-gcm",
    key_transport: str = "rsa-oaep-mgf1p",
) -> etree._Element:
    """Encrypt a (signed) saml:Assertion to `recipient`; return a saml:EncryptedAssertion.

    What dev_eid does when told to encrypt, as the federal IdP may; `key_transport` is a key of
    `KEY_TRANSPORTS` (`rsa-1_5` only to show that it is refused).
    """
    return _encrypt(assertion, "EncryptedAssertion", recipient, cipher, key_transport)


def _encrypt(
    element: etree._Element, container_name: str, recipient: x509.Certificate, cipher: str,
    key_transport: str,
) -> etree._Element:
    _, transform, bits = CONTENT_CIPHERS[cipher]
    container = etree.Element(f"{{{SAML}}}{container_name}", nsmap={"saml": SAML})
    encrypted_data = xmlsec.template.encrypted_data_create(
        container, transform, type=xmlsec.constants.TypeEncElement, ns="xenc"
    )
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_data)
    key_info = xmlsec.template.encrypted_data_ensure_key_info(encrypted_data, ns="ds")
    encrypted_key = xmlsec.template.add_encrypted_key(key_info, KEY_TRANSPORTS[key_transport])
    xmlsec.template.encrypted_data_ensure_cipher_value(encrypted_key)

    manager = xmlsec.KeysManager()
    manager.add_key(
        xmlsec.Key.from_memory(
            recipient.public_bytes(serialization.Encoding.DER),
            xmlsec.constants.KeyDataFormatCertDer,
        )
    )
    ctx = xmlsec.EncryptionContext(manager)
    ctx.key = xmlsec.Key.generate(
        xmlsec.constants.KeyDataAes, bits, xmlsec.constants.KeyDataTypeSession
    )
    # lxml serializes the element with every namespace it needs, so any peer can decrypt it
    # whatever prefixes its own document uses.
    encrypted_data = ctx.encrypt_binary(encrypted_data, etree.tostring(element))
    container.append(encrypted_data)
    # Re-read, because nodes that xmlsec creates are invisible to lxml's find().
    return etree.fromstring(etree.tostring(container))


def _content_key_bits(encrypted_data: etree._Element, ciphers: frozenset[str]) -> int:
    algorithm = encrypted_data.find(f"{{{XENC}}}EncryptionMethod")
    uri = algorithm.get("Algorithm") if algorithm is not None else None
    if uri not in ciphers:
        raise DecryptionRefused("weak_algorithm", f"content encryption {uri} is not accepted")
    return _KEY_BITS[uri]


def _check_key_transport(encrypted_key: etree._Element) -> None:
    method = encrypted_key.find(f"{{{XENC}}}EncryptionMethod")
    uri = method.get("Algorithm") if method is not None else None
    if uri not in _KEY_TRANSPORTS:
        raise DecryptionRefused("weak_algorithm", f"key transport {uri} is not accepted")


def _unwrap(encrypted_key: etree._Element, keypair: KeyPair) -> bytes | None:
    ctx = xmlsec.EncryptionContext()
    ctx.key = keypair.xmlsec_key
    try:
        session_key = ctx.decrypt(encrypted_key)
    except xmlsec.Error:
        return None
    return session_key if isinstance(session_key, bytes) else None
