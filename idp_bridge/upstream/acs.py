"""The assertion consumer: from the upstream IdP's POSTed Response to a `SignedInPerson`.

Verify before reading, then read only what was verified: the Response signature (when there
is one) and the Assertion signature are checked on the tree as received by the shared
security layer, which also refuses wrapping shapes, weak algorithms, DOCTYPEs and oversized
input. Everything pysaml2 7.5 would let through is checked here with its own reason code:
Destination, Recipient, Audience, validity window, InResponseTo against the outstanding
requests in the shared store, and one-time use of the assertion ID.
"""
from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from lxml import etree

from attribute_authority import rrn as rrn_rules
from attribute_authority.errors import InvalidRrn
from attribute_authority.saml import xmlsig
from attribute_authority.saml.bindings import decode_post
from attribute_authority.saml.errors import SamlSecurityError
from attribute_authority.saml.replay import OneTimeStore
from attribute_authority.saml.samlxml import (
    BEARER,
    SAML,
    SAMLP,
    SUCCESS,
    issuer_of,
    parse_instant,
    read_status,
)
from attribute_authority.saml.spmetadata import IdpMetadata

from ..errors import BridgeRefusal, UpstreamRefused, reason_of
from ..person import SignedInPerson
from .authn import take_outstanding

EGOV = {"egovNRN": "rrn", "surname": "surname", "givenName": "given_name", "mail": "mail",
        "PrefLanguage": "language"}
_REPLAY_TTL = 24 * 3600


class UpstreamFailed(BridgeRefusal):
    """The upstream IdP answered, correctly signed, that the person did not get through."""

    status = 401
    message = "Aanmelden bij de federale aanmeldingsdienst is niet gelukt of werd geannuleerd."

    def __init__(self, reason: str, detail: str, state: str) -> None:
        super().__init__(reason, detail)
        self.state = state


@dataclass(frozen=True)
class Accepted:
    person: SignedInPerson
    state: str  # what the starter of the sign-in stored with the request
    name_id: str  # upstream transient NameID and session index: for upstream logout only
    session_index: str | None


@dataclass(frozen=True)
class AcsContext:
    sp_entity_id: str
    acs_url: str
    idp: IdpMetadata
    store: OneTimeStore
    authn_contexts: Mapping[str, str]
    now: dt.datetime
    skew: dt.timedelta
    max_bytes: int


def consume(form: Mapping[str, str], ctx: AcsContext) -> Accepted:
    """Accept one POSTed SAMLResponse or raise `UpstreamRefused` / `UpstreamFailed`."""
    try:
        return _consume(form, ctx)
    except SamlSecurityError as exc:
        raise UpstreamRefused(reason_of(exc), exc.message) from None


def _consume(form: Mapping[str, str], ctx: AcsContext) -> Accepted:
    root = decode_post(form, "SAMLResponse", ctx.max_bytes).root
    if root.tag != f"{{{SAMLP}}}Response":
        raise UpstreamRefused("not_a_response", f"{root.tag} is not a samlp:Response")
    issuer = issuer_of(root)
    if issuer is not None and issuer != ctx.idp.entity_id:
        raise UpstreamRefused("wrong_issuer", f"Response issuer {issuer!r}")
    if root.find(f"{{{xmlsig.DS}}}Signature") is not None:
        xmlsig.verify(root, root, ctx.idp.signing_certs)
    if root.get("Destination") != ctx.acs_url:
        raise UpstreamRefused("wrong_destination", f"Destination {root.get('Destination')!r}")
    in_response_to = root.get("InResponseTo")

    code, sub_code, message = read_status(root)
    if code != SUCCESS:
        state = take_outstanding(ctx.store, in_response_to)
        if state is None:
            raise UpstreamRefused("unknown_in_response_to", f"error status for {in_response_to!r}")
        reason = "upstream_" + _snake((sub_code or code or "error").rsplit(":", 1)[-1])
        raise UpstreamFailed(reason, message or sub_code or code or "", state)

    if root.find(f"{{{SAML}}}EncryptedAssertion") is not None:
        raise UpstreamRefused("encrypted_assertion", "encrypted assertions are not configured")
    assertion = xmlsig.verify(root, "/samlp:Response/saml:Assertion", ctx.idp.signing_certs)
    # From here on only `assertion` is read: it is the element whose signature verified.
    if issuer_of(assertion) != ctx.idp.entity_id:
        raise UpstreamRefused("wrong_issuer", f"Assertion issuer {issuer_of(assertion)!r}")
    name_id = _check_subject(assertion, ctx, in_response_to)
    _check_conditions(assertion, ctx)
    authn_instant, session_index, method = _authn_statement(assertion, ctx)
    attributes = _attributes(assertion)

    assertion_id = assertion.get("ID")
    if not ctx.store.first_use(f"bridge:upstream:assertion:{ctx.idp.entity_id}:{assertion_id}",
                               _REPLAY_TTL):
        raise UpstreamRefused("replayed", f"assertion {assertion_id} was used before")
    state = take_outstanding(ctx.store, in_response_to)
    if state is None:
        raise UpstreamRefused("unknown_in_response_to", f"no outstanding request {in_response_to!r}")

    person = SignedInPerson(
        rrn=attributes["rrn"], surname=attributes.get("surname", ""),
        given_name=attributes.get("given_name", ""), method=method, authn_instant=authn_instant,
        mail=attributes.get("mail"), language=attributes.get("language"))
    return Accepted(person, state, name_id, session_index)


def _check_subject(assertion: etree._Element, ctx: AcsContext, in_response_to: str | None) -> str:
    subject = assertion.find(f"{{{SAML}}}Subject")
    name_id = subject.findtext(f"{{{SAML}}}NameID") if subject is not None else None
    if not name_id:
        raise UpstreamRefused("no_subject", "assertion without Subject/NameID")
    for confirmation in subject.findall(f"{{{SAML}}}SubjectConfirmation"):
        if confirmation.get("Method") != BEARER:
            continue
        data = confirmation.find(f"{{{SAML}}}SubjectConfirmationData")
        if data is None:
            continue
        if data.get("Recipient") != ctx.acs_url:
            raise UpstreamRefused("wrong_recipient", f"Recipient {data.get('Recipient')!r}")
        not_on_or_after = parse_instant(data.get("NotOnOrAfter"))
        if not_on_or_after is None or ctx.now >= not_on_or_after + ctx.skew:
            raise UpstreamRefused("expired", "SubjectConfirmationData has expired")
        if data.get("NotBefore"):
            raise UpstreamRefused("bad_confirmation", "bearer confirmation with NotBefore")
        if data.get("InResponseTo") != in_response_to or not in_response_to:
            raise UpstreamRefused("in_response_to_mismatch",
                                  f"{data.get('InResponseTo')!r} vs {in_response_to!r}")
        return name_id.strip()
    raise UpstreamRefused("no_bearer_confirmation", "no bearer SubjectConfirmationData")


def _check_conditions(assertion: etree._Element, ctx: AcsContext) -> None:
    conditions = assertion.find(f"{{{SAML}}}Conditions")
    if conditions is None:
        raise UpstreamRefused("no_conditions", "assertion without Conditions")
    not_before = parse_instant(conditions.get("NotBefore"))
    if conditions.get("NotBefore") and (not_before is None or ctx.now + ctx.skew < not_before):
        raise UpstreamRefused("not_yet_valid", f"NotBefore {conditions.get('NotBefore')}")
    not_on_or_after = parse_instant(conditions.get("NotOnOrAfter"))
    if conditions.get("NotOnOrAfter") and (
            not_on_or_after is None or ctx.now >= not_on_or_after + ctx.skew):
        raise UpstreamRefused("expired", f"NotOnOrAfter {conditions.get('NotOnOrAfter')}")
    restrictions = conditions.findall(f"{{{SAML}}}AudienceRestriction")
    if not restrictions:
        raise UpstreamRefused("wrong_audience", "no AudienceRestriction")
    for restriction in restrictions:  # each restriction must admit us (SAML core 2.5.1.4)
        audiences = [(a.text or "").strip() for a in restriction.findall(f"{{{SAML}}}Audience")]
        if ctx.sp_entity_id not in audiences:
            raise UpstreamRefused("wrong_audience", f"Audience {audiences}")


def _authn_statement(assertion: etree._Element, ctx: AcsContext) -> tuple[dt.datetime, str | None, str]:
    statements = assertion.findall(f"{{{SAML}}}AuthnStatement")
    if len(statements) != 1:
        raise UpstreamRefused("no_authn_statement", f"{len(statements)} AuthnStatements")
    statement = statements[0]
    class_ref = (statement.findtext(f"{{{SAML}}}AuthnContext/{{{SAML}}}AuthnContextClassRef")
                 or "").strip()
    method = ctx.authn_contexts.get(class_ref)
    if method is None:
        raise UpstreamRefused("unknown_authn_context", f"AuthnContextClassRef {class_ref!r}")
    authn_instant = parse_instant(statement.get("AuthnInstant")) or ctx.now
    return authn_instant, statement.get("SessionIndex"), method


def _attributes(assertion: etree._Element) -> dict[str, str]:
    found: dict[str, str] = {}
    for attribute in assertion.iterfind(f"{{{SAML}}}AttributeStatement/{{{SAML}}}Attribute"):
        name = EGOV.get(attribute.get("Name", "").rsplit(":", 1)[-1])
        value = attribute.findtext(f"{{{SAML}}}AttributeValue")
        if name and value is not None and name not in found:
            found[name] = value.strip()
    try:
        found["rrn"] = rrn_rules.parse(found.get("rrn", "")).rrn
    except InvalidRrn:
        raise UpstreamRefused("invalid_rrn", "egovNRN missing or not a valid RRN/BIS") from None
    return found


def _snake(name: str) -> str:
    return "".join(f"_{c.lower()}" if c.isupper() else c for c in name).lstrip("_")
