"""The bridge's front doors: a Flask app built from explicit dependencies.

Views parse, call the journey (`journey.Journey`, where the sign-in rules are applied) and
render. Every refusal becomes a 4xx page or a SAML error status to the waiting application;
nothing a peer sends can produce a 5xx.
"""
from __future__ import annotations

import logging
from pathlib import Path

from flask import Flask, Response, render_template, request, session
from werkzeug.exceptions import HTTPException, InternalServerError

from samlkit.bindings import decode_post, decode_redirect
from samlkit.errors import SamlSecurityError

from . import i18n, sessions
from .config import BridgeDeps
from .errors import OUTAGES, BridgeRefusal, RequestRefused, ServiceUnavailable, reason_of
from .journey import Journey

log = logging.getLogger(__name__)


class BridgeMisconfigured(RuntimeError):
    """The bridge refuses to start (production with dev_eid, dev keys or plain http)."""


def create_bridge_app(deps: BridgeDeps) -> Flask:
    check_production(deps)
    config = deps.config
    app = Flask("idp_bridge", template_folder=str(Path(__file__).parent / "templates"))
    app.config.update(SECRET_KEY=config.secret_key, MAX_CONTENT_LENGTH=config.max_message_bytes * 2)
    sessions.configure(app, deps.session_backend, cookie_name=config.session_cookie,
                       secure=config.secure_cookies, idle_timeout=config.idle_timeout)
    i18n.install(app)  # after the session: the language may come from it
    journey = Journey(deps, rotate=lambda: app.session_interface.regenerate(session))
    app.extensions["idp_bridge"] = journey
    _routes(app, journey, config.max_message_bytes)
    if deps.keys.oidc is not None:
        from .oidc.mount import install

        install(app, deps)
    if config.dev_eid:
        from .dev_eid.web import blueprint
        app.register_blueprint(blueprint(journey.dev_eid, deps.register, config.max_message_bytes))
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


def _routes(app: Flask, journey: Journey, max_bytes: int) -> None:
    def received(field: str):
        """The SAML message of this request; unreadable ones are refused and recorded."""
        try:
            if request.method == "GET":
                return decode_redirect(request.query_string, field, max_bytes)
            return decode_post(request.form, field, max_bytes)
        except SamlSecurityError as exc:
            refusal = RequestRefused(reason_of(exc), exc.message)
            journey.trail.write("refused", refusal.reason, detail=refusal.detail)
            raise refusal from None

    @app.get("/idp/metadata")
    def idp_metadata():
        return Response(journey.idp_metadata(), mimetype="application/samlmetadata+xml")

    @app.get("/sp/metadata")
    def sp_metadata():
        return Response(journey.sp_metadata(), mimetype="application/samlmetadata+xml")

    @app.route("/idp/sso", methods=["GET", "POST"])
    def sso():
        return journey.sso(received("SAMLRequest"))

    @app.post("/sp/acs")
    def acs():
        return journey.acs(request.form, request.cookies.get(journey.flow_cookie))

    @app.get("/idp/capacity")
    def capacity():
        return journey.capacity_page()

    @app.post("/idp/capacity")
    def capacity_post():
        return journey.capacity_post(request.form)

    @app.route("/idp/slo", methods=["GET", "POST"])
    def idp_slo():
        field = "SAMLResponse" if ("SAMLResponse" in request.values) else "SAMLRequest"
        if field in request.values:
            return journey.idp_slo(received(field))
        # The bridge's own "Afmelden": GET only asks, the POST with the session's form token
        # signs out (a cross-site image or link must not end anyone's sessions).
        if request.method == "GET":
            return journey.logout_confirm_page()
        return journey.logout_everywhere(request.form)

    @app.route("/sp/slo", methods=["GET", "POST"])
    def sp_slo():
        field = "SAMLResponse" if ("SAMLResponse" in request.values) else "SAMLRequest"
        return journey.sp_slo(received(field))

    @app.errorhandler(BridgeRefusal)
    def refused(exc: BridgeRefusal):
        return refusal_page(exc)

    def unavailable(exc: Exception):
        """Redis or the database is unreachable: a 503 page that asks to retry, never a 500.
        Nothing is kept in a worker meanwhile; the next request after the outage works."""
        log.error("sign-in unavailable: %s at %s", type(exc).__name__, request.path,
                  extra={"reason": "service_unavailable"})
        try:
            journey.trail.write("failed", "service_unavailable",
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
            journey.trail.write("refused", "xml_too_large", detail=f"{request.path}: body too large")
            return refusal_page(RequestRefused("xml_too_large", "request body too large"), 413)
        return exc


def refusal_page(exc: BridgeRefusal, status: int | None = None) -> tuple[str, int]:
    return render_template("bridge/refused.html", title=exc.title, message=exc.message,
                           reason=exc.reason, next_step=exc.next_step), status or exc.status
