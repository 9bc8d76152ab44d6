"""The SAML SP back end: the upstream eID sign-in and logout, for the core.

- `start(needs)`: an AuthnRequest to the upstream IdP carrying the core's state, and the flow
  cookie that ties the answer to this browser (login CSRF);
- `acs(form, flow_cookie)`: the verified upstream Response handed to the core
  (`core.upstream_signed_in`), or the upstream's signed "no" (`core.upstream_failed`);
- `slo(message)`: /sp/slo, the upstream IdP's LogoutRequest or its answer to ours;
- the upstream logout hop and the reply to the upstream's LogoutRequest, registered with
  the core.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import secrets
from collections.abc import Mapping
from typing import Any

from flask import Response

from samlkit.bindings import BINDING_HTTP_REDIRECT, Received
from samlkit.errors import LogoutRefused as LogoutMessageRefused
from samlkit.logout import (
    NameId,
    check_delivery,
    logout_request,
    logout_response,
    name_id_of,
    use_once,
)
from samlkit.samlxml import NAMEID_TRANSIENT, SAMLP, issuer_of
from samlkit.sp_client import ServiceProvider

from ..config import BridgeDeps
from ..core import Declined, LogoutStep, NeedsUpstream, Reply, SignInCore, method_satisfies
from ..downstream.frontend import logout_answer_ok, send, verify
from ..errors import BridgeRefusal, RequestRefused, UpstreamRefused
from ..i18n import lazy_gettext as _l
from . import authn
from .acs import AcsContext, UpstreamFailed, consume
from .metadata import sp_metadata
from .peer import UpstreamPeer

UPSTREAM = "upstream"  # the core's protocol tag for a reply to the upstream IdP
FLOW_COOKIE = "idbeheer_bridge_flow"


class SamlBackend:
    flow_cookie = FLOW_COOKIE

    def __init__(self, deps: BridgeDeps, core: SignInCore) -> None:
        self.deps = deps
        self.config = deps.config
        self.core = core
        self.entity_id = self.config.url("/sp/metadata")
        self.acs_url = self.config.url("/sp/acs")
        self.slo_url = self.config.url("/sp/slo")
        self.peer = UpstreamPeer(deps.metadata_dir / "upstream", self.config.upstream_entity_id,
                                 clock=core.clock)
        core.register_upstream_hop(self.logout_hop)
        core.register_reply(UPSTREAM, self.logout_reply)

    def metadata(self) -> bytes:
        return sp_metadata(self.entity_id, self.acs_url, self.slo_url,
                           [k for k in (self.deps.keys.sp, self.deps.keys.sp_next) if k],
                           list(self.deps.keys.sp_decryption), now=self.core.clock())

    # -- sign-in -------------------------------------------------------------------------------

    def start(self, needs: NeedsUpstream) -> Response:
        flow = secrets.token_urlsafe(24)
        state = json.dumps({"core": needs.state, "flow": _digest(flow)})
        url = authn.start(self.peer.current(), sp_entity_id=self.entity_id,
                          acs_url=self.acs_url, keypair=self.deps.keys.sp, store=self.deps.store,
                          state=state, force_authn=needs.force_authn, now=self.core.clock(),
                          validity=self.config.request_validity,
                          authn_contexts=self._class_refs(needs.method, needs.method_exact))
        response = Response(status=302, headers={"Location": url})
        secure = self.config.secure_cookies
        response.set_cookie(self.flow_cookie, flow,
                            max_age=int(self.config.request_validity.total_seconds()),
                            path="/sp/acs", httponly=True, secure=secure,
                            samesite="None" if secure else "Lax")
        return response

    def _class_refs(self, method: str | None, exact: bool = False) -> list[str]:
        """The upstream's AuthnContextClassRefs of the sign-in methods at least as strong as
        `method` (`exact`: of that method only; for each, the first the configuration's
        mapping names), so the upstream offers only those; none when any method will do."""
        if method is None:
            return []
        refs: dict[str, str] = {}
        for ref, used in self.config.authn_contexts.items():
            if method_satisfies(used, method, exact):
                refs.setdefault(used, ref)
        return list(refs.values())

    def acs(self, form: Mapping[str, str], flow_cookie: str | None) -> LogoutStep | Declined:
        ctx = AcsContext(sp=ServiceProvider(self.entity_id, self.acs_url, self.deps.keys.sp),
                         idp=self.peer.current(), store=self.deps.store,
                         authn_contexts=self.config.authn_contexts, now=self.core.clock(),
                         skew=self.config.clock_skew, max_bytes=self.config.max_message_bytes,
                         decryption_keys=self.deps.keys.sp_decryption)
        try:
            accepted = consume(form, ctx)
        except UpstreamFailed as exc:
            declined = self.core.upstream_failed(json.loads(exc.state)["core"], exc.reason,
                                                 exc.detail)
            if declined is None:
                raise
            return declined
        except UpstreamRefused as exc:
            self.core.refused_request(exc.reason, detail=exc.detail)
            raise
        state = json.loads(accepted.state)
        # Login CSRF: the browser that finishes must be the one that started, in every mode:
        # without its flow cookie a Response posted into a victim's browser would make the
        # attacker's sign-in theirs. (Over https the cookie is SameSite=None and comes along on
        # the upstream's cross-site POST; over plain http, demo only, dev_eid is same-site.)
        if flow_cookie is None or not _same(flow_cookie, state["flow"]):
            self.core.browser_mismatch(accepted.person.rrn, state["core"])
            raise UpstreamRefused("browser_mismatch", "flow cookie missing or does not match",
                                  message=_l("Deze aanmelding werd in een andere browser gestart."))
        upstream = {"name_id": accepted.name_id.to_dict(), "session_index": accepted.session_index}
        return self.core.upstream_signed_in(accepted.person, upstream, state["core"])

    # -- single logout -------------------------------------------------------------------------

    def slo(self, message: Received) -> LogoutStep:
        root = message.root
        idp = self.peer.current()
        if root.tag == f"{{{SAMLP}}}LogoutResponse":
            return self.core.logout_hop_done(message.relay_state,
                                             logout_answer_ok(message, idp.signing_certs))
        if root.tag != f"{{{SAMLP}}}LogoutRequest" or issuer_of(root) != idp.entity_id:
            raise RequestRefused("not_logout_request", root.tag)
        verify(message, idp.signing_certs)
        endpoint = idp.single_logout_services.get(BINDING_HTTP_REDIRECT)
        if endpoint is None:
            raise RequestRefused("no_slo_endpoint", idp.entity_id)
        self._check_logout_request(root)
        return self.core.logout_asked(protocol=UPSTREAM, peer=idp.entity_id, reply=Reply(
            UPSTREAM, endpoint.response_location or endpoint.location, root.get("ID"),
            message.relay_state, BINDING_HTTP_REDIRECT), include_upstream=False)

    def _check_logout_request(self, root) -> None:
        """The upstream's signed LogoutRequest ends this browser's session only if it is fresh,
        addressed to our /sp/slo, used once, and names this session's upstream NameID: a
        captured one (another person's, an old one, one replayed in another browser) ends
        nothing. Without a session there is nothing to end; the IdP simply gets its answer."""
        try:
            check_delivery(root, destination=self.slo_url, now=self.core.clock(),
                           skew=self.config.clock_skew)
            use_once(self.deps.store, "sp:logout-request:", root)
        except LogoutMessageRefused as exc:
            self.core.refused_request(f"logout_{exc.reason}", detail=exc.message)
            raise RequestRefused(f"logout_{exc.reason}", exc.message) from None
        upstream = self.core.upstream_record()
        if upstream is None:
            return
        name_id = name_id_of(root)
        if name_id is None or name_id.value != _upstream_name_id(upstream["name_id"]).value:
            self.core.refused_request("logout_other_person", detail="upstream NameID differs")
            raise RequestRefused("logout_other_person", "upstream LogoutRequest for another NameID",
                                 message=_l("Deze afmelding hoort bij een andere persoon; u bent "
                                            "nog aangemeld."))

    def logout_hop(self, upstream: dict[str, Any], plan_id: str) -> Response | None:
        try:
            idp = self.peer.current()
            endpoint = idp.single_logout_services.get(BINDING_HTTP_REDIRECT)
        except BridgeRefusal:
            endpoint = None
        if endpoint is None:
            return None
        request = logout_request(
            issuer=self.entity_id, destination=endpoint.location,
            name_id=_upstream_name_id(upstream["name_id"]),
            session_index=upstream.get("session_index"), now=self.core.clock())
        return send(request, endpoint.location, BINDING_HTTP_REDIRECT, "SAMLRequest", plan_id,
                    self.deps.keys.sp)

    def logout_reply(self, reply: Reply, partial: bool) -> Response:
        answer = logout_response(issuer=self.entity_id, destination=reply.location,
                                 in_response_to=reply.request_id, now=self.core.clock(),
                                 partial=partial)
        return send(answer, reply.location, BINDING_HTTP_REDIRECT, "SAMLResponse",
                    reply.relay_state, self.deps.keys.sp)


def _upstream_name_id(stored: dict | str) -> NameId:
    """The upstream NameID as the IdP issued it (Format and qualifiers: the federal IdP matches
    a LogoutRequest on all of it); a session from before they were kept has the value only."""
    if isinstance(stored, str):
        return NameId(stored, NAMEID_TRANSIENT)
    return NameId.from_dict(stored)


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode("utf-8", "surrogatepass")).hexdigest()


def _same(flow_cookie: str, digest: str) -> bool:
    try:
        return hmac.compare_digest(_digest(flow_cookie), digest)
    except (UnicodeEncodeError, TypeError):
        return False
