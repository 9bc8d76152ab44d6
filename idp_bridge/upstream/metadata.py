"""The bridge SP's metadata, published at /sp/metadata (entityID = that URL)."""
from __future__ import annotations

from attribute_authority.saml.bindings import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from attribute_authority.saml.keys import KeyPair, cert_der_b64
from attribute_authority.saml.samlxml import NAMEID_TRANSIENT, el, to_bytes

SAML2 = "urn:oasis:names:tc:SAML:2.0:protocol"


def sp_metadata(entity_id: str, acs_url: str, slo_url: str, keypair: KeyPair) -> bytes:
    root = el(None, "md:EntityDescriptor", entityID=entity_id)
    sp = el(root, "md:SPSSODescriptor", AuthnRequestsSigned="true", WantAssertionsSigned="true",
            protocolSupportEnumeration=SAML2)
    key_descriptor(sp, keypair, "signing")
    el(sp, "md:SingleLogoutService", Binding=BINDING_HTTP_REDIRECT, Location=slo_url)
    el(sp, "md:NameIDFormat", NAMEID_TRANSIENT)
    el(sp, "md:AssertionConsumerService", Binding=BINDING_HTTP_POST, Location=acs_url,
       index="0", isDefault="true")
    return to_bytes(root)


def key_descriptor(parent, keypair: KeyPair, use: str) -> None:
    descriptor = el(parent, "md:KeyDescriptor", use=use)
    key_info = el(descriptor, "ds:KeyInfo")
    el(el(key_info, "ds:X509Data"), "ds:X509Certificate", cert_der_b64(keypair.certificate))
