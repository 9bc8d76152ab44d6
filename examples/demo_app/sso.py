"""demo-app's sign-in and sign-out through the bridge (SAML Web SSO and single logout), as a
target application writes them.

`register_sso(app, ...)` adds to demo-app's Flask app:
  GET  /login   a signed HTTP-Redirect AuthnRequest to the bridge (RSA-SHA256)
  POST /acs     the assertion consumer: the Assertion's signature with the bridge's key, then
                Destination, Recipient, Audience, InResponseTo and validity; only then read
  GET  /me      who is signed in, in which capacity, with which rights
  POST /logout  "Afmelden bij demo-app": single logout, a signed LogoutRequest to the bridge
  GET  /slo     the single-logout endpoint of demo-app's metadata (HTTP-Redirect): the bridge's
                answer to our LogoutRequest, or the bridge's own LogoutRequest when the person
                signed out in another application
The SAML work is the project's SP client (`samlkit.sp_client`, `samlkit.sp_logout`); nothing
of the bridge is imported: an application only knows the bridge's metadata URL.

Why single logout and not just forgetting demo-app's session: the bridge keeps its own session
(up to 8 hours), and while it lives the next sign-in, here or in any application, needs no eID.
On a shared computer the next person would be the previous one, local administrator included.

The outstanding request IDs are kept in demo-app's own session cookie: the bridge's page that
POSTs the answer is on the same site (BASE), so the cookie comes along with SameSite=Lax, and
the bridge's logout messages are top-level redirects, which carry it too.
"""
from __future__ import annotations

import datetime as dt
import hmac
import secrets
import urllib.request
from collections.abc import Callable, Mapping
from pathlib import Path

from flask import Flask, abort, redirect, render_template_string, request, session

from samlkit.bindings import BINDING_HTTP_REDIRECT, decode_redirect
from samlkit.errors import SamlSecurityError
from samlkit.keys import KeyPair
from samlkit.logout import NameId
from samlkit.replay import MemoryStore, OneTimeStore
from samlkit.sp_client import (
    ServiceProvider,
    SessionRequests,
    SignInDeclined,
    accept_response,
    authn_request,
)
from samlkit.sp_logout import (
    accept_logout_request,
    accept_logout_response,
    logout_response_url,
    request_logout,
)
from samlkit.spmetadata import IdpMetadata, parse_idp_metadata

PREFIX = "urn:lb-idbeheer:attribute:"
LOGOUT_OUTSTANDING = "saml_logout_outstanding"  # session key of our outstanding LogoutRequests
MAX_MESSAGE_BYTES = 256 * 1024
_TEMPLATE = (Path(__file__).parent / "templates" / "signed_in.html").read_text(encoding="utf-8")


def signed_in_user(state: Mapping) -> dict[str, list[str]] | None:
    """The attributes of the person signed in to demo-app in this session, or None."""
    return state.get("user")


def register_sso(app: Flask, *, base_url: str, entity_id: str, keypair: KeyPair,
                 acs_url: str | None = None, slo_url: str | None = None,
                 idp_metadata_url: str | None = None,
                 secret_key: str | None = None, replay: OneTimeStore | None = None,
                 ask_aa: Callable[[str, list[str] | None], str] | None = None,
                 fetch=lambda url: urllib.request.urlopen(url, timeout=10).read()) -> None:
    """Add the sign-in and sign-out routes to demo-app (mounted at BASE/demo-app).

    `secret_key` signs demo-app's own session cookie; give one that all processes share (a
    random one per process works for one process only); likewise `replay` (assertion and
    logout message IDs used once) must be shared by all processes. `ask_aa(rrn, governments)`
    renders what the attribute authority answers now, shown beside the attributes of the sign-in.
    """
    base = base_url.rstrip("/")
    sp = ServiceProvider(entity_id, acs_url or f"{base}/demo-app/acs", keypair,
                         slo_url or f"{base}/demo-app/slo")
    idp_metadata_url = idp_metadata_url or f"{base}/idp/metadata"
    replay = replay or MemoryStore()
    if secret_key or not app.config.get("SECRET_KEY"):
        app.config["SECRET_KEY"] = secret_key or secrets.token_urlsafe(32)
    app.config.update(SESSION_COOKIE_NAME="demo_app_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=base.startswith("https://"))
    bridge: list[IdpMetadata] = []

    def idp() -> IdpMetadata:
        if not bridge:
            bridge.append(parse_idp_metadata(fetch(idp_metadata_url)))
        return bridge[0]

    def now() -> dt.datetime:
        return dt.datetime.now(dt.UTC)

    def page(status: int = 200, **values):
        values = {"user": None, "aa": None, "error": None, "signed_out": False, **values}
        return render_template_string(_TEMPLATE, csrf=session.get("csrf"), **values), status

    @app.get("/login")
    def login():
        sso = idp().single_sign_on_services[BINDING_HTTP_REDIRECT].location
        return redirect(authn_request(sp, sso, SessionRequests(session), now=now()))

    @app.post("/acs")
    def acs():
        try:
            signed_in = accept_response(request.form, sp, idp(), SessionRequests(session), replay,
                                        now=now())
        except SignInDeclined as declined:
            return page(401, error=declined.message or declined.code)
        except SamlSecurityError:
            abort(400)
        user = {name.removeprefix(PREFIX): values for name, values in signed_in.attributes.items()}
        user["nameId"] = [signed_in.name_id]
        session.clear()  # a new sign-in starts a new session
        session["user"] = user
        # What a LogoutRequest for this sign-in must name: the NameID as issued, SessionIndex.
        session["bridge"] = {"name_id": signed_in.subject.to_dict(),
                             "session_index": signed_in.session_index}
        session["csrf"] = secrets.token_urlsafe(24)  # the sign-out form's token
        return redirect(f"{request.script_root}/me", 303)

    @app.get("/me")
    def me():
        user = signed_in_user(session)
        aa = None
        if user and ask_aa and user.get("capacity") == ["employee"]:
            aa = ask_aa(user["rrn"][0], user.get("government"))
        return page(user=user, aa=aa)

    @app.post("/logout")
    def logout():
        """End demo-app's session, then the bridge's (and with it every application it signed
        the person in to). A POST with the session's token: no other site can sign one out."""
        token = request.form.get("csrf", "")
        if not session.get("csrf") or not hmac.compare_digest(token.encode(), session["csrf"].encode()):
            return page(400, error="Dit afmeldformulier is verlopen. Laad de pagina opnieuw.")
        ended = session.get("bridge")
        session.clear()
        if not ended or BINDING_HTTP_REDIRECT not in idp().single_logout_services:
            return page(signed_out=True, partial=True)
        return redirect(request_logout(sp, idp(), NameId.from_dict(ended["name_id"]),
                                       ended.get("session_index"),
                                       SessionRequests(session, key=LOGOUT_OUTSTANDING), now=now()))

    @app.get("/slo")
    def slo():
        """The bridge's single-logout messages, each verified (signature, Issuer, Destination,
        age, used once) before anything changes; anything else is a 400 that changes nothing."""
        try:
            if "SAMLResponse" in request.args:
                message = decode_redirect(request.query_string, "SAMLResponse", MAX_MESSAGE_BYTES)
                answer = accept_logout_response(message, sp, idp(),
                                                SessionRequests(session, key=LOGOUT_OUTSTANDING),
                                                replay, now=now())
                return page(signed_out=True, partial=answer.partial)
            if "SAMLRequest" in request.args:
                message = decode_redirect(request.query_string, "SAMLRequest", MAX_MESSAGE_BYTES)
                asked = accept_logout_request(message, sp, idp(), replay, now=now())
                ours = session.get("bridge")
                if ours and NameId.from_dict(ours["name_id"]) != asked.name_id:
                    # A captured LogoutRequest of someone else opened in this browser.
                    return page(400, error="Dit afmeldbericht is niet voor deze sessie.")
                session.clear()
                return redirect(logout_response_url(sp, idp(), asked, now=now()))
        except SamlSecurityError as refused:
            return page(400, error=f"Dit afmeldbericht kunnen we niet aanvaarden ({refused.reason}).")
        return page(400, error="Dit afmeldbericht kunnen we niet aanvaarden (no_message).")
