"""The SAML and contract names the attribute authority speaks."""
from __future__ import annotations

from samlkit.samlxml import (  # noqa: F401  (re-exported: the AA's modules import them from here)
    ATTRIBUTE,
    ATTRNAME_URI,
    DS,
    MD,
    NAMEID_PERSISTENT,
    NAMEID_UNSPECIFIED,
    REQUEST_DENIED,
    REQUESTER,
    RESPONDER,
    SAML,
    SAMLP,
    SOAP_ENV,
    STATUS,
    SUCCESS,
)

BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
CM_SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"

ATTR_RIGHT = ATTRIBUTE + "right"
ATTR_GOVERNMENT = ATTRIBUTE + "government"

VERSION_MISMATCH = STATUS + "VersionMismatch"
UNKNOWN_PRINCIPAL = STATUS + "UnknownPrincipal"
