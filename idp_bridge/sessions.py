"""The browser session of the bridge (R12), kept server-side by flask-session.

Where sessions live:
- production: Redis (`IDBEHEER_REDIS_URL`), shared by all gunicorn workers;
- embedded default: flask-session's CacheLib backend over a `cachelib.FileSystemCache` in
  the data folder. One process needs nothing more; files also survive a restart and work if
  someone starts two processes on one machine. (The SQLAlchemy backend would need
  Flask-SQLAlchemy and a table outside our migrations; a memory cache would lose every
  session on restart.)

The session expires after `idle_timeout` without a bridge request and `lifetime` after the
upstream sign-in, whichever comes first, judged by the injected clock (the store's own TTL is
only a backstop for clean-up). An expired session is emptied, so the next request simply
signs in again in the same browser. The session ID is replaced at every sign-in.

A request that changes nothing but the time of last activity writes the session back only
when that time is `touch_interval(idle_timeout)` old or more (at most a minute): the idle
timeout is kept to within that interval, and a burst of requests costs one store write
instead of one each.

The core session ID (`BrowserSession.core_id`) names one sign-in session from the upstream
sign-in to its end, whatever the cookie's session ID (replaced at every sign-in) or the browser
does meanwhile. It is never sent anywhere: front ends derive their own per-application
identifiers from it (OIDC `sid`). Beside the session, the shared store keeps a small *liveness
record* under that ID (signed-in and last-seen times, kept up to date with the session's own),
so that what is bound to the session but arrives without its cookie (an OIDC refresh, from
the application's back end) can tell whether the session still lives (`session_alive`): a
logout, the idle timeout or the lifetime (R12) end it.

Cookies: HttpOnly; over https `Secure; SameSite=None`, because the upstream IdP answers with
a cross-site POST; over plain http (demo) `SameSite=Lax`, which such a POST does not carry.
The ACS therefore never needs the session cookie: the outstanding request and the state to
continue with sit in the shared store, keyed by the request ID that comes back as
InResponseTo, and the ACS *creates* the session (a Set-Cookie on a cross-site response is
accepted under Lax) before redirecting to our own pages.
"""
from __future__ import annotations

import datetime as dt
import json
import secrets
from typing import Any

from flask import Flask, request
from flask.sessions import SessionInterface, SessionMixin
from flask_session import Session as FlaskSession

from samlkit.replay import OneTimeStore

from . import i18n
from .errors import OUTAGES
from .logout import AppEntry
from .person import Capacity, SignedInPerson

KEY_PREFIX = "bridge:session:"
_LIVE = "bridge:core:"
_OUTAGE = "idp_bridge.session_outage"


def configure(app: Flask, backend: tuple[str, Any], *, cookie_name: str, secure: bool,
              idle_timeout: dt.timedelta) -> _OutageAware:
    """Install the server-side session on `app`; returns its interface (for `regenerate`)."""
    kind, client = backend
    app.config.update(
        SESSION_TYPE=kind,
        SESSION_REDIS=client if kind == "redis" else None,
        SESSION_CACHELIB=client if kind == "cachelib" else None,
        SESSION_KEY_PREFIX=KEY_PREFIX,
        SESSION_PERMANENT=False,  # a browser-session cookie; expiry is ours (see above)
        SESSION_REFRESH_EACH_REQUEST=False,  # written when modified (see BrowserSession)
        SESSION_SERIALIZATION_FORMAT="json",
        PERMANENT_SESSION_LIFETIME=idle_timeout + touch_interval(idle_timeout),  # store TTL
        SESSION_COOKIE_NAME=cookie_name,
        SESSION_COOKIE_HTTPONLY=True,
        SESSION_COOKIE_SECURE=secure,
        SESSION_COOKIE_SAMESITE="None" if secure else "Lax",
    )
    FlaskSession(app)
    interface = _OutageAware(app.session_interface)
    app.session_interface = interface

    @app.before_request
    def _session_store_down() -> None:
        outage = request.environ.get(_OUTAGE)
        if outage is not None:
            raise outage  # to the bridge's 503 page

    return interface


def touch_interval(idle_timeout: dt.timedelta) -> dt.timedelta:
    """How stale the recorded last activity may get before a request writes it again."""
    return min(dt.timedelta(minutes=1), idle_timeout / 30)


class _OutageAware(SessionInterface):
    """flask-session, except that an unreachable store while *opening* the session becomes
    a null session plus a flag, raised again from `before_request` so that the bridge's error
    handler answers (raised inside Flask's request set-up it would only be a bare 500)."""

    def __init__(self, inner: Any) -> None:
        self.inner = inner  # flask-session's ServerSideSessionInterface (it ships no types)
        # Paths (prefixes) that never use the browser session: an application's back end
        # calls them (the OIDC token endpoint, ...). Nothing is read from the store for
        # them, nor written, whatever cookie comes along.
        self.sessionless: tuple[str, ...] = ()

    def open_session(self, app, request):
        if self.sessionless and request.path.startswith(self.sessionless):
            return self.make_null_session(app)
        try:
            return self.inner.open_session(app, request)
        except OUTAGES as exc:
            request.environ[_OUTAGE] = exc
            return self.make_null_session(app)

    def save_session(self, app, session, response) -> None:
        self.inner.save_session(app, session, response)

    def regenerate(self, session: SessionMixin) -> None:
        """A new session ID for the same data, the old one deleted from the store."""
        self.inner.regenerate(session)

    def __getattr__(self, name: str):  # the rest of flask-session's API
        return getattr(self.inner, name)


class BrowserSession:
    """The bridge's view of one flask-session: who is signed in, how long still, where.
    `store`: the shared store of the liveness record (None: no record is kept)."""

    def __init__(self, data: Any, *, now: dt.datetime, idle_timeout: dt.timedelta,
                 lifetime: dt.timedelta, store: OneTimeStore | None = None) -> None:
        self.data = data
        self.now = now
        self.expired = False
        self._store = store
        self._ttl = int((idle_timeout + touch_interval(idle_timeout)).total_seconds()) + 1
        person = data.get("person")
        if person is not None:
            signed_in_at = dt.datetime.fromisoformat(data["signed_in_at"])
            last_seen = dt.datetime.fromisoformat(data["last_seen"])
            if now - last_seen >= idle_timeout or now - signed_in_at >= lifetime:
                self.expired = True
                self._forget()
                data.clear()
            elif now - last_seen >= touch_interval(idle_timeout):
                data["last_seen"] = now.isoformat()
                self._record()

    @property
    def person(self) -> SignedInPerson | None:
        raw = self.data.get("person")
        return SignedInPerson.from_dict(raw) if raw else None

    @property
    def core_id(self) -> str | None:
        """The ID of this sign-in session (see the module's docstring); None when nobody is
        signed in. A session stored before it had one gets one now."""
        if self.data.get("person") is None:
            return None
        if "core" not in self.data:
            self.data["core"] = secrets.token_urlsafe(32)
            self._record()
        return self.data["core"]

    def begin(self, person: SignedInPerson, upstream: dict[str, Any], rotate,
              core_id: str | None = None) -> None:
        """A fresh sign-in: new session ID, nothing kept from before but what is passed in
        and the languages of the bridge's pages (the person's choice, the application's ask).
        `core_id`: the same sign-in session goes on (a forced re-authentication of the same person);
        otherwise the session before this one, if any, has ended."""
        if self.data.get("core") != core_id:
            self._forget()
        rotate()
        # the person's own choice, and the language the waiting application asked (i18n.py)
        kept = {key: self.data[key] for key in (i18n.SESSION_KEY, i18n.FLOW_KEY) if self.data.get(key)}
        self.data.clear()
        self.data.update(kept)
        self.data.update(person=person.to_dict(), signed_in_at=self.now.isoformat(),
                         last_seen=self.now.isoformat(), upstream=upstream, apps=[],
                         csrf=secrets.token_urlsafe(24), core=core_id or secrets.token_urlsafe(32))
        self._record()

    def set_capacity(self, capacity: Capacity) -> None:
        person = self.person
        assert person is not None
        self.data["person"] = person.with_capacity(capacity).to_dict()

    @property
    def pending(self) -> str | None:
        return self.data.get("pending")

    @pending.setter
    def pending(self, value: str | None) -> None:
        if value is None:
            self.data.pop("pending", None)
        else:
            self.data["pending"] = value

    @property
    def csrf(self) -> str:
        if "csrf" not in self.data:
            self.data["csrf"] = secrets.token_urlsafe(24)
        return self.data["csrf"]

    @property
    def upstream(self) -> dict[str, Any] | None:
        """The back end's record of the upstream sign-in (NameID, SessionIndex)."""
        return self.data.get("upstream")

    @property
    def entries(self) -> list[AppEntry]:
        """The applications this session answered (the index single logout fans out to)."""
        return [AppEntry.from_dict(e) for e in self.data.get("apps", [])]

    def add_entry(self, entry: AppEntry) -> None:
        kept = [e.to_dict() for e in self.entries if (e.protocol, e.peer) != (entry.protocol, entry.peer)]
        self.data["apps"] = kept + [entry.to_dict()]

    def end(self) -> None:
        """The session ends. The pages after it (the signed-out page, reached after the
        logout hops) keep its language: the person's own choice on the bridge's pages, and
        the upstream PrefLanguage as `ended_language` until the next sign-in (i18n.py)."""
        self._forget()
        person = self.data.get("person") or {}
        kept = {i18n.SESSION_KEY: self.data.get(i18n.SESSION_KEY), i18n.ENDED_KEY: person.get("language")}
        self.data.clear()
        self.data.update({k: v for k, v in kept.items() if v})

    def _record(self) -> None:
        core = self.data.get("core")
        if self._store is not None and core:
            self._store.put(_LIVE + core, json.dumps({"signed_in_at": self.data["signed_in_at"],
                                                      "last_seen": self.data["last_seen"]}), self._ttl)

    def _forget(self) -> None:
        core = self.data.get("core")
        if self._store is not None and core:
            self._store.take(_LIVE + core)


def session_alive(store: OneTimeStore, core_id: str | None, *, now: dt.datetime,
                  idle_timeout: dt.timedelta, lifetime: dt.timedelta) -> bool:
    """Whether the sign-in session `core_id` still lives (not logged out, not idle for
    `idle_timeout`, not older than `lifetime`: R12), judged without its cookie, by the same times the
    session itself is judged by."""
    raw = store.get(_LIVE + core_id) if core_id else None
    if raw is None:
        return False
    record = json.loads(raw)
    return (now - dt.datetime.fromisoformat(record["last_seen"]) < idle_timeout
            and now - dt.datetime.fromisoformat(record["signed_in_at"]) < lifetime)
