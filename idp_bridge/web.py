"""The bridge's front doors: a Flask app built from explicit dependencies.

Views parse (with the front end or back end of their protocol), call the sign-in core
(`core.SignInCore`, where the sign-in rules are applied) and render its outcome
(`Bridge.respond`). Every refusal becomes a 4xx page or an error answer to the waiting
application; nothing a peer sends can produce a 5xx.

Another front end (the OIDC provider) plugs in with `Bridge.add_front_end(protocol, fe)`
and turns the core's outcomes into responses with `Bridge.respond`:
`bridge = app.extensions["idp_bridge"]`.
"""
from __future__ import annotations

import logging
from collections.abc import Iterable
from pathlib import Path
from typing import Any, Protocol

from flask import Blueprint, Flask, Response, render_template, request, session
from werkzeug.exceptions import HTTPException, InternalServerError

import uikit
from samlkit.bindings import decode_post, decode_redirect
from samlkit.errors import SamlSecurityError

from . import core as signin
from . import i18n, sessions
from .config import BridgeDeps
from .core import Failure, PendingRequest, Ready, SignInCore
from .downstream.frontend import SamlFrontEnd
from .errors import OUTAGES, BridgeRefusal, RequestRefused, ServiceUnavailable, reason_of
from .pairwise import PairwiseNameIds
from .upstream.backend import SamlBackend

log = logging.getLogger(__name__)


class BridgeMisconfigured(RuntimeError):
    """The bridge refuses to start (production with dev_eid, dev keys or plain http)."""


class FrontEnd(Protocol):
    """What the web layer needs of a downstream protocol (SAML IdP, OIDC provider)."""

    def answer(self, ready: Ready) -> Response: ...

    def fail(self, pending: PendingRequest, failure: Failure) -> Response: ...


class Bridge:
    """The core with its front ends and back end: turns the core's outcomes into responses."""

    def __init__(self, deps: BridgeDeps, rotate) -> None:
        config = deps.config
        self.deps = deps
        self.core = SignInCore(db=deps.db, clock=deps.clock, idle_timeout=config.idle_timeout,
                               lifetime=config.lifetime, store=deps.store, rotate=rotate)
        self.trail = self.core.trail
        self.name_ids = PairwiseNameIds(config.name_id_secret)
        self.saml = SamlFrontEnd(deps, self.core, self.name_ids)
        self.upstream = SamlBackend(deps, self.core)
        self.front_ends: dict[str, FrontEnd] = {self.saml.protocol: self.saml}

    def add_front_end(self, protocol: str, front_end: FrontEnd) -> None:
        self.front_ends[protocol] = front_end

    def idp_metadata(self) -> bytes:
        return self.saml.metadata()

    def after_choice(self, outcome: Any) -> Response | tuple[str, int]:
        """The answer to the capacity form's POST. A front end whose answer is a redirect
        (`answers_by_redirect`: OIDC's code on the redirect_uri) answers it at once, one
        request less per sign-in, Post/Redirect/Get all the same; one that answers with a page
        (SAML's auto-posting form) does so from the GET the POST redirects to, so that
        reloading that page never posts the choice again."""
        if isinstance(outcome, signin.ToCapacityPage):
            pending = self.core.waiting()
            front_end = self.front_ends.get(pending.protocol) if pending else None
            if getattr(front_end, "answers_by_redirect", False):
                view = self.core.capacity_view()
                if isinstance(view, signin.Ready):
                    return self.respond(view)
        return self.respond(outcome)

    def respond(self, outcome: Any) -> Response | tuple[str, int]:
        """The response for one of the core's outcomes (see the `core` module's API)."""
        match outcome:
            case Response():
                return outcome
            case signin.Ready(pending=pending):
                return self.front_ends[pending.protocol].answer(outcome)
            case signin.NotSignedIn(pending=pending, reason=reason):
                return self.front_ends[pending.protocol].fail(
                    pending, Failure(reason, "Niet aangemeld"))
            case signin.Declined(pending=pending, failure=failure):
                return self.front_ends[pending.protocol].fail(pending, failure)
            case signin.NeedsUpstream():
                return self.upstream.start(outcome)
            case signin.ToCapacityPage():
                return Response(status=303, headers={"Location": "/idp/capacity"})
            case signin.Sent(message=message):
                return message
            case signin.SignedOut(partial=partial):
                return render_template("bridge/signed_out.html", partial=partial), 200
            case signin.ChooseCapacity():
                return render_template("bridge/capacity.html", person=outcome.person,
                                       choices=outcome.choices, preselected=outcome.preselected,
                                       csrf=outcome.csrf, app=outcome.app,
                                       app_name=self.core.app_name(outcome.app) if outcome.app else None), 200
            case signin.Mismatch():
                return render_template("bridge/mismatch.html", person=outcome.person,
                                       app=outcome.app, required=outcome.required,
                                       apps=outcome.apps, csrf=outcome.csrf), 409
            case signin.Status():
                return render_template("bridge/status.html", person=outcome.person,
                                       apps=outcome.entries, csrf=outcome.csrf), 200
        raise TypeError(f"no response for {outcome!r}")


def create_bridge_app(deps: BridgeDeps, blueprints: Iterable[Blueprint] = ()) -> Flask:
    """The bridge's WSGI app; `blueprints` are mounted beside it (the composition root passes
    dev_eid's pages in demo and test mode)."""
    check_production(deps)
    config = deps.config
    app = Flask("idp_bridge", template_folder=str(Path(__file__).parent / "templates"),
                static_folder=str(uikit.STATIC), static_url_path="/idp/static")
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=config.max_message_bytes * 2)
    interface = sessions.configure(app, deps.session_backend, cookie_name=config.session_cookie,
                                   secure=config.secure_cookies, idle_timeout=config.idle_timeout)
    i18n.install(app)  # after the session: the language may come from it
    bridge = Bridge(deps, rotate=lambda: interface.regenerate(session))
    app.extensions["idp_bridge"] = bridge
    _routes(app, bridge, config.max_message_bytes)
    for blueprint in blueprints:
        app.register_blueprint(blueprint)
    if deps.keys.oidc is not None:
        from .oidc.mount import install

        install(app, deps)
    return app


def check_production(deps: BridgeDeps) -> None:
    config = deps.config
    if not config.production:
        return
    if config.dev_eid:
        raise BridgeMisconfigured("production mode refuses to mount dev_eid")
    for role, keypair in (("idp", deps.keys.idp), ("sp", deps.keys.sp),
                          ("sp-encryption", deps.keys.sp_encryption), ("oidc", deps.keys.oidc)):
        if keypair is not None and keypair.is_dev:
            raise BridgeMisconfigured(f"production mode refuses the development {role} key")
    if not config.base_url.startswith("https://"):
        raise BridgeMisconfigured("production mode needs an https base URL")


def _routes(app: Flask, bridge: Bridge, max_bytes: int) -> None:
    core, saml, upstream = bridge.core, bridge.saml, bridge.upstream

    def received(field: str):
        """The SAML message of this request; unreadable ones are refused and recorded."""
        try:
            if request.method == "GET":
                return decode_redirect(request.query_string, field, max_bytes)
            return decode_post(request.form, field, max_bytes)
        except SamlSecurityError as exc:
            refusal = RequestRefused(reason_of(exc), exc.message)
            core.refused_request(refusal.reason, detail=refusal.detail)
            raise refusal from None

    @app.get("/idp/metadata")
    def idp_metadata():
        return Response(saml.metadata(), mimetype="application/samlmetadata+xml")

    @app.get("/idp/help")
    def help_page():
        """The errorURL of /idp/metadata: what a person can do when signing in fails."""
        return render_template("bridge/help.html", account_url=bridge.deps.config.url("/account/"))

    @app.get("/sp/metadata")
    def sp_metadata():
        return Response(upstream.metadata(), mimetype="application/samlmetadata+xml")

    @app.route("/idp/sso", methods=["GET", "POST"])
    def sso():
        i18n.asked_by_application(None)  # SAML asks no language: not a previous OIDC one's
        pending = saml.sso(received("SAMLRequest"))
        return bridge.respond(pending if isinstance(pending, Response) else core.start(pending))

    @app.post("/sp/acs")
    def acs():
        response = bridge.respond(upstream.acs(request.form, request.cookies.get(upstream.flow_cookie)))
        if isinstance(response, Response):
            response.delete_cookie(upstream.flow_cookie, path="/sp/acs")
        return response

    @app.get("/idp/capacity")
    def capacity():
        return bridge.respond(core.capacity_view())

    @app.post("/idp/capacity")
    def capacity_post():
        return bridge.after_choice(core.capacity_post(request.form))

    @app.route("/idp/slo", methods=["GET", "POST"])
    def idp_slo():
        field = "SAMLResponse" if ("SAMLResponse" in request.values) else "SAMLRequest"
        if field in request.values:
            return bridge.respond(saml.slo(received(field)))
        # The bridge's own "Afmelden": GET only asks, the POST with the session's form token
        # signs out (a cross-site image or link must not end anyone's sessions).
        if request.method == "GET":
            current = core.confirm_logout()
            if current is None:
                return render_template("bridge/signed_out.html", partial=False,
                                       was_signed_in=False), 200
            return render_template("bridge/logout_confirm.html", person=current.person,
                                   apps=core.app_names(current.entries),
                                   csrf=core.browser().csrf), 200
        step = core.logout_everywhere(request.form)
        if step is None:
            return render_template("bridge/signed_out.html", partial=False, was_signed_in=False), 200
        return bridge.respond(step)

    @app.route("/sp/slo", methods=["GET", "POST"])
    def sp_slo():
        field = "SAMLResponse" if ("SAMLResponse" in request.values) else "SAMLRequest"
        return bridge.respond(upstream.slo(received(field)))

    @app.errorhandler(BridgeRefusal)
    def refused(exc: BridgeRefusal):
        return refusal_page(exc)

    def unavailable(exc: Exception):
        """Redis or the database is unreachable: a 503 page that asks to retry, never a 500.
        Nothing is kept in a worker meanwhile; the next request after the outage works."""
        log.error("sign-in unavailable: %s at %s", type(exc).__name__, request.path,
                  extra={"reason": "service_unavailable"})
        try:
            bridge.trail.write("failed", "service_unavailable",
                                detail=f"{request.path}: {type(exc).__name__}")
        except OUTAGES:
            pass  # the database is what is down; the log line above remains
        page, status = refusal_page(ServiceUnavailable("service_unavailable", type(exc).__name__))
        return page, status, {"Retry-After": "30"}

    for outage in OUTAGES:
        app.register_error_handler(outage, unavailable)

    @app.errorhandler(InternalServerError)
    def internal_error(exc: InternalServerError):
        # Raised outside a view (the session store while saving the session): the same page.
        if isinstance(exc.original_exception, OUTAGES):
            return unavailable(exc.original_exception)
        return exc

    @app.errorhandler(HTTPException)
    def http_error(exc: HTTPException):
        if exc.code == 413:
            bridge.trail.write("refused", "xml_too_large", detail=f"{request.path}: body too large")
            return refusal_page(RequestRefused("xml_too_large", "request body too large"), 413)
        return exc


def refusal_page(exc: BridgeRefusal, status: int | None = None) -> tuple[str, int]:
    return render_template("bridge/refused.html", title=exc.title, message=exc.message,
                           reason=exc.reason, next_step=exc.next_step), status or exc.status
