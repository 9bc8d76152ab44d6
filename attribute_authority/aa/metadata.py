"""Our own metadata (GET /aa/metadata): an EntityDescriptor with one
AttributeAuthorityDescriptor, built once at start-up.

Every signing key is published (the first signs; a second one announces a rollover), every
encryption key too, each KeyDescriptor with an explicit `use`; the encryption ones name the
methods we accept (AES-GCM, RSA-OAEP), and md:Extensions the signature and digest methods.
The Attributes listed are the
ones the AA deals in: `…:right`, which it releases, and `…:government`, which a query may
carry to limit the scope. The other attributes of DESIGN.md come from the bridge at sign-in.
"""
from __future__ import annotations

from lxml import etree

from samlkit.encryption import AUTHENTICATED_CIPHERS, KEY_TRANSPORT_METHODS
from samlkit.keys import KeyPair, cert_der_b64
from samlkit.xmlsig import DIGEST_METHODS, SIGNATURE_METHODS

from .keys import AaKeys
from .names import (
    ATTR_GOVERNMENT,
    ATTR_RIGHT,
    ATTRNAME_URI,
    BINDING_SOAP,
    DS,
    MD,
    NAMEID_PERSISTENT,
    NAMEID_UNSPECIFIED,
    SAML,
    SAMLP,
)

ATTRIBUTES = {ATTR_RIGHT: "right", ATTR_GOVERNMENT: "government"}
ALG = "urn:oasis:names:tc:SAML:metadata:algsupport"
# AES-256 first: Shibboleth SP takes the first method it supports.
_CONTENT_ENCRYPTION = sorted(AUTHENTICATED_CIPHERS, key=lambda uri: "256" not in uri)


def aa_metadata(entity_id: str, soap_url: str, keys: AaKeys) -> bytes:
    root = etree.Element(f"{{{MD}}}EntityDescriptor",
                         nsmap={"md": MD, "ds": DS, "saml": SAML, "alg": ALG}, entityID=entity_id)
    # The algorithms our verifier accepts: without them Shibboleth SP signs its query with
    # RSA-SHA1, which we refuse.
    extensions = etree.SubElement(root, f"{{{MD}}}Extensions")
    for digest in DIGEST_METHODS:
        etree.SubElement(extensions, f"{{{ALG}}}DigestMethod", Algorithm=digest)
    for method in SIGNATURE_METHODS:
        etree.SubElement(extensions, f"{{{ALG}}}SigningMethod", Algorithm=method)
    aa = etree.SubElement(root, f"{{{MD}}}AttributeAuthorityDescriptor",
                          protocolSupportEnumeration=SAMLP)
    for pair in keys.signing:
        _key_descriptor(aa, "signing", pair)
    for pair in keys.encryption:
        _key_descriptor(aa, "encryption", pair)
    etree.SubElement(aa, f"{{{MD}}}AttributeService", Binding=BINDING_SOAP, Location=soap_url)
    for name_format in (NAMEID_UNSPECIFIED, NAMEID_PERSISTENT):
        etree.SubElement(aa, f"{{{MD}}}NameIDFormat").text = name_format
    for name, friendly in ATTRIBUTES.items():
        etree.SubElement(aa, f"{{{SAML}}}Attribute", Name=name, NameFormat=ATTRNAME_URI,
                         FriendlyName=friendly)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)


def _key_descriptor(parent: etree._Element, use: str, pair: KeyPair) -> None:
    descriptor = etree.SubElement(parent, f"{{{MD}}}KeyDescriptor", use=use)
    data = etree.SubElement(etree.SubElement(descriptor, f"{{{DS}}}KeyInfo"), f"{{{DS}}}X509Data")
    etree.SubElement(data, f"{{{DS}}}X509Certificate").text = cert_der_b64(pair.certificate)
    if use == "encryption":
        # #10.8: an EncryptedID is accepted with AES-GCM only; saying so makes standard SPs
        # (Shibboleth SP 3 encrypts with AES-256-CBC otherwise) use it.
        for method in (*_CONTENT_ENCRYPTION, *KEY_TRANSPORT_METHODS):
            etree.SubElement(descriptor, f"{{{MD}}}EncryptionMethod", Algorithm=method)
