"""The bridge's answers to an application: a signed assertion, or an error status.

The Assertion is signed (our key, RSA-SHA256, exclusive c14n) with Audience = the
application's entityID, Recipient and Destination = its ACS URL, InResponseTo = its request,
and a persistent pairwise NameID. The Response itself is not signed: the Assertion carries
the proof, as the contract asks.
"""
from __future__ import annotations

import datetime as dt

from lxml import etree

from attribute_authority.saml.keys import KeyPair
from attribute_authority.saml.xmlsig import sign

from ..samlxml import (
    ATTRNAME_URI,
    BEARER,
    NAMEID_PERSISTENT,
    SAML,
    SAMLP,
    SUCCESS,
    XS,
    XSI,
    el,
    instant,
    new_id,
    status,
    to_bytes,
)
from .requests import PendingRequest

AUTHN_CONTEXT = {
    "eid": "urn:oasis:names:tc:SAML:2.0:ac:classes:SmartcardPKI",
    "token": "urn:oasis:names:tc:SAML:2.0:ac:classes:unspecified",
}
_NSMAP = {"samlp": SAMLP, "saml": SAML, "xs": XS, "xsi": XSI}


def _response(pending: PendingRequest, issuer: str, now: dt.datetime) -> etree._Element:
    root = etree.Element(f"{{{SAMLP}}}Response", nsmap=_NSMAP)
    for name, value in (("ID", new_id()), ("Version", "2.0"), ("IssueInstant", instant(now)),
                        ("Destination", pending.acs_url), ("InResponseTo", pending.request_id)):
        if value is not None:
            root.set(name, value)
    el(root, "saml:Issuer", issuer)
    return root


def success(pending: PendingRequest, *, issuer: str, keypair: KeyPair, now: dt.datetime,
            validity: dt.timedelta, name_id: str, session_index: str, authn_instant: dt.datetime,
            method: str, attributes: list[tuple[str, list[str]]]) -> bytes:
    root = _response(pending, issuer, now)
    status(root, SUCCESS)
    assertion = el(root, "saml:Assertion", ID=new_id(), Version="2.0", IssueInstant=instant(now))
    el(assertion, "saml:Issuer", issuer)
    subject = el(assertion, "saml:Subject")
    el(subject, "saml:NameID", name_id, Format=NAMEID_PERSISTENT, NameQualifier=issuer,
       SPNameQualifier=pending.sp_entity_id)
    confirmation = el(subject, "saml:SubjectConfirmation", Method=BEARER)
    el(confirmation, "saml:SubjectConfirmationData", NotOnOrAfter=instant(now + validity),
       Recipient=pending.acs_url, InResponseTo=pending.request_id)
    conditions = el(assertion, "saml:Conditions", NotBefore=instant(now - dt.timedelta(seconds=30)),
                    NotOnOrAfter=instant(now + validity))
    el(el(conditions, "saml:AudienceRestriction"), "saml:Audience", pending.sp_entity_id)
    statement = el(assertion, "saml:AuthnStatement", AuthnInstant=instant(authn_instant),
                   SessionIndex=session_index)
    el(el(statement, "saml:AuthnContext"), "saml:AuthnContextClassRef", AUTHN_CONTEXT[method])
    attribute_statement = el(assertion, "saml:AttributeStatement")
    for name, values in attributes:
        attribute = el(attribute_statement, "saml:Attribute", Name=name, NameFormat=ATTRNAME_URI)
        for value in values:
            node = el(attribute, "saml:AttributeValue", value)
            node.set(f"{{{XSI}}}type", "xs:string")
    sign(assertion, keypair)
    return to_bytes(root)


def failure(pending: PendingRequest, *, issuer: str, now: dt.datetime, code: str,
            sub_code: str | None, message: str | None) -> bytes:
    root = _response(pending, issuer, now)
    status(root, code, sub_code, message)
    return to_bytes(root)
