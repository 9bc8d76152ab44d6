"""The sign-in journey: an application's request, the upstream sign-in, the capacity choice,
the answer; and single logout. The rules of R12-R14 are applied here; SAML details stay in
`upstream/` and `downstream/`, which meet only in the `SignedInPerson` record.
"""
from __future__ import annotations

import hashlib
import hmac
import json
import logging
import secrets
from collections.abc import Callable, Mapping

from flask import Response, redirect, render_template, session
from sqlalchemy import select

from attribute_authority.db import read_only, session_factory
from attribute_authority.models import Application
from samlkit import xmlsig
from samlkit.bindings import (
    BINDING_HTTP_POST,
    BINDING_HTTP_REDIRECT,
    Received,
    post_form,
    verify_redirect_signature,
)
from samlkit.errors import LogoutRefused as LogoutMessageRefused
from samlkit.errors import SamlSecurityError
from samlkit.logout import (
    NameId,
    check_delivery,
    logout_request,
    logout_response,
    name_id_of,
    use_once,
)
from samlkit.samlxml import (
    AUTHN_FAILED,
    NAMEID_PERSISTENT,
    NAMEID_TRANSIENT,
    REQUEST_DENIED,
    REQUESTER,
    RESPONDER,
    SAMLP,
    STATUS,
    issuer_of,
)
from samlkit.sp_client import ServiceProvider
from samlkit.spmetadata import write_if_changed

from . import capacity as capacity_rule
from . import logout
from .config import BridgeDeps
from .dev_eid.idp import DevEid, TrustedSp
from .downstream import attributes, responses
from .downstream.metadata import idp_metadata
from .downstream.requests import AnswerableRefusal, PendingRequest, check_authn_request
from .errors import BridgeRefusal, LogoutRefused, RequestRefused, SessionMissing, UpstreamRefused
from .i18n import gettext as _
from .i18n import lazy_gettext as _l
from .pairwise import PairwiseNameIds
from .person import Capacity, SignedInPerson
from .sessions import BrowserSession
from .trail import Trail
from .upstream import authn
from .upstream.acs import AcsContext, UpstreamFailed, consume
from .upstream.metadata import sp_metadata
from .upstream.peer import UpstreamPeer

NO_PASSIVE = STATUS + "NoPassive"
log = logging.getLogger(__name__)


class Journey:
    flow_cookie = "idbeheer_bridge_flow"

    def __init__(self, deps: BridgeDeps, rotate: Callable[[], None]) -> None:
        self.deps = deps
        self.config = config = deps.config
        self.clock = deps.clock
        self.trail = Trail(deps.db, deps.clock)
        # The journey only reads (the trail writes in its own unit of work): on SQLite a
        # read-only transaction never takes, nor waits for, the write lock.
        self.read_db = session_factory(read_only(deps.db.kw["bind"]))
        self.rotate = rotate
        self.idp_entity_id = config.url("/idp/metadata")
        self.sso_url = config.url("/idp/sso")
        self.idp_slo_url = config.url("/idp/slo")
        self.sp_entity_id = config.url("/sp/metadata")
        self.acs_url = config.url("/sp/acs")
        self.sp_slo_url = config.url("/sp/slo")
        self.name_ids = PairwiseNameIds(config.name_id_secret)
        self.dev_eid: DevEid | None = None
        if config.dev_eid:
            self.dev_eid = DevEid(config.base_url, deps.keys.dev_eid, deps.store, self._trusted_sp,
                                  deps.clock, encrypt=config.dev_eid_encrypts)
            write_if_changed(deps.metadata_dir / "upstream" / "dev-eid.xml", self.dev_eid.metadata())
        self.peer = UpstreamPeer(deps.metadata_dir / "upstream", config.upstream_entity_id)

    # -- metadata -----------------------------------------------------------------------

    def idp_metadata(self) -> bytes:
        return idp_metadata(self.idp_entity_id, self.sso_url, self.idp_slo_url,
                            [k for k in (self.deps.keys.idp, self.deps.keys.idp_next) if k],
                            self.config.want_authn_requests_signed)

    def sp_metadata(self) -> bytes:
        return sp_metadata(self.sp_entity_id, self.acs_url, self.sp_slo_url,
                           [k for k in (self.deps.keys.sp, self.deps.keys.sp_next) if k],
                           list(self.deps.keys.sp_decryption))

    def _trusted_sp(self, entity_id: str) -> TrustedSp | None:
        if entity_id != self.sp_entity_id:
            return None
        return TrustedSp(self.sp_entity_id, self.acs_url, self.sp_slo_url,
                         [self.deps.keys.sp.certificate],
                         [k.certificate for k in self.deps.keys.sp_decryption])

    # -- sign-in --------------------------------------------------------------------------

    def browser(self) -> BrowserSession:
        return BrowserSession(session, now=self.clock(), idle_timeout=self.config.idle_timeout,
                              lifetime=self.config.lifetime)

    def sso(self, message: Received) -> Response:
        now = self.clock()
        try:
            pending = check_authn_request(
                message, self.deps.sp_registry, sso_url=self.sso_url,
                require_signature=self.config.want_authn_requests_signed, now=now,
                max_age=self.config.request_validity, skew=self.config.clock_skew)
        except AnswerableRefusal as exc:
            self.trail.write("refused", exc.reason, application=exc.pending.app_code, detail=exc.detail)
            return self._fail_to_app(exc.pending, REQUESTER, exc.sub_code, "Aanvraag geweigerd")
        except RequestRefused as exc:
            self.trail.write("refused", exc.reason, detail=exc.detail)
            raise
        browser = self.browser()
        person = browser.person
        if person is None or pending.force_authn:
            if pending.is_passive:
                self.trail.write("failed", "no_passive", application=pending.app_code)
                return self._fail_to_app(pending, RESPONDER, NO_PASSIVE, "Niet aangemeld")
            keep = browser.data.get("person") and {
                "person": browser.data["person"], "apps": browser.apps}
            return self._to_upstream(pending, force_authn=pending.force_authn, keep=keep)
        return self._continue(browser, person, pending)

    def _continue(self, browser: BrowserSession, person: SignedInPerson,
                  pending: PendingRequest) -> Response:
        browser.pending = pending.to_json()
        if person.capacity is None:
            return redirect("/idp/capacity", 303)
        if not self._accepts(pending, person.capacity):
            self.trail.write("failed", "capacity_mismatch", person=person,
                             application=pending.app_code)
            return redirect("/idp/capacity", 303)
        browser.pending = None
        return self._answer(browser, person, pending)

    def _accepts(self, pending: PendingRequest, capacity: Capacity) -> bool:
        if pending.capacity is not None and pending.capacity != capacity.code:
            return False  # the application asked for another capacity: offer the switch
        with self.read_db() as db:
            required = capacity_rule.application_capacity(db, pending.app_code)
        return capacity_rule.accepts(required, capacity)

    def _answer(self, browser: BrowserSession, person: SignedInPerson,
                pending: PendingRequest) -> Response:
        now = self.clock()
        with self.read_db() as db:
            released = attributes.release(db, person, pending.app_code, now)
        if pending.name_id_format == NAMEID_TRANSIENT:
            name_id = self.name_ids.transient_name_id(pending.app_code, person.rrn)
        else:
            name_id = self.name_ids.name_id(pending.app_code, person.rrn)
        xml, session_index = responses.success(
            pending, issuer=self.idp_entity_id, keypair=self.deps.keys.idp, now=now,
            validity=self.config.assertion_validity, name_id_value=name_id,
            authn_instant=person.authn_instant, method=person.method, attributes=released,
            name_id_format=pending.name_id_format)
        browser.add_app({"sp": pending.sp_entity_id, "app": pending.app_code, "name_id": name_id,
                         "format": pending.name_id_format, "session_index": session_index})
        self.trail.write("success", "assertion_issued", person=person, application=pending.app_code)
        return Response(post_form(pending.acs_url, "SAMLResponse", xml, pending.relay_state))

    def _fail_to_app(self, pending: PendingRequest, code: str, sub_code: str | None,
                     message: str) -> Response:
        xml = responses.failure(pending, issuer=self.idp_entity_id, now=self.clock(), code=code,
                                sub_code=sub_code, message=message)
        return Response(post_form(pending.acs_url, "SAMLResponse", xml, pending.relay_state))

    def _to_upstream(self, pending: PendingRequest | None, *, force_authn: bool,
                     keep: Mapping | None = None) -> Response:
        flow = secrets.token_urlsafe(24)
        state = json.dumps({"pending": pending.to_json() if pending else None,
                            "flow": _digest(flow), "keep": keep})
        url = authn.start(self.peer.current(), sp_entity_id=self.sp_entity_id,
                             acs_url=self.acs_url, keypair=self.deps.keys.sp, store=self.deps.store,
                             state=state, force_authn=force_authn, now=self.clock(),
                             validity=self.config.request_validity)
        response = redirect(url, 302)
        secure = self.config.secure_cookies
        response.set_cookie(self.flow_cookie, flow, max_age=int(self.config.request_validity.total_seconds()),
                            path="/sp/acs", httponly=True, secure=secure,
                            samesite="None" if secure else "Lax")
        return response

    def acs(self, form: Mapping[str, str], flow_cookie: str | None) -> Response:
        ctx = AcsContext(sp=ServiceProvider(self.sp_entity_id, self.acs_url, self.deps.keys.sp),
                         idp=self.peer.current(), store=self.deps.store,
                         authn_contexts=self.config.authn_contexts, now=self.clock(),
                         skew=self.config.clock_skew, max_bytes=self.config.max_message_bytes,
                         decryption_keys=self.deps.keys.sp_decryption)
        try:
            accepted = consume(form, ctx)
        except UpstreamFailed as exc:
            pending = _pending(json.loads(exc.state))
            self.trail.write("failed", exc.reason, application=pending and pending.app_code,
                             detail=exc.detail)
            if pending is None:
                raise
            return self._fail_to_app(pending, RESPONDER, AUTHN_FAILED, exc.detail or "Aanmelden mislukt")
        except UpstreamRefused as exc:
            self.trail.write("refused", exc.reason, detail=exc.detail)
            raise
        state = json.loads(accepted.state)
        pending = _pending(state)
        app_code = pending.app_code if pending else None
        # Login CSRF: the browser that finishes must be the one that started. Over https the
        # flow cookie always comes along (SameSite=None); plain-http demo may lack it.
        if flow_cookie is not None and not hmac.compare_digest(_digest(flow_cookie), state["flow"]) \
                or flow_cookie is None and self.config.production:
            self.trail.write("refused", "browser_mismatch", rrn=accepted.person.rrn,
                             application=app_code)
            raise UpstreamRefused("browser_mismatch", "flow cookie does not match",
                                  message=_l("Deze aanmelding werd in een andere browser gestart."))
        browser = self.browser()
        browser.begin(accepted.person, {"name_id": accepted.name_id.to_dict(),
                                        "session_index": accepted.session_index}, self.rotate)
        keep = state.get("keep")
        if keep and keep["person"]["rrn"] == accepted.person.rrn and keep["person"].get("capacity"):
            # ForceAuthn by an application: the same person proved themselves again; the
            # capacity and the applications of the session stay as they were.
            browser.set_capacity(Capacity(**keep["person"]["capacity"]))
            for app in keep["apps"]:
                browser.add_app(app)
        self.trail.write("success", "upstream_signed_in", person=accepted.person, application=app_code)
        if pending is not None:
            browser.pending = pending.to_json()
        response = redirect("/idp/capacity", 303)
        response.delete_cookie(self.flow_cookie, path="/sp/acs")
        return response

    # -- capacity (R13) ---------------------------------------------------------------------

    def _signed_in(self) -> tuple[BrowserSession, SignedInPerson]:
        browser = self.browser()
        person = browser.person
        if person is None:
            raise SessionMissing("no_session", "capacity page without a session",
                                 message=_l("U bent niet (meer) aangemeld; uw sessie is misschien "
                                            "verlopen."))
        return browser, person

    def capacity_page(self) -> Response | tuple[str, int]:
        browser, person = self._signed_in()
        pending = PendingRequest.from_json(browser.pending) if browser.pending else None
        if person.capacity is None:
            with self.read_db() as db:
                choices = capacity_rule.options(db, person.rrn)
            return render_template("bridge/capacity.html", person=person, choices=choices,
                                   csrf=browser.csrf, app=pending and pending.app_code), 200
        if pending is not None:
            if self._accepts(pending, person.capacity):
                browser.pending = None
                return self._answer(browser, person, pending)
            with self.read_db() as db:
                required = capacity_rule.describe_requirement(
                    capacity_rule.application_capacity(db, pending.app_code))
                if pending.capacity is not None:
                    required = capacity_rule.describe_requested(db, pending.capacity)
            return render_template("bridge/mismatch.html", person=person, app=pending.app_code,
                                   required=required, apps=self._app_names(browser.apps),
                                   csrf=browser.csrf), 409
        return render_template("bridge/status.html", person=person, apps=browser.apps,
                               csrf=browser.csrf), 200

    def capacity_post(self, form: Mapping[str, str]) -> Response:
        browser, person = self._signed_in()
        if not hmac.compare_digest(form.get("csrf_token", ""), browser.csrf):
            raise RequestRefused("csrf", "form token missing or wrong",
                                 message=_l("Dit formulier is verlopen. Laad de pagina opnieuw."))
        pending = PendingRequest.from_json(browser.pending) if browser.pending else None
        action = form.get("action", "choose")
        if action == "switch":
            # A new capacity needs a fresh upstream sign-in and a fresh session: nothing of
            # the old capacity is carried over (R13). Every application that got an assertion
            # in the old capacity is signed out first, so none goes on acting in it.
            apps = browser.apps
            self.trail.write("failed", "capacity_switch", person=person,
                             application=pending and pending.app_code,
                             detail=f"signing out of {len(apps)} application(s) first: "
                                    + ", ".join(a["app"] for a in apps))
            browser.end()
            plan = logout.Plan(apps=apps, switch=True, pending=pending.to_json() if pending else None)
            return self._next_logout_hop(plan)
        if action == "cancel":
            browser.pending = None
            if pending is None:
                return redirect("/idp/capacity", 303)
            self.trail.write("failed", "capacity_declined", person=person, application=pending.app_code)
            return self._fail_to_app(pending, RESPONDER, REQUEST_DENIED, "Verkeerde hoedanigheid")
        if person.capacity is not None:
            raise RequestRefused("capacity_already_chosen", person.capacity.code,
                                 message=_("U handelt in deze sessie al als %(capacity)s. Een andere "
                                           "hoedanigheid vraagt een nieuwe aanmelding.",
                                           capacity=person.capacity.label()))
        with self.read_db() as db:
            chosen = capacity_rule.choose(db, person.rrn, form.get("capacity", ""))
        if chosen is None:
            raise RequestRefused("capacity_not_allowed", form.get("capacity", ""),
                                 message=_l("U kunt niet in die hoedanigheid aanmelden."))
        browser.set_capacity(chosen)
        return redirect("/idp/capacity", 303)

    # -- single logout ------------------------------------------------------------------------

    def logout_confirm_page(self) -> Response | tuple[str, int]:
        """GET /idp/slo without a message: ask first, listing what the sign-out will end."""
        browser = self.browser()
        person = browser.person
        if person is None:
            return render_template("bridge/signed_out.html", partial=False, was_signed_in=False), 200
        return render_template("bridge/logout_confirm.html", person=person,
                               apps=self._app_names(browser.apps), csrf=browser.csrf), 200

    def logout_everywhere(self, form: Mapping[str, str]) -> Response | tuple[str, int]:
        """The bridge's own "Afmelden", confirmed with the session's form token: every
        application, then upstream (IdP-initiated). A POST without the token ends nothing."""
        browser = self.browser()
        if browser.person is None:
            return render_template("bridge/signed_out.html", partial=False, was_signed_in=False), 200
        if not hmac.compare_digest(form.get("csrf_token", ""), browser.csrf):
            log.warning("bridge sign-out refused: form token missing or wrong")
            raise LogoutRefused("logout_csrf", "sign-out form token missing or wrong")
        plan = logout.Plan(apps=browser.apps, upstream=browser.data.get("upstream"))
        browser.end()
        return self._next_logout_hop(plan)

    def _app_names(self, apps: list[dict[str, str]]) -> list[str]:
        """The catalog names of the session's applications (the code if it has none)."""
        codes = [a["app"] for a in apps]
        with self.read_db() as db:
            names = dict(db.execute(select(Application.code, Application.name)
                                    .where(Application.code.in_(codes))).all())
        return [names.get(code) or code for code in codes]

    def idp_slo(self, message: Received) -> Response:
        root = message.root
        if root.tag == f"{{{SAMLP}}}LogoutResponse":
            return self._logout_hop_done(message, self._app_certs(root))
        if root.tag != f"{{{SAMLP}}}LogoutRequest":
            raise RequestRefused("not_logout_request", root.tag)
        sp = self.deps.sp_registry.by_entity_id(issuer_of(root) or "")
        if sp is None:
            raise RequestRefused("unknown_application", str(issuer_of(root)))
        self._verify(message, sp.signing_certs)
        endpoint = sp.slo((BINDING_HTTP_REDIRECT, BINDING_HTTP_POST))
        if endpoint is None:
            raise RequestRefused("no_slo_endpoint", sp.entity_id)
        browser = self.browser()
        self._check_logout_request(root, sp.entity_id, sp.app_code, browser)
        others = [a for a in browser.apps if a["sp"] != sp.entity_id]
        plan = logout.Plan(apps=others, upstream=browser.data.get("upstream"), reply=logout.Reply(
            issuer=self.idp_entity_id, location=endpoint.response_location or endpoint.location,
            request_id=root.get("ID"), relay_state=message.relay_state, key_role="idp",
            binding=endpoint.binding))
        browser.end()
        return self._next_logout_hop(plan)

    def _check_logout_request(self, root, entity_id: str, app_code: str,
                              browser: BrowserSession) -> None:
        """A signed LogoutRequest of an application ends this browser's session only if it is
        fresh, addressed here, used once, and about the person signed in here: otherwise
        anyone could put their own application's signed "sign out" URL in a page and sign
        every visitor out (the reason a bare GET /idp/slo only asks). Without a session there
        is nothing to end, and the application simply gets its answer."""
        try:
            check_delivery(root, destination=self.idp_slo_url, now=self.clock(),
                           skew=self.config.clock_skew)
            use_once(self.deps.store, f"idp:logout-request:{entity_id}:", root)
        except LogoutMessageRefused as exc:
            raise RequestRefused(f"logout_{exc.reason}", exc.message) from None
        person = browser.person
        if person is None:
            return
        name_id = name_id_of(root)
        if name_id is None or self.name_ids.rrn_for(app_code, name_id.value) != person.rrn:
            raise RequestRefused("logout_other_person",
                                 f"{entity_id} asked to sign out someone else",
                                 message=_l("Deze afmelding hoort bij een andere persoon; u bent "
                                            "nog aangemeld."))

    def sp_slo(self, message: Received) -> Response:
        root = message.root
        idp = self.peer.current()
        if root.tag == f"{{{SAMLP}}}LogoutResponse":
            return self._logout_hop_done(message, idp.signing_certs)
        if root.tag != f"{{{SAMLP}}}LogoutRequest" or issuer_of(root) != idp.entity_id:
            raise RequestRefused("not_logout_request", root.tag)
        self._verify(message, idp.signing_certs)
        endpoint = idp.single_logout_services.get(BINDING_HTTP_REDIRECT)
        if endpoint is None:
            raise RequestRefused("no_slo_endpoint", idp.entity_id)
        browser = self.browser()
        plan = logout.Plan(apps=browser.apps, reply=logout.Reply(
            issuer=self.sp_entity_id, location=endpoint.response_location or endpoint.location,
            request_id=root.get("ID"), relay_state=message.relay_state, key_role="sp"))
        browser.end()
        return self._next_logout_hop(plan)

    def _verify(self, message: Received, certs) -> None:
        try:
            if message.binding == BINDING_HTTP_POST:
                xmlsig.verify(message.root, message.root, certs)
            else:
                verify_redirect_signature(message, certs)
        except SamlSecurityError as exc:
            raise RequestRefused(f"signature_{exc.reason}", exc.message) from None

    def _app_certs(self, root) -> list:
        sp = self.deps.sp_registry.by_entity_id(issuer_of(root) or "")
        return list(sp.signing_certs) if sp else []

    def _logout_hop_done(self, message: Received, certs) -> Response:
        plan_id = message.relay_state
        plan = logout.load(self.deps.store, plan_id)
        if plan is None:
            raise RequestRefused("unknown_logout", "no logout in progress for this answer")
        try:
            self._verify(message, certs)
            code = message.root.find(f"{{{SAMLP}}}Status/{{{SAMLP}}}StatusCode")
            if code is None or not code.get("Value", "").endswith(":Success"):
                log.warning("logout answer of %s: %s", issuer_of(message.root),
                            code.get("Value") if code is not None else "no status")
                plan.partial = True
        except BridgeRefusal as exc:
            log.warning("logout answer of %s refused: %s", issuer_of(message.root), exc)
            plan.partial = True
        return self._next_logout_hop(plan, plan_id=plan_id)

    def _next_logout_hop(self, plan: logout.Plan, plan_id: str | None = None) -> Response:
        now = self.clock()
        while plan.apps:
            app = plan.apps.pop(0)
            sp = self.deps.sp_registry.by_entity_id(app["sp"])
            endpoint = sp.slo((BINDING_HTTP_REDIRECT, BINDING_HTTP_POST)) if sp else None
            if endpoint is None:
                plan.partial = True
                continue
            request = logout_request(
                issuer=self.idp_entity_id, destination=endpoint.location,
                name_id=NameId(app["name_id"], app.get("format", NAMEID_PERSISTENT),
                               self.idp_entity_id, app["sp"]),
                session_index=app["session_index"], now=now)
            plan_id = logout.save(self.deps.store, plan, plan_id)
            return _sent(logout.send(request, endpoint.location, endpoint.binding, "SAMLRequest",
                                     plan_id, self.deps.keys.idp))
        if plan.switch:
            return self._switch_sign_in(plan)
        if plan.upstream:
            upstream, plan.upstream = plan.upstream, None
            try:
                idp = self.peer.current()
                endpoint = idp.single_logout_services.get(BINDING_HTTP_REDIRECT)
            except BridgeRefusal:
                endpoint = None
            if endpoint is not None:
                request = logout_request(
                    issuer=self.sp_entity_id, destination=endpoint.location,
                    name_id=_upstream_name_id(upstream["name_id"]),
                    session_index=upstream.get("session_index"), now=now)
                plan_id = logout.save(self.deps.store, plan, plan_id)
                return _sent(logout.send(request, endpoint.location, BINDING_HTTP_REDIRECT,
                                         "SAMLRequest", plan_id, self.deps.keys.sp))
        if plan.reply is not None:
            reply = plan.reply
            keypair = self.deps.keys.idp if reply.key_role == "idp" else self.deps.keys.sp
            answer = logout_response(issuer=reply.issuer, destination=reply.location,
                                     in_response_to=reply.request_id, now=now, partial=plan.partial)
            return _sent(logout.send(answer, reply.location, reply.binding, "SAMLResponse",
                                     reply.relay_state, keypair))
        return Response(render_template("bridge/signed_out.html", partial=plan.partial))

    def _switch_sign_in(self, plan: logout.Plan) -> Response:
        """The applications of the old capacity are signed out: the fresh upstream sign-in."""
        pending = PendingRequest.from_json(plan.pending) if plan.pending else None
        if plan.partial:
            # Not every application confirmed; the bridge's side of the old session is gone
            # all the same. The helpdesk finds which one in the log and the trail.
            log.warning("capacity switch: not every application confirmed the logout")
            self.trail.write("failed", "capacity_switch_partial_logout",
                             application=pending and pending.app_code)
        return self._to_upstream(pending, force_authn=True)


def _upstream_name_id(stored: dict | str) -> NameId:
    """The upstream NameID as the IdP issued it (Format and qualifiers: the federal IdP matches
    a LogoutRequest on all of it); a session from before they were kept has the value only."""
    if isinstance(stored, str):
        return NameId(stored, NAMEID_TRANSIENT)
    return NameId.from_dict(stored)


def _sent(how: tuple[str, str]) -> Response:
    kind, payload = how
    return redirect(payload, 302) if kind == "redirect" else Response(payload)


def _pending(state: Mapping) -> PendingRequest | None:
    raw = state.get("pending")
    return PendingRequest.from_json(raw) if raw else None


def _digest(value: str) -> str:
    return hashlib.sha256(value.encode()).hexdigest()
