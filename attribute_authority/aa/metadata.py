"""Our own metadata (GET /aa/metadata): an EntityDescriptor with one
AttributeAuthorityDescriptor, built once at start-up.

Every signing key is published (the first signs; a second one announces a rollover), every
encryption key too, each KeyDescriptor with an explicit `use`. The Attributes listed are the
ones the AA deals in: `…:right`, which it releases, and `…:government`, which a query may
carry to limit the scope. The other attributes of DESIGN.md come from the bridge at sign-in.
"""
from __future__ import annotations

from lxml import etree

from samlkit.keys import KeyPair, cert_der_b64

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


def aa_metadata(entity_id: str, soap_url: str, keys: AaKeys) -> bytes:
    root = etree.Element(f"{{{MD}}}EntityDescriptor", nsmap={"md": MD, "ds": DS, "saml": SAML},
                         entityID=entity_id)
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
