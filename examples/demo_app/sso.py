"""demo-app's sign-in through the bridge (SAML Web SSO), as a target application writes it.

`register_sso(app, ...)` adds to demo-app's Flask app:
  GET  /login   a signed HTTP-Redirect AuthnRequest to the bridge (RSA-SHA256)
  POST /acs     the assertion consumer: the Assertion's signature with the bridge's key, then
                Destination, Recipient, Audience, InResponseTo and validity; only then read
  GET  /me      who is signed in, in which capacity, with which rights
  GET  /logout  forget the local session
The SAML work is the project's SP client (`samlkit.sp_client`); nothing of the
bridge is imported: an application only knows the bridge's metadata URL. The outstanding
request IDs are kept in demo-app's own session cookie: the bridge's page that POSTs the answer
is on the same site (BASE), so the cookie comes along with SameSite=Lax.
"""
from __future__ import annotations

import datetime as dt
import secrets
import urllib.request
from collections.abc import Callable
from pathlib import Path

from flask import Flask, abort, redirect, render_template_string, request, session

from samlkit.bindings import BINDING_HTTP_REDIRECT
from samlkit.errors import SamlSecurityError
from samlkit.keys import KeyPair
from samlkit.replay import MemoryStore, OneTimeStore
from samlkit.sp_client import (
    ServiceProvider,
    SessionRequests,
    SignInDeclined,
    accept_response,
    authn_request,
)
from samlkit.spmetadata import IdpMetadata, parse_idp_metadata

PREFIX = "urn:lb-idbeheer:attribute:"
_TEMPLATE = (Path(__file__).parent / "templates" / "signed_in.html").read_text(encoding="utf-8")


def register_sso(app: Flask, *, base_url: str, entity_id: str, keypair: KeyPair,
                 acs_url: str | None = None, idp_metadata_url: str | None = None,
                 secret_key: str | None = None, replay: OneTimeStore | None = None,
                 ask_aa: Callable[[str, list[str] | None], str] | None = None,
                 fetch=lambda url: urllib.request.urlopen(url, timeout=10).read()) -> None:
    """Add the sign-in routes to demo-app (mounted at BASE/demo-app).

    `secret_key` signs demo-app's own session cookie; give one that all processes share (a
    random one per process works for one process only); likewise `replay` (assertion IDs used
    once) must be shared by all processes. `ask_aa(rrn, governments)` renders what the
    attribute authority answers now, shown beside the attributes of the sign-in.
    """
    base = base_url.rstrip("/")
    sp = ServiceProvider(entity_id, acs_url or f"{base}/demo-app/acs", keypair)
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

    @app.get("/login")
    def login():
        sso = idp().single_sign_on_services[BINDING_HTTP_REDIRECT].location
        return redirect(authn_request(sp, sso, SessionRequests(session), now=dt.datetime.now(dt.UTC)))

    @app.post("/acs")
    def acs():
        try:
            signed_in = accept_response(request.form, sp, idp(), SessionRequests(session), replay,
                                        now=dt.datetime.now(dt.UTC))
        except SignInDeclined as declined:
            return render_template_string(_TEMPLATE, user=None, aa=None,
                                          error=declined.message or declined.code), 401
        except SamlSecurityError:
            abort(400)
        user = {name.removeprefix(PREFIX): values for name, values in signed_in.attributes.items()}
        user["nameId"] = [signed_in.name_id]
        session.clear()  # a new sign-in starts a new session
        session["user"] = user
        return redirect(f"{request.script_root}/me", 303)

    @app.get("/me")
    def me():
        user = session.get("user")
        aa = None
        if user and ask_aa and user.get("capacity") == ["employee"]:
            aa = ask_aa(user["rrn"][0], user.get("government"))
        return render_template_string(_TEMPLATE, user=user, aa=aa, error=None)

    @app.get("/logout")
    def logout():
        session.clear()
        return redirect(f"{request.script_root}/me")
