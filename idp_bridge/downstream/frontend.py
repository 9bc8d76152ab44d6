"""The SAML IdP front end: target applications' AuthnRequests and LogoutRequests in, signed
assertions, error statuses and LogoutRequests out. It reads and writes SAML and leaves every
sign-in rule to the core (`idp_bridge.core`), whose plain outcomes it answers.

A front end (this one, and the OIDC provider's) offers the web layer:
- `answer(ready)`: the Response that gives the application its sign-in; registers the
  session entry with `core.answered`;
- `fail(pending, failure)`: the protocol's error answer to a waiting request;
and registers with the core the logout hop of its protocol and the reply to a logout request.
"""
from __future__ import annotations

import logging
from collections.abc import Sequence

from flask import Response
from lxml import etree

from samlkit import xmlsig
from samlkit.bindings import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    Received,
    post_form,
    redirect_url,
    verify_redirect_signature,
)
from samlkit.errors import LogoutRefused as LogoutMessageRefused
from samlkit.errors import SamlSecurityError
from samlkit.keys import KeyPair
from samlkit.logout import NameId, check_delivery, logout_request, logout_response, name_id_of, use_once
from samlkit.samlxml import (
    AUTHN_FAILED,
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    NO_AUTHN_CONTEXT,
    NO_PASSIVE,
    REQUEST_DENIED,
    RESPONDER,
    SAMLP,
    SUCCESS,
    issuer_of,
    read_status,
    to_bytes,
)

from .. import core as signin
from ..config import BridgeDeps
from ..core import AppEntry, Failure, LogoutStep, PendingRequest, Ready, Reply, SignInCore
from ..errors import BridgeRefusal, RequestRefused
from ..i18n import lazy_gettext as _l
from ..pairwise import PairwiseNameIds
from . import attributes, authn_context, responses
from .metadata import idp_metadata
from .requests import PROTOCOL, AnswerableRefusal, SamlRequest, check_authn_request

log = logging.getLogger(__name__)

# The status a waiting SAML application gets for each way a sign-in ends without one.
_FAILURE_STATUS = {
    signin.NO_SESSION: (RESPONDER, NO_PASSIVE),
    signin.INTERACTION_REQUIRED: (RESPONDER, NO_PASSIVE),
    signin.CAPACITY_DECLINED: (RESPONDER, REQUEST_DENIED),
    signin.SIGN_IN_FAILED: (RESPONDER, AUTHN_FAILED),
}


def send(root: etree._Element, location: str, binding: str | None, field_name: str,
         relay_state: str | None, keypair: KeyPair) -> Response:
    """A signed message on the chosen binding: a redirect, or an auto-posting page."""
    if binding == BINDING_HTTP_POST:
        xmlsig.sign(root, keypair)
        return Response(post_form(location, field_name, to_bytes(root), relay_state))
    url = redirect_url(location, field_name, to_bytes(root), relay_state, keypair)
    return Response(status=302, headers={"Location": url})


def verify(message: Received, certs: Sequence) -> None:
    """The message's signature on its binding (enveloped on POST, query string on Redirect)."""
    try:
        if message.binding == BINDING_HTTP_POST:
            xmlsig.verify(message.root, message.root, certs)
        else:
            verify_redirect_signature(message, certs)
    except SamlSecurityError as exc:
        raise RequestRefused(f"signature_{exc.reason}", exc.message) from None


def logout_answer_ok(message: Received, certs: Sequence) -> bool:
    """A LogoutResponse of a hop: verified and Success (else the logout is partial)."""
    try:
        verify(message, certs)
    except BridgeRefusal as exc:
        log.warning("logout answer of %s refused: %s", issuer_of(message.root), exc)
        return False
    code = read_status(message.root)[0]
    if code != SUCCESS:
        log.warning("logout answer of %s: %s", issuer_of(message.root), code or "no status")
        return False
    return True


class SamlFrontEnd:
    protocol = PROTOCOL

    def __init__(self, deps: BridgeDeps, core: SignInCore, name_ids: PairwiseNameIds) -> None:
        self.deps = deps
        self.config = deps.config
        self.core = core
        self.name_ids = name_ids
        self.entity_id = self.config.url("/idp/metadata")
        self.sso_url = self.config.url("/idp/sso")
        self.slo_url = self.config.url("/idp/slo")
        self.class_refs = authn_context.known_refs(self.config.authn_contexts)
        core.register_logout_hop(PROTOCOL, self.logout_hop)
        core.register_reply(PROTOCOL, self.logout_reply)

    def metadata(self) -> bytes:
        return idp_metadata(self.entity_id, self.sso_url, self.slo_url,
                            [k for k in (self.deps.keys.idp, self.deps.keys.idp_next) if k],
                            self.config.want_authn_requests_signed, now=self.core.clock(),
                            error_url=self.config.url("/idp/help"),
                            subject_scope=self.config.subject_scope)

    # -- sign-in -------------------------------------------------------------------------------

    def sso(self, message: Received) -> PendingRequest | Response:
        """The waiting request of a checked AuthnRequest, or the error answer to one that
        was refused but can be answered (its application and ACS are known)."""
        try:
            return check_authn_request(
                message, self.deps.sp_registry, sso_url=self.sso_url,
                require_signature=self.config.want_authn_requests_signed, now=self.core.clock(),
                max_age=self.config.request_validity, skew=self.config.clock_skew,
                class_refs=self.class_refs)
        except AnswerableRefusal as exc:
            self.core.refused_request(exc.reason, app_code=exc.pending.app_code, detail=exc.detail)
            return self._status(exc.pending, exc.code, exc.sub_code, "Aanvraag geweigerd")
        except RequestRefused as exc:
            self.core.refused_request(exc.reason, detail=exc.detail)
            raise

    def answer(self, ready: Ready) -> Response:
        person, pending = ready.person, ready.pending
        saml = SamlRequest.of(pending)
        if not pending.accepts_method(person.method):
            # the upstream signed in with another method than asked (the federal IdP need not
            # honour our RequestedAuthnContext): the application gets no assertion of it
            self.core.refused_request("no_authn_context", app_code=pending.app_code,
                                      detail=f"signed in with {person.method}")
            return self._status(pending, RESPONDER, NO_AUTHN_CONTEXT,
                                "Niet aangemeld met de gevraagde methode")
        now = self.core.clock()
        with self.core.read_db() as db:
            released = attributes.release(db, person, pending.app_code, now)
        sp = self.deps.sp_registry.by_app_code(pending.app_code)
        released += attributes.subject_identifiers(
            self.name_ids, pending.app_code, person.rrn, self.config.subject_scope,
            subject_id=sp is not None and sp.wants_subject_id)
        if saml.name_id_format == NAMEID_TRANSIENT:
            name_id = self.name_ids.transient_name_id(pending.app_code, person.rrn)
        else:
            name_id = self.name_ids.name_id(pending.app_code, person.rrn)
        xml, session_index = responses.success(
            saml, issuer=self.entity_id, keypair=self.deps.keys.idp, now=now,
            validity=self.config.assertion_validity, name_id_value=name_id,
            authn_instant=person.authn_instant, attributes=released,
            class_ref=authn_context.class_ref(person.method, saml.authn_context, self.class_refs),
            name_id_format=saml.name_id_format)
        self.core.answered(pending, person, AppEntry(
            PROTOCOL, pending.app_code, saml.sp_entity_id, name_id, session_index,
            saml.name_id_format))
        return Response(post_form(saml.acs_url, "SAMLResponse", xml, saml.relay_state))

    def fail(self, pending: PendingRequest, failure: Failure) -> Response:
        code, sub_code = _FAILURE_STATUS.get(failure.reason, (RESPONDER, None))
        return self._status(pending, code, sub_code, failure.message)

    def _status(self, pending: PendingRequest, code: str, sub_code: str | None,
                message: str) -> Response:
        saml = SamlRequest.of(pending)
        xml = responses.failure(saml, issuer=self.entity_id, now=self.core.clock(), code=code,
                                sub_code=sub_code, message=message)
        return Response(post_form(saml.acs_url, "SAMLResponse", xml, saml.relay_state))

    # -- single logout -------------------------------------------------------------------------

    def slo(self, message: Received) -> LogoutStep:
        """/idp/slo with a message: an application's LogoutRequest, or the answer to one of
        our hops."""
        root = message.root
        if root.tag == f"{{{SAMLP}}}LogoutResponse":
            sp = self.deps.sp_registry.by_entity_id(issuer_of(root) or "")
            ok = logout_answer_ok(message, list(sp.signing_certs) if sp else [])
            return self.core.logout_hop_done(message.relay_state, ok)
        if root.tag != f"{{{SAMLP}}}LogoutRequest":
            raise RequestRefused("not_logout_request", root.tag)
        sp = self.deps.sp_registry.by_entity_id(issuer_of(root) or "")
        if sp is None:
            raise RequestRefused("unknown_application", str(issuer_of(root)))
        verify(message, sp.signing_certs)
        endpoint = sp.slo((BINDING_HTTP_REDIRECT, BINDING_HTTP_POST))
        if endpoint is None:
            raise RequestRefused("no_slo_endpoint", sp.entity_id)
        self._check_logout_request(root, sp.entity_id, sp.app_code)
        return self.core.logout_asked(protocol=PROTOCOL, peer=sp.entity_id, reply=Reply(
            PROTOCOL, endpoint.response_location or endpoint.location, root.get("ID"),
            message.relay_state, endpoint.binding))

    def _check_logout_request(self, root: etree._Element, entity_id: str, app_code: str) -> None:
        """A signed LogoutRequest of an application ends this browser's session only if it is
        fresh, addressed here, used once, and about the person signed in here: otherwise
        anyone could put their own application's signed "sign out" URL in a page and sign
        every visitor out (the reason a bare GET /idp/slo only asks). Without a session there
        is nothing to end, and the application simply gets its answer."""
        try:
            check_delivery(root, destination=self.slo_url, now=self.core.clock(),
                           skew=self.config.clock_skew)
            use_once(self.deps.store, f"idp:logout-request:{entity_id}:", root)
        except LogoutMessageRefused as exc:
            raise RequestRefused(f"logout_{exc.reason}", exc.message) from None
        current = self.core.current()
        if current is None:
            return
        name_id = name_id_of(root)
        if name_id is None or self.name_ids.rrn_for(app_code, name_id.value) != current.person.rrn:
            raise RequestRefused("logout_other_person",
                                 f"{entity_id} asked to sign out someone else",
                                 message=_l("Deze afmelding hoort bij een andere persoon; u bent "
                                            "nog aangemeld."))

    def logout_hop(self, entry: AppEntry, plan_id: str) -> Response | bool:
        """A signed LogoutRequest to one application, on its SingleLogoutService."""
        sp = self.deps.sp_registry.by_entity_id(entry.peer)
        endpoint = sp.slo((BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)) if sp else None
        if endpoint is None:
            return False
        request = logout_request(
            issuer=self.entity_id, destination=endpoint.location,
            name_id=NameId(entry.subject, entry.subject_format or NAMEID_PERSISTENT,
                           self.entity_id, entry.peer),
            session_index=entry.session_index, now=self.core.clock())
        return send(request, endpoint.location, endpoint.binding, "SAMLRequest", plan_id,
                    self.deps.keys.idp)

    def logout_reply(self, reply: Reply, partial: bool) -> Response:
        answer = logout_response(issuer=self.entity_id, destination=reply.location,
                                 in_response_to=reply.request_id, now=self.core.clock(),
                                 partial=partial)
        return send(answer, reply.location, reply.binding, "SAMLResponse", reply.relay_state,
                    self.deps.keys.idp)
