"""The SAML and contract names the attribute authority speaks."""
from __future__ import annotations

SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"

BINDING_SOAP = "urn:oasis:names:tc:SAML:2.0:bindings:SOAP"
ATTRNAME_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_ENTITY = "urn:oasis:names:tc:SAML:2.0:nameid-format:entity"
CM_SENDER_VOUCHES = "urn:oasis:names:tc:SAML:2.0:cm:sender-vouches"

ATTR_RIGHT = "urn:lb-idbeheer:attribute:right"
ATTR_GOVERNMENT = "urn:lb-idbeheer:attribute:government"

_STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS = _STATUS + "Success"
REQUESTER = _STATUS + "Requester"
RESPONDER = _STATUS + "Responder"
VERSION_MISMATCH = _STATUS + "VersionMismatch"
REQUEST_DENIED = _STATUS + "RequestDenied"
UNKNOWN_PRINCIPAL = _STATUS + "UnknownPrincipal"
