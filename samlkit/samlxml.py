"""Small helpers for writing and reading SAML 2.0 messages with lxml (bridge, SP client, dev_eid),
and the one definition of the XML namespaces every module of the toolkit uses.

Messages are built as lxml trees because the signing layer (`samlkit.xmlsig`)
signs lxml trees in place; pysaml2 is used by the tests as an independent peer instead.
"""
from __future__ import annotations

import datetime as dt
import secrets

from lxml import etree

SAML = "urn:oasis:names:tc:SAML:2.0:assertion"
SAMLP = "urn:oasis:names:tc:SAML:2.0:protocol"
MD = "urn:oasis:names:tc:SAML:2.0:metadata"
DS = "http://www.w3.org/2000/09/xmldsig#"
DS11 = "http://www.w3.org/2009/xmldsig11#"
XENC = "http://www.w3.org/2001/04/xmlenc#"
XENC11 = "http://www.w3.org/2009/xmlenc11#"
IDB = "urn:lb-idbeheer:protocol"  # our own protocol extensions (samlp:Extensions/idb:Capacity)
XSI = "http://www.w3.org/2001/XMLSchema-instance"
XS = "http://www.w3.org/2001/XMLSchema"
SOAP_ENV = "http://schemas.xmlsoap.org/soap/envelope/"  # SAML's SOAP binding (AttributeQuery)
NSMAP = {"samlp": SAMLP, "saml": SAML}

STATUS = "urn:oasis:names:tc:SAML:2.0:status:"
SUCCESS = STATUS + "Success"
REQUESTER = STATUS + "Requester"
RESPONDER = STATUS + "Responder"
AUTHN_FAILED = STATUS + "AuthnFailed"
NO_PASSIVE = STATUS + "NoPassive"
REQUEST_DENIED = STATUS + "RequestDenied"
INVALID_NAME_ID_POLICY = STATUS + "InvalidNameIDPolicy"
NO_AUTHN_CONTEXT = STATUS + "NoAuthnContext"
NAMEID_TRANSIENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:transient"
NAMEID_PERSISTENT = "urn:oasis:names:tc:SAML:2.0:nameid-format:persistent"
NAMEID_UNSPECIFIED = "urn:oasis:names:tc:SAML:1.1:nameid-format:unspecified"
ATTRNAME_URI = "urn:oasis:names:tc:SAML:2.0:attrname-format:uri"
# The attributes of DESIGN.md's contract: ATTRIBUTE + rrn, surname, givenName, authnMethod,
# capacity, government, right (NameFormat ATTRNAME_URI).
ATTRIBUTE = "urn:lb-idbeheer:attribute:"
BEARER = "urn:oasis:names:tc:SAML:2.0:cm:bearer"
LOGOUT_USER = "urn:oasis:names:tc:SAML:2.0:logout:user"


def new_id() -> str:
    # An NCName, unguessable: IDs double as keys of outstanding requests.
    return "_" + secrets.token_hex(20)


def instant(moment: dt.datetime) -> str:
    return moment.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%SZ")


def parse_instant(text: str | None) -> dt.datetime | None:
    """xs:dateTime as SAML uses it (UTC, optional fractions); None when absent or unreadable."""
    if not text:
        return None
    value = text.strip()
    if value.endswith("Z"):
        value = value[:-1] + "+00:00"
    if "." in value:  # Python before 3.11 and odd peers: cut fractions to microseconds
        head, _, tail = value.partition(".")
        digits = "".join(ch for ch in tail if ch.isdigit())
        value = f"{head}.{digits[:6].ljust(6, '0')}{tail[len(digits):]}"
    try:
        moment = dt.datetime.fromisoformat(value)
    except ValueError:
        return None
    return moment if moment.tzinfo else moment.replace(tzinfo=dt.UTC)


def el(parent: etree._Element | None, tag: str, text: str | None = None,
       **attrs: str | None) -> etree._Element:
    """A `prefix:Name` element (prefixes of NSMAP and md), attributes with None left out."""
    prefix, _, name = tag.partition(":")
    ns = {"samlp": SAMLP, "saml": SAML, "md": MD, "ds": DS}[prefix]
    clean = {k: v for k, v in attrs.items() if v is not None}
    if parent is None:
        nsmap = NSMAP if prefix != "md" else {"md": MD, "ds": DS}
        node = etree.Element(f"{{{ns}}}{name}", clean, nsmap=nsmap)
    else:
        node = etree.SubElement(parent, f"{{{ns}}}{name}", clean)
    if text is not None:
        node.text = text
    return node


def status(parent: etree._Element, code: str, sub_code: str | None = None,
           message: str | None = None) -> etree._Element:
    node = el(parent, "samlp:Status")
    top = el(node, "samlp:StatusCode", Value=code)
    if sub_code:
        el(top, "samlp:StatusCode", Value=sub_code)
    if message:
        el(node, "samlp:StatusMessage", message)
    return node


def read_status(root: etree._Element) -> tuple[str | None, str | None, str | None]:
    """(top-level code, second-level code, message) of a StatusResponseType."""
    top = root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
    if top is None:
        return None, None, None
    sub = top.find(f"{{{SAMLP}}}StatusCode")
    message = root.findtext(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusMessage")
    return top.get("Value"), (sub.get("Value") if sub is not None else None), message


def issuer_of(root: etree._Element) -> str | None:
    text = root.findtext(f"{{{SAML}}}Issuer")
    return text.strip() if text else None


def to_bytes(root: etree._Element) -> bytes:
    return etree.tostring(root, xml_declaration=False, encoding="utf-8")


def response(*, issuer: str, destination: str, in_response_to: str | None,
             now: dt.datetime) -> etree._Element:
    """A samlp:Response with its Issuer; the caller adds Status (and an Assertion)."""
    root = etree.Element(f"{{{SAMLP}}}Response", nsmap={**NSMAP, "xs": XS, "xsi": XSI})
    for name, value in (("ID", new_id()), ("Version", "2.0"), ("IssueInstant", instant(now)),
                        ("Destination", destination), ("InResponseTo", in_response_to)):
        if value is not None:
            root.set(name, value)
    el(root, "saml:Issuer", issuer)
    return root


def bearer_assertion(response_root: etree._Element, *, issuer: str, name_id: etree._Element,
                     recipient: str, in_response_to: str | None, audience: str, now: dt.datetime,
                     validity: dt.timedelta, authn_instant: dt.datetime, class_ref: str,
                     attributes: list[tuple[str, list[str]]], name_format: str) -> etree._Element:
    """The Web SSO assertion both IdPs write (the bridge and dev_eid), built in its Response.

    Sign it in place afterwards: a subtree signed elsewhere and moved may be re-serialized
    with other namespace declarations.
    """
    assertion = el(response_root, "saml:Assertion", ID=new_id(), Version="2.0",
                   IssueInstant=instant(now))
    el(assertion, "saml:Issuer", issuer)
    subject = el(assertion, "saml:Subject")
    subject.append(name_id)
    confirmation = el(subject, "saml:SubjectConfirmation", Method=BEARER)
    el(confirmation, "saml:SubjectConfirmationData", NotOnOrAfter=instant(now + validity),
       Recipient=recipient, InResponseTo=in_response_to)
    conditions = el(assertion, "saml:Conditions", NotBefore=instant(now - dt.timedelta(seconds=30)),
                    NotOnOrAfter=instant(now + validity))
    el(el(conditions, "saml:AudienceRestriction"), "saml:Audience", audience)
    statement = el(assertion, "saml:AuthnStatement", AuthnInstant=instant(authn_instant),
                   SessionIndex=new_id())
    el(el(statement, "saml:AuthnContext"), "saml:AuthnContextClassRef", class_ref)
    attribute_statement = el(assertion, "saml:AttributeStatement")
    for name, values in attributes:
        attribute = el(attribute_statement, "saml:Attribute", Name=name, NameFormat=name_format)
        for value in values:
            el(attribute, "saml:AttributeValue", value).set(f"{{{XSI}}}type", "xs:string")
    return assertion


def name_id(value: str, format: str, **qualifiers: str | None) -> etree._Element:
    node = etree.Element(f"{{{SAML}}}NameID", {k: v for k, v in qualifiers.items() if v is not None},
                         Format=format)
    node.text = value
    return node
