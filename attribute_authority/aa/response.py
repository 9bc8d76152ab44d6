"""The answer: a samlp:Response built with lxml and signed in-process.

A Success carries one Assertion, signed by the AA's first signing key with RSA-SHA256 and
then wrapped in a Response that is signed too unless `sign_response` is off (the setting
IDBEHEER_AA_SIGN_RESPONSE: many stacks want a signed Response by default; DESIGN.md asks for
the Assertion's signature only, and each signature is most of an answer's CPU). The
Assertion's Subject echoes the query's identifier as received: the NameID, or
the EncryptedID itself, so a person asked about in encrypted form is never named in clear.
A sender-vouches SubjectConfirmation inside the signed Assertion names the query it answers
(InResponseTo) and its recipient, which binds the Assertion to the one query even without
the Response signature.

Error statuses for queries that were not accepted (unsigned, stale, replayed, …) are not
signed: they release nothing, and signing them would let anyone make us spend an RSA
signature per request. UnknownPrincipal answers a verified query and is signed.
"""
from __future__ import annotations

import copy
import secrets
from collections.abc import Callable
from datetime import datetime, timedelta, timezone

from lxml import etree

from samlkit.keys import KeyPair

from .names import (
    ATTR_RIGHT,
    ATTRNAME_URI,
    CM_SENDER_VOUCHES,
    NAMEID_ENTITY,
    SAML,
    SAMLP,
    SUCCESS,
)
from .query import VerifiedQuery

Sign = Callable[[etree._Element, KeyPair], object]

_NSMAP = {"samlp": SAMLP, "saml": SAML}
_NAME_ID = f"{{{SAML}}}NameID"
_NAME_ID_ATTRIBUTES = ("NameQualifier", "SPNameQualifier", "Format", "SPProvidedID")


def success(query: VerifiedQuery, rights: list[str], *, issuer: str, now: datetime,
            validity: timedelta, signer: KeyPair, sign: Sign,
            sign_response: bool = True) -> etree._Element:
    """A signed Response whose signed Assertion holds the `…:right` Attribute with `rights`
    (no value at all when the list is empty: an Attribute without AttributeValue is valid)."""
    response = _response(issuer, now, query.query_id)
    _status(response, SUCCESS)
    assertion = _saml(response, "Assertion", ID=_new_id(), Version="2.0",
                      IssueInstant=_instant(now))
    _saml(assertion, "Issuer", issuer, Format=NAMEID_ENTITY)
    subject = _saml(assertion, "Subject")
    subject.append(_echo(query.subject_id))
    confirmation = _saml(subject, "SubjectConfirmation", Method=CM_SENDER_VOUCHES)
    _saml(confirmation, "SubjectConfirmationData", NotOnOrAfter=_instant(now + validity),
          Recipient=query.sp.entity_id, InResponseTo=query.query_id)
    conditions = _saml(assertion, "Conditions", NotBefore=_instant(now),
                       NotOnOrAfter=_instant(now + validity))
    _saml(_saml(conditions, "AudienceRestriction"), "Audience", query.sp.entity_id)
    attribute = _saml(_saml(assertion, "AttributeStatement"), "Attribute", Name=ATTR_RIGHT,
                      NameFormat=ATTRNAME_URI)
    for value in rights:
        _saml(attribute, "AttributeValue", value)
    sign(assertion, signer)
    if sign_response:
        sign(response, signer)
    return response


def status(code: str, sub_code: str | None, message: str | None, *, issuer: str, now: datetime,
           in_response_to: str | None, signer: KeyPair | None = None,
           sign: Sign | None = None) -> etree._Element:
    """A Response with an error status and no Assertion; signed when `signer` is given."""
    response = _response(issuer, now, in_response_to)
    _status(response, code, sub_code, message)
    if signer is not None and sign is not None:
        sign(response, signer)
    return response


def _response(issuer: str, now: datetime, in_response_to: str | None) -> etree._Element:
    response = etree.Element(f"{{{SAMLP}}}Response", nsmap=_NSMAP, ID=_new_id(), Version="2.0",
                             IssueInstant=_instant(now))
    if in_response_to:
        response.set("InResponseTo", in_response_to)
    _saml(response, "Issuer", issuer, Format=NAMEID_ENTITY)
    return response


def _status(response: etree._Element, code: str, sub_code: str | None = None,
            message: str | None = None) -> None:
    node = etree.SubElement(response, f"{{{SAMLP}}}Status")
    top = etree.SubElement(node, f"{{{SAMLP}}}StatusCode", Value=code)
    if sub_code:
        etree.SubElement(top, f"{{{SAMLP}}}StatusCode", Value=sub_code)
    if message:
        etree.SubElement(node, f"{{{SAMLP}}}StatusMessage").text = message


def _echo(identifier: etree._Element) -> etree._Element:
    if identifier.tag != _NAME_ID:
        return copy.deepcopy(identifier)  # the EncryptedID, byte for byte as the SP made it
    name_id = etree.Element(_NAME_ID)
    for name in _NAME_ID_ATTRIBUTES:
        if (value := identifier.get(name)) is not None:
            name_id.set(name, value)
    name_id.text = (identifier.text or "").strip()
    return name_id


def _saml(parent: etree._Element, name: str, text: str | None = None, **attributes: str):
    node = etree.SubElement(parent, f"{{{SAML}}}{name}", attributes)
    if text is not None:
        node.text = text
    return node


def _new_id() -> str:
    return "_" + secrets.token_hex(16)


def _instant(moment: datetime) -> str:
    return moment.astimezone(timezone.utc).strftime("%Y-%m-%dT%H:%M:%SZ")
