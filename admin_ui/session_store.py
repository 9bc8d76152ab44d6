"""Where the admin session lives: server-side, so that signing out really ends it.

Flask's own session is a signed cookie: whoever copied it kept an administrator's session after
"Afmelden" and after single logout, since there was nothing on the server to end. Here the
cookie holds only a random session ID and the data sits in a store (flask-session):

- production: Redis (`IDBEHEER_REDIS_URL`), shared by every worker;
- embedded default: a cachelib file store in the data folder, as the bridge's sessions;
- a bare blueprint (tests): cachelib's memory store of this process.

`end()` deletes the stored session and moves what is kept (the language, a pending sign-in)
to a new ID; signing in does the same, so an ID known before sign-in is worthless after it.
Idle timeout and absolute lifetime are judged by auth.py's clock; the store's TTL (the
absolute lifetime) only cleans up.

Cookie: HttpOnly, SameSite=Lax (the bridge POSTs the sign-in answer to /admin/acs from a page
of the same site), Secure whenever BASE is https (always in production).
"""
from __future__ import annotations

from typing import Any

import redis
from flask import Flask, current_app, render_template, request, session
from flask.sessions import SessionInterface
from flask_session import Session as FlaskSession

from .config import AdminConfig

KEY_PREFIX = "admin:session:"
COOKIE_NAME = "idbeheer_admin"
_DOWN = "admin_ui.session_store_down"


def install(app: Flask, config: AdminConfig) -> None:
    kind, client = config.session_backend or _memory()
    app.config.update(
        SESSION_TYPE=kind,
        SESSION_REDIS=client if kind == "redis" else None,
        SESSION_CACHELIB=client if kind == "cachelib" else None,
        SESSION_KEY_PREFIX=KEY_PREFIX,
        SESSION_PERMANENT=False,  # a browser-session cookie; expiry is auth.py's
        SESSION_SERIALIZATION_FORMAT="json",
        PERMANENT_SESSION_LIFETIME=config.absolute_lifetime,  # the store's TTL
        SESSION_COOKIE_NAME=COOKIE_NAME,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=config.base_url.startswith("https://"),
        SESSION_COOKIE_SAMESITE="Lax",
    )
    FlaskSession(app)
    app.session_interface = _OutageAware(app.session_interface)


def refuse_while_down():
    """A before_request of the admin blueprint: while the store is unreachable, a clear 503
    page (as the bridge shows) rather than a 500 from inside Flask's request set-up."""
    if request.environ.get(_DOWN):
        # No form token: it would live in the session that cannot be stored.
        return render_template("admin/sign_in_unavailable.html", csrf_token=lambda: ""), 503
    return None


class _OutageAware(SessionInterface):
    """flask-session, except that a store that cannot be reached while opening the session
    gives a null session and a flag for `refuse_while_down`."""

    def __init__(self, inner: SessionInterface) -> None:
        self.inner = inner

    def open_session(self, app, request):
        try:
            return self.inner.open_session(app, request)
        except redis.RedisError:
            request.environ[_DOWN] = True
            return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        self.inner.save_session(app, session, response)

    def __getattr__(self, name: str):  # regenerate() and the rest of flask-session's API
        return getattr(self.inner, name)


def renew(keep: tuple[str, ...]) -> None:
    """Delete the stored session and carry only the `keep` keys over to a fresh session ID."""
    kept = {k: session[k] for k in keep if k in session}
    current_app.session_interface.regenerate(session)  # type: ignore[attr-defined]
    session.clear()
    session.update(kept)
    session.modified = True


def _memory() -> tuple[str, Any]:
    from cachelib import SimpleCache

    return "cachelib", SimpleCache(threshold=10_000)
