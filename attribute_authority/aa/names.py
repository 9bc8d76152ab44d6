"""The SAML and contract names the attribute authority speaks."""
from __future__ import annotations

from ..saml.samlxml import (  # noqa: F401  (re-exported: the AA's modules import them from here)
    ATTRNAME_URI,
    DS,
    MD,
    NAMEID_PERSISTENT,
    REQUEST_DENIED,
    REQUESTER,
    RESPONDER,
    SAML,
    SAMLP,
    STATUS,
    SUCCESS,
)

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"

BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
CM_SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"

ATTR_RIGHT = "urn:lb-idbeheer:attribute:right"
ATTR_GOVERNMENT = "urn:lb-idbeheer:attribute:government"

VERSION_MISMATCH = STATUS + "VersionMismatch"
UNKNOWN_PRINCIPAL = STATUS + "UnknownPrincipal"
