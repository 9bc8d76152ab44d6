"""The admin session: who is signed in, for which government, and for how long.

The session holds the signed-in person's RRN and the government they act for (capacity
"employee of G", R13). It ends after the idle timeout or the absolute lifetime (R12); signing
in again then returns to the page the administrator was on.

Signing in itself is SAML towards the bridge (entityID BASE/admin/metadata, application
`idbeheer`, see sso.py): `start_sign_in(return_to)` sends the browser to the bridge and
`complete_sign_in(attributes, return_to)` receives the attributes of the verified assertion.

The government a session acts for is always the one the bridge asserted (R13): switching to
another government asks the bridge for that capacity, which takes a fresh sign-in there; the
admin UI never flips it locally.
"""
from __future__ import annotations

import functools
import time
from collections.abc import Callable, Mapping, Sequence
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from attribute_authority import authz, clock
from attribute_authority.errors import NotAdministratorOf
from samlkit.logout import NameId
from samlkit.samlxml import ATTRIBUTE

from . import session_store, sso

RRN_ATTRIBUTE = ATTRIBUTE + "rrn"
CAPACITY_ATTRIBUTE = ATTRIBUTE + "capacity"
GOVERNMENT_ATTRIBUTE = ATTRIBUTE + "government"
APPLICATION = "idbeheer"
_KEY = "admin"
_BRIDGE = "admin_bridge_session"


def now() -> float:
    """Seconds since the epoch; the session's clock (tests move it)."""
    return time.time()


def safe_return_to(target: str | None) -> str:
    """Only a path inside the admin UI; anything else (another site) becomes the start page."""
    home = url_for("admin.home")
    if not target:
        return home
    parts = urlsplit(target)
    if parts.scheme or parts.netloc or not parts.path.startswith(home):
        return home
    return parts.path + (f"?{parts.query}" if parts.query else "")


def start_sign_in(return_to: str | None, government: str | None = None) -> Response:
    """Begin signing in at the bridge; afterwards the administrator lands on `return_to`.

    `government` asks the bridge for that capacity (a switch: R13 makes it a fresh sign-in)."""
    if not current_app.extensions["admin_ui"].config.sign_in_configured:
        return Response(render_template("admin/sign_in_unavailable.html"), status=503)
    return redirect(sso.sign_in_url(safe_return_to(return_to), government))


def complete_sign_in(attributes: Mapping[str, Sequence[str]], return_to: str | None = None,
                     bridge_session: Mapping | None = None) -> str:
    """Establish the session from the attributes the bridge released; returns where to go.
    `bridge_session` is what signing out at the bridge will need (sso.bridge_session).

    Raises a DomainError when the person is no administrator, helpdesk or central
    administrator in that capacity (nothing is stored then)."""
    rrn = (attributes.get(RRN_ATTRIBUTE) or [""])[0]
    government = (attributes.get(GOVERNMENT_ATTRIBUTE) or [""])[0]
    if (attributes.get(CAPACITY_ATTRIBUTE) or [""])[0] != "employee" or not government:
        raise NotAdministratorOf(government=government or "—")
    _establish(rrn, government, bridge_session)
    return safe_return_to(return_to)


def _establish(rrn: str, government: str, bridge_session: Mapping | None) -> None:
    actor = authz.acting_actor(g.db, rrn, government)
    if not authz.roles_of(g.db, actor, clock.today()).any:
        raise NotAdministratorOf(government=government)
    # A new sign-in starts a new session under a new ID (no fixation of the old one).
    session_store.renew(keep=("admin_language", sso.OUTSTANDING))
    stamp = now()
    session[_KEY] = {"rrn": rrn, "government": government, "since": stamp, "seen": stamp}
    if bridge_session:
        # Kept apart from _KEY: it outlives an idle timeout, so "Afmelden" then still ends
        # the bridge's session.
        session[_BRIDGE] = dict(bridge_session)


def sign_out(*, keep_pending_sign_in: bool = False) -> dict | None:
    """End the admin session: deleted from the store, so a copy of its cookie opens nothing.
    Returns the bridge session it came from (sso.bridge_session), if known.
    `keep_pending_sign_in` keeps this browser's outstanding AuthnRequests: the bridge signs
    the admin UI out in the middle of a capacity switch that answers one."""
    ended = session.get(_BRIDGE)
    keep = ("admin_language", sso.OUTSTANDING) if keep_pending_sign_in else ("admin_language",)
    session_store.renew(keep=keep)
    return ended


def may_end(name_id: NameId) -> bool:
    """Whether the bridge's LogoutRequest for `name_id` may end this browser's admin session:
    the session was signed in with that NameID (as the bridge issued it), or there is no
    session here to end."""
    bridge = session.get(_BRIDGE)
    if bridge and bridge.get("name_id"):
        return NameId.from_dict(bridge["name_id"]) == name_id
    return _KEY not in session


def _expired(state: dict) -> bool:
    config = current_app.extensions["admin_ui"].config
    stamp = now()
    return (stamp - state["seen"] > config.idle_timeout.total_seconds()
            or stamp - state["since"] > config.absolute_lifetime.total_seconds())


def _return_point() -> str:
    """The page to come back to: this one for a GET, the form's page for a POST."""
    if request.method == "GET":
        return request.full_path.rstrip("?")
    referrer = request.referrer or ""
    return referrer[len(request.host_url) - 1:] if referrer.startswith(request.host_url) else ""


def require_sign_in() -> Response | None:
    """None when a valid session is present (and `g.actor`, `g.government` are set);
    otherwise the response that starts signing in."""
    state = session.get(_KEY)
    if not state or _expired(state):
        session.pop(_KEY, None)
        return start_sign_in(_return_point())
    state["seen"] = now()
    session.modified = True
    g.actor = authz.acting_actor(g.db, state["rrn"], state["government"])
    g.government = state["government"]
    g.roles = authz.roles_of(g.db, g.actor, clock.today())
    return None


def login_required(view: Callable) -> Callable:
    @functools.wraps(view)
    def wrapper(*args, **kwargs):
        refused = require_sign_in()
        return refused if refused is not None else view(*args, **kwargs)
    return wrapper
