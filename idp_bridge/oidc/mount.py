"""Puts the provider into the bridge app: built from the bridge's own collaborators (its
database, shared store, clock, pairwise secret and session), so the OIDC side shares the one
session and sign-in record with the SAML side."""
from __future__ import annotations

from flask import Blueprint, Flask, request

from attribute_authority.db import read_only, session_factory

from .. import i18n
from ..config import BridgeDeps
from ..core import SignedOut
from ..errors import RequestRefused
from ..logout import Reply
from ..pairwise import PairwiseNameIds
from .authorize import PROTOCOL, OidcFrontEnd, Redirected
from .clients import ClientDirectory
from .errors import InvalidRequestError
from .grants import Grants
from .logout import OidcLogout
from .provider import Provider
from .signing import SigningKeys
from .web import blueprint, single_values


def provider_for(deps: BridgeDeps) -> Provider:
    config = deps.config
    assert deps.keys.oidc is not None
    issuer = config.url("/oidc")
    lifetime_s = int(config.lifetime.total_seconds())
    return Provider(
        issuer=issuer, keys=SigningKeys(deps.keys.oidc, deps.keys.oidc_next),
        clients=ClientDirectory(deps.db, deps.store, token_url=issuer + "/token", issuer=issuer,
                                clock=deps.clock, skew=config.clock_skew,
                                check_interval=lambda: deps.sp_registry.check_interval),
        grants=Grants(deps.store, revoke_ttl=lifetime_s),
        read_db=session_factory(read_only(deps.db.kw["bind"])),
        name_ids=PairwiseNameIds(config.name_id_secret), clock=deps.clock, lifetime=config.lifetime)


def install(app: Flask, deps: BridgeDeps, extra=None) -> Provider:
    provider = provider_for(deps)
    app.extensions["idp_bridge.oidc"] = provider
    bridge = app.extensions["idp_bridge"]
    provider.session_alive = bridge.core.session_alive
    # What an application's back end calls never needs the person's browser session.
    app.session_interface.sessionless += tuple(  # type: ignore[attr-defined]
        "/oidc" + path for path in ("/token", "/userinfo", "/introspect", "/jwks", "/rights",
                                    "/.well-known/"))
    front_end = OidcFrontEnd(provider, bridge.core)
    bridge.add_front_end(PROTOCOL, front_end)
    logout = OidcLogout(provider, bridge.core)

    def routes(bp: Blueprint) -> None:
        @bp.route("/authorize", methods=["GET", "POST"])
        def authorize():
            values = request.form if request.method == "POST" else request.args
            try:
                args = single_values(values)
                i18n.asked_by_application(args.get("ui_locales"))
                pending = front_end.authorize(args)
            except InvalidRequestError as exc:
                raise RequestRefused("oidc_repeated_parameter", str(exc.description)) from exc
            except Redirected as exc:
                return front_end.refused(exc)
            return bridge.respond(bridge.core.start(pending))

        @bp.route("/logout", methods=["GET", "POST"])
        def logout_view():
            values = request.form if request.method == "POST" else request.args
            try:
                args = single_values(values)
            except InvalidRequestError as exc:
                raise RequestRefused("oidc_repeated_parameter", str(exc.description)) from exc
            reply, client_id, sid = logout.asked(args)
            if sid:
                provider.grants.revoke_session(sid)
            if bridge.core.current() is None:
                return logout.reply(reply, False) if reply else bridge.respond(SignedOut(partial=False))
            if reply is None:
                reply = Reply("signed-out-page", "")  # no reply handler: the signed-out page
            # Every OIDC application of the session gets its logout_token, the asking one too
            # (peer None excludes nobody): the redirect back reaches only the browser's
            # session at the application, the logout_token every session of it with that sid.
            return bridge.respond(bridge.core.logout_asked(protocol=PROTOCOL, peer=None, reply=reply))

        if extra is not None:
            extra(bp)

    app.register_blueprint(blueprint(provider, routes))
    return provider
