"""An application's AuthnRequest, checked against its registered metadata.

The answer may only go to an ACS URL of the application's own metadata; a signature is
required when the application's metadata (AuthnRequestsSigned) or our configuration asks for
it, and a signature that is present must verify whatever the configuration says. HTTP-Redirect
requests carry a query-string signature; HTTP-POST requests an enveloped XML signature.

The NameIDPolicy is honoured: persistent (also when absent or `unspecified`) gets the
pairwise persistent NameID, transient a fresh one per assertion; any other Format, or an
SPNameQualifier other than the application itself (an affiliation), is answered with
Requester / InvalidNameIDPolicy (SAML core 3.4.1.1).
"""
from __future__ import annotations

import dataclasses
import datetime as dt
import logging
from collections.abc import Mapping
from dataclasses import asdict, dataclass

from lxml import etree

from samlkit import xmlsig
from samlkit.bindings import BINDING_HTTP_POST, Received, verify_redirect_signature
from samlkit.errors import SamlSecurityError
from samlkit.samlxml import (
    INVALID_NAME_ID_POLICY,
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    NAMEID_UNSPECIFIED,
    NO_AUTHN_CONTEXT,
    REQUEST_DENIED,
    REQUESTER,
    RESPONDER,
    SAMLP,
    issuer_of,
    parse_instant,
)
from samlkit.sp_client import CAPACITY_EXTENSION
from samlkit.spmetadata import SpMetadata, SpRegistry

from ..core import PendingRequest
from ..errors import RequestRefused, reason_of
from ..i18n import lazy_gettext as _l
from . import authn_context

log = logging.getLogger(__name__)

PROTOCOL = "saml"


@dataclass(frozen=True)
class SamlRequest:
    """The SAML part of a waiting request: what the answer needs (the core keeps it as the
    `PendingRequest.continuation` of the request)."""

    sp_entity_id: str
    request_id: str | None
    acs_url: str
    relay_state: str | None
    name_id_format: str = NAMEID_PERSISTENT
    authn_context: tuple[str, ...] = ()  # the AuthnContextClassRefs asked for (echoed if met)

    @classmethod
    def of(cls, pending: PendingRequest) -> SamlRequest:
        return cls(**pending.continuation)


def _pending(app_code: str, saml: SamlRequest, root: etree._Element) -> PendingRequest:
    return PendingRequest(
        protocol=PROTOCOL, app_code=app_code, capacity=_requested_capacity(root),
        force_authn=_bool(root.get("ForceAuthn")), passive=_bool(root.get("IsPassive")),
        continuation=asdict(saml))


class AnswerableRefusal(RequestRefused):
    """A refused request whose application and ACS are known: answered with a SAML status."""

    def __init__(self, reason: str, detail: str, pending: PendingRequest,
                 sub_code: str = REQUEST_DENIED, code: str = REQUESTER) -> None:
        super().__init__(reason, detail)
        self.pending = pending
        self.code, self.sub_code = code, sub_code


def check_authn_request(message: Received, registry: SpRegistry, *, sso_url: str,
                        require_signature: bool, now: dt.datetime,
                        max_age: dt.timedelta, skew: dt.timedelta,
                        class_refs: Mapping[str, str]) -> PendingRequest:
    """The waiting request of an AuthnRequest that passes every check; `class_refs`: the
    AuthnContextClassRefs the bridge knows (authn_context.known_refs)."""
    root = message.root
    if root.tag != f"{{{SAMLP}}}AuthnRequest":
        raise RequestRefused("not_authn_request", f"{etree.QName(root).localname} received")
    sp = registry.by_entity_id(issuer_of(root) or "")
    if sp is None:
        raise RequestRefused("unknown_application", f"issuer {issuer_of(root)!r} is not registered",
                             message=_l("Deze toepassing is niet aangesloten bij het gebruikersbeheer."))
    try:
        sp = registry.valid(sp, now)
    except SamlSecurityError as exc:
        # past its validUntil: its endpoints are no longer vouched for, so our page, no answer
        log.warning("AuthnRequest of %s refused: %s", sp.app_code, exc.message)
        raise RequestRefused(exc.reason, exc.message, message=_l(
            "De registratie van deze toepassing is verlopen. Meld dit aan de beheerder van de "
            "toepassing; die laat haar metadata vernieuwen.")) from None
    saml = SamlRequest(sp_entity_id=sp.entity_id, request_id=root.get("ID"),
                       acs_url=_acs_url(root, sp), relay_state=message.relay_state)
    pending = _pending(sp.app_code, saml, root)
    try:
        _check_signature(message, sp, require_signature or sp.authn_requests_signed)
    except SamlSecurityError as exc:
        if registry.renewed(sp) is None:  # else: a key replaced a moment ago, check again
            raise AnswerableRefusal(reason_of(exc), exc.message, pending) from None
        return check_authn_request(message, registry, sso_url=sso_url,
                                   require_signature=require_signature, now=now,
                                   max_age=max_age, skew=skew, class_refs=class_refs)
    destination = root.get("Destination")
    if destination is not None and destination != sso_url:
        raise AnswerableRefusal("wrong_destination", f"Destination {destination!r}", pending)
    issued = parse_instant(root.get("IssueInstant"))
    if issued is None or issued > now + skew or issued < now - max_age:
        raise AnswerableRefusal("stale_request", f"IssueInstant {root.get('IssueInstant')}", pending)
    try:
        context = authn_context.asked(root, class_refs)
    except authn_context.Unsatisfiable as exc:
        raise AnswerableRefusal("no_authn_context", str(exc), pending, sub_code=NO_AUTHN_CONTEXT,
                                code=RESPONDER) from None
    saml = dataclasses.replace(saml, name_id_format=_name_id_format(root, pending),
                               authn_context=context.refs)
    return dataclasses.replace(pending, method=context.method, method_exact=context.exact,
                               continuation=asdict(saml))


def _name_id_format(root: etree._Element, pending: PendingRequest) -> str:
    """The NameID Format to issue, from the request's NameIDPolicy."""
    policy = root.find(f"{{{SAMLP}}}NameIDPolicy")
    if policy is None:
        return NAMEID_PERSISTENT
    requested = (policy.get("Format") or NAMEID_UNSPECIFIED).strip()
    qualifier = policy.get("SPNameQualifier")
    if qualifier is not None and qualifier.strip() != SamlRequest.of(pending).sp_entity_id:
        raise AnswerableRefusal("invalid_name_id_policy", f"SPNameQualifier {qualifier!r}", pending,
                                sub_code=INVALID_NAME_ID_POLICY)
    if requested in (NAMEID_PERSISTENT, NAMEID_UNSPECIFIED):
        return NAMEID_PERSISTENT
    if requested == NAMEID_TRANSIENT:
        return NAMEID_TRANSIENT
    raise AnswerableRefusal("invalid_name_id_policy", f"NameIDPolicy Format {requested!r}", pending,
                            sub_code=INVALID_NAME_ID_POLICY)


def _check_signature(message: Received, sp: SpMetadata, required: bool) -> None:
    if message.binding == BINDING_HTTP_POST:
        if message.root.find(f"{{{xmlsig.DS}}}Signature") is not None or required:
            xmlsig.verify(message.root, message.root, sp.signing_certs)
    elif message.has_redirect_signature or required:
        verify_redirect_signature(message, sp.signing_certs)


def _acs_url(root: etree._Element, sp: SpMetadata) -> str:
    binding = root.get("ProtocolBinding")
    if binding is not None and binding != BINDING_HTTP_POST:
        raise RequestRefused("unsupported_binding", f"ProtocolBinding {binding}")
    url, index = root.get("AssertionConsumerServiceURL"), root.get("AssertionConsumerServiceIndex")
    if url is not None:
        endpoint = sp.acs(url=url)
    elif index is not None:
        # "²" is a digit to str.isdigit() but no number to int(): only ASCII digits are an index
        endpoint = sp.acs(index=int(index)) if index.isascii() and index.isdigit() else None
    else:
        endpoint = sp.acs()
    if endpoint is None:
        raise RequestRefused("wrong_acs", f"ACS {url or index!r} is not in the application's metadata",
                             message=_l("De toepassing vraagt het antwoord op een adres dat niet in "
                                        "haar registratie staat."))
    return endpoint.location


def _requested_capacity(root: etree._Element) -> str | None:
    """The capacity asked for in samlp:Extensions (sp_client.CAPACITY_EXTENSION), if any; the
    admin UI asks for one to switch government (R13)."""
    text = root.findtext(f"{{{SAMLP}}}Extensions/{CAPACITY_EXTENSION}")
    return text.strip() or None if text else None


def _bool(value: str | None) -> bool:
    return (value or "").strip() in ("true", "1")
