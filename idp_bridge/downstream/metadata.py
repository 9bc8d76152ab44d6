"""The bridge IdP's metadata, published at /idp/metadata (entityID = that URL), per SAML2Int
(samlkit.mdprofile): algorithms, validity, names for discovery pages, the help page as
errorURL, and the scope of the pairwise-id and subject-id it releases."""
from __future__ import annotations

import datetime as dt

from lxml import etree

from samlkit.bindings import BINDING_HTTP_POST, BINDING_HTTP_REDIRECT
from samlkit.keys import KeyPair
from samlkit.mdprofile import entity_descriptor, key_descriptor, scope, ui_info
from samlkit.samlxml import NAMEID_PERSISTENT, NAMEID_TRANSIENT, el

from ..upstream.metadata import SAML2

DISPLAY_NAMES = {"nl": "Gebruikersbeheer lokale besturen", "en": "Local government user management"}
DESCRIPTIONS = {
    "nl": "Aanmelden met eID of federaal token als burger of als medewerker van een lokaal bestuur.",
    "en": "Sign in with eID or federal token as a citizen or as an employee of a local government.",
}


def idp_metadata(entity_id: str, sso_url: str, slo_url: str, keypairs: list[KeyPair],
                 want_authn_requests_signed: bool, *, now: dt.datetime | None, error_url: str,
                 subject_scope: str) -> bytes:
    """Several key pairs publish a rollover: the new key before it signs, the old after."""
    root = entity_descriptor(entity_id, now)
    idp = el(root, "md:IDPSSODescriptor", protocolSupportEnumeration=SAML2,
             WantAuthnRequestsSigned="true" if want_authn_requests_signed else "false",
             errorURL=error_url)
    scope(idp, subject_scope)
    ui_info(idp, DISPLAY_NAMES, DESCRIPTIONS)
    for keypair in keypairs:
        key_descriptor(idp, keypair, "signing")
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        el(idp, "md:SingleLogoutService", Binding=binding, Location=slo_url)
    for name_id_format in (NAMEID_PERSISTENT, NAMEID_TRANSIENT):
        el(idp, "md:NameIDFormat", name_id_format)
    for binding in (BINDING_HTTP_REDIRECT, BINDING_HTTP_POST):
        el(idp, "md:SingleSignOnService", Binding=binding, Location=sso_url)
    return etree.tostring(root, encoding="utf-8")
