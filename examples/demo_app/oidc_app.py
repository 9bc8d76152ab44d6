"""demo-app in OpenID Connect mode, mounted at BASE/demo-app-oidc beside the SAML one: the same
application (client_id `demo-app`, its rights), speaking OIDC to the bridge (`oidc_client.py`).

  GET  /                    who is signed in: the ID token's claims, userinfo, and what
                            /oidc/rights answers now (a client_credentials token)
  GET  /login               the authorization request (state, nonce, PKCE S256), optionally
                            ?capacity=citizen|GOVERNMENT
  GET  /callback            the redirect URI: state and iss checked, code exchanged with a
                            private_key_jwt assertion, ID token verified
  POST /logout              "Afmelden": demo-app's session ends, then RP-initiated logout at
                            the bridge (id_token_hint), which signs the person out everywhere
  GET  /signed-out          the post_logout_redirect_uri (state checked)
  POST /backchannel-logout  the bridge's logout_token when the person signs out elsewhere
  GET  /jwks                demo-app's public key (what is registered with `idbeheer app oidc`)

Why the back-channel endpoint needs server-side state: the bridge's POST carries no browser
cookie, so it cannot clear demo-app's session; demo-app remembers the ended session ID (`sid`)
in a shared store and treats a session with that sid as signed out at its next request.
"""
from __future__ import annotations

import hmac
import logging
import re
import secrets
from dataclasses import asdict
from html import escape
from pathlib import Path
from typing import Any

from flask import Flask, Response, jsonify, redirect, render_template_string, request, session

from samlkit.keys import KeyPair
from samlkit.replay import MemoryStore, OneTimeStore

from .oidc_client import AuthorizationRequest, Http, RelyingParty, SignInRefused, public_jwks, urllib_http

log = logging.getLogger(__name__)
CLIENT_ID = "demo-app"
MOUNT = "/demo-app-oidc"
SCOPES = ("openid", "profile", "capacity", "rights")
_CAPACITY = re.compile(r"citizen|[a-z0-9-]{1,40}")
_ENDED_TTL = 12 * 3600  # longer than any bridge session lives

_PAGE = (Path(__file__).parent / "templates" / "oidc.html").read_text(encoding="utf-8")


def create_oidc_app(*, base_url: str, keypair: KeyPair, secret_key: str | None = None,
                    store: OneTimeStore | None = None, http: Http = urllib_http) -> Flask:
    """demo-app's OIDC mode, to be mounted at BASE/demo-app-oidc. `store` remembers the
    sessions the bridge ended over the back channel (share it between processes); `http` makes
    the calls to the bridge."""
    base = base_url.rstrip("/")
    here = base + MOUNT
    rp = RelyingParty(issuer=base + "/oidc", client_id=CLIENT_ID, keypair=keypair,
                      redirect_uri=here + "/callback", scopes=SCOPES, http=http)
    ended: OneTimeStore = store or MemoryStore()
    app = Flask("demo_app_oidc")
    app.config.update(SECRET_KEY=secret_key or secrets.token_urlsafe(32),
                      SESSION_COOKIE_NAME="demo_app_oidc_session", SESSION_COOKIE_HTTPONLY=True,
                      SESSION_COOKIE_SAMESITE="Lax", SESSION_COOKIE_SECURE=base.startswith("https://"),
                      SESSION_COOKIE_PATH=MOUNT)
    app.extensions["demo_app.oidc"] = rp

    def page(status: int = 200, **values: Any) -> tuple[str, int]:
        values = {"user": None, "error": None, "signed_out": False, "userinfo": {}, "rights": "",
                  **values}
        return render_template_string(_PAGE, csrf=session.get("csrf"), **values), status

    def signed_in() -> dict[str, Any] | None:
        user = session.get("user")
        if user and ended.get(f"demo-app-oidc:ended:{user.get('sid')}") is not None:
            session.clear()  # the bridge said over the back channel: this session ended
            return None
        return user

    @app.get("/")
    def home():
        user = signed_in()
        if user is None:
            return page()
        try:
            userinfo = rp.userinfo(session["access_token"])
        except SignInRefused as refused:  # e.g. the access token lapsed (5 minutes)
            userinfo = {"(niet beschikbaar)": refused.reason}
        return page(user=user, userinfo=userinfo, rights=_rights(rp, user))

    @app.get("/login")
    def login():
        extra = {}
        capacity = request.args.get("capacity", "")
        if capacity and _CAPACITY.fullmatch(capacity):
            extra["capacity"] = capacity
        try:
            asked = rp.authorization_request(**extra)
        except SignInRefused as refused:
            return page(502, error=f"De aanmelddienst is niet bereikbaar ({refused.reason}).")
        session["pending"] = asdict(asked)
        return redirect(asked.url)

    @app.get("/callback")
    def callback():
        pending = session.pop("pending", None)
        try:
            done = rp.finish(request.args, AuthorizationRequest(**pending) if pending else None)
        except SignInRefused as refused:
            log.info("demo-app-oidc sign-in refused: %s", refused.reason)
            return page(400, error=f"Deze aanmelding kunnen we niet aanvaarden ({refused.reason}).")
        session.clear()  # a new sign-in starts a new session
        session.update(user=done.claims, id_token=done.id_token, access_token=done.access_token,
                       csrf=secrets.token_urlsafe(24))
        return redirect(f"{request.script_root}/", 303)

    @app.post("/logout")
    def logout():
        token = request.form.get("csrf", "")
        if not session.get("csrf") or not hmac.compare_digest(token.encode(), session["csrf"].encode()):
            return page(400, error="Dit afmeldformulier is verlopen. Laad de pagina opnieuw.")
        id_token = session.get("id_token")
        session.clear()
        if not id_token:
            return page(signed_out=True)
        state = secrets.token_urlsafe(24)
        session["logout_state"] = state
        return redirect(rp.logout_url(id_token, here + "/signed-out", state))

    @app.get("/signed-out")
    def signed_out():
        expected = session.pop("logout_state", None)
        if not expected or not hmac.compare_digest(request.args.get("state", "").encode(), expected.encode()):
            return page(400, error="Dit afmeldantwoord is niet voor deze sessie.")
        return page(signed_out=True)

    @app.post("/backchannel-logout")
    def backchannel_logout():
        try:
            claims = rp.verify_logout_token(request.form.get("logout_token", ""))
        except SignInRefused as refused:
            log.info("demo-app-oidc logout_token refused: %s", refused.reason)
            return jsonify(error="invalid_request"), 400
        if claims.get("sid"):
            ended.put(f"demo-app-oidc:ended:{claims['sid']}", "1", _ENDED_TTL)
        return Response(status=200, headers={"Cache-Control": "no-store"})

    @app.get("/jwks")
    def jwks():
        return jsonify(public_jwks(keypair))

    return app


def _rights(rp: RelyingParty, user: dict[str, Any]) -> str:
    if user.get("capacity") != "employee":
        return "<p>Als burger heeft u geen rechten van besturen.</p>"
    try:
        status, answer = rp.rights(user["sub"], [user["government"]] if user.get("government") else None)
    except SignInRefused as refused:
        return f"<p>Geen token voor /oidc/rights ({escape(refused.reason)}).</p>"
    if status != 200:
        return f"<p>/oidc/rights weigerde: HTTP {status} <code>{escape(str(answer.get('error')))}</code>.</p>"
    if not answer.get("rights"):
        return "<p>Geen rechten.</p>"
    items = "".join(f"<li><code>{escape(str(r))}</code></li>" for r in answer["rights"])
    return f"<ul>{items}</ul>"
