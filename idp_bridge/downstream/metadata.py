"""The bridge IdP's metadata, published at /idp/metadata (entityID = that URL)."""
from __future__ import annotations

from samlkit.bindings import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from samlkit.keys import KeyPair
from samlkit.samlxml import (
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    el,
    key_descriptor,
    to_bytes,
)

from ..upstream.metadata import SAML2


def idp_metadata(entity_id: str, sso_url: str, slo_url: str, keypairs: list[KeyPair],
                 want_authn_requests_signed: bool) -> bytes:
    """Several key pairs publish a rollover: the new key before it signs, the old after."""
    root = el(None, "md:EntityDescriptor", entityID=entity_id)
    idp = el(root, "md:IDPSSODescriptor", protocolSupportEnumeration=SAML2,
             WantAuthnRequestsSigned="true" if want_authn_requests_signed else "false")
    for keypair in keypairs:
        key_descriptor(idp, keypair, "signing")
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        el(idp, "md:SingleLogoutService", Binding=binding, Location=slo_url)
    for name_id_format in (NAMEID_PERSISTENT, NAMEID_TRANSIENT):
        el(idp, "md:NameIDFormat", name_id_format)
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        el(idp, "md:SingleSignOnService", Binding=binding, Location=sso_url)
    return to_bytes(root)
