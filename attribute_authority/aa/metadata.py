"""Our own metadata (GET /aa/metadata): an EntityDescriptor with one
AttributeAuthorityDescriptor (samlkit.mdprofile's SAML2Int profile).

Every signing key is published (the first signs; a second one announces a rollover), every
encryption key too, each KeyDescriptor with an explicit `use`; the encryption ones name the
methods we accept (AES-GCM, RSA-OAEP), and md:Extensions the signature and digest methods.
The Attributes listed are the
ones the AA deals in: `…:right`, which it releases, and `…:government`, which a query may
carry to limit the scope. The other attributes of DESIGN.md come from the bridge at sign-in.
"""
from __future__ import annotations

import datetime as dt

from lxml import etree

from samlkit.mdprofile import entity_descriptor, key_descriptor

from .keys import AaKeys
from .names import (
    ATTR_GOVERNMENT,
    ATTR_RIGHT,
    ATTRNAME_URI,
    BINDING_SOAP,
    MD,
    NAMEID_PERSISTENT,
    NAMEID_UNSPECIFIED,
    SAML,
    SAMLP,
)

ATTRIBUTES = {ATTR_RIGHT: "right", ATTR_GOVERNMENT: "government"}


def aa_metadata(entity_id: str, soap_url: str, keys: AaKeys, now: dt.datetime | None = None) -> bytes:
    """`now` stamps validUntil/cacheDuration (samlkit.mdprofile) on the served document."""
    root = entity_descriptor(entity_id, now)
    aa = etree.SubElement(root, f"{{{MD}}}AttributeAuthorityDescriptor",
                          protocolSupportEnumeration=SAMLP)
    for pair in keys.signing:
        key_descriptor(aa, pair, "signing")
    for pair in keys.encryption:
        # #10.8: an EncryptedID is accepted with AES-GCM only; the EncryptionMethods make
        # standard SPs (Shibboleth SP 3 encrypts with AES-256-CBC otherwise) use it.
        key_descriptor(aa, pair, "encryption")
    etree.SubElement(aa, f"{{{MD}}}AttributeService", Binding=BINDING_SOAP, Location=soap_url)
    for name_format in (NAMEID_UNSPECIFIED, NAMEID_PERSISTENT):
        etree.SubElement(aa, f"{{{MD}}}NameIDFormat").text = name_format
    for name, friendly in ATTRIBUTES.items():
        etree.SubElement(aa, f"{{{SAML}}}Attribute", Name=name, NameFormat=ATTRNAME_URI,
                         FriendlyName=friendly)
    return etree.tostring(root, xml_declaration=True, encoding="UTF-8", pretty_print=True)
