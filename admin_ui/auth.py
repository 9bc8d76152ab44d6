"""The admin session: who is signed in, for which government, and for how long.

The session holds the signed-in person's RRN and the government they act for (capacity
"employee of G", R13; none as citizen). Every signed-in person has one (`require_sign_in`:
their own page, /account/); the admin pages also need a role (`require_administrator`). It
ends after the idle timeout or the absolute lifetime (R12); signing
in again then returns to the page the administrator was on.

Signing in itself is SAML towards the bridge (entityID BASE/admin/metadata, application
`idbeheer`, see sso.py): `start_sign_in(return_to)` sends the browser to the bridge and
`complete_sign_in(attributes, return_to)` receives the attributes of the verified assertion.

The government a session acts for is always the one the bridge asserted (R13): switching to
another government asks the bridge for that capacity, which takes a fresh sign-in there; the
admin UI never flips it locally.
"""
from __future__ import annotations

import time
from collections.abc import Mapping, Sequence
from urllib.parse import urlsplit

from flask import current_app, g, redirect, render_template, request, session, url_for
from werkzeug.wrappers import Response

from attribute_authority import authz, clock, people
from attribute_authority.errors import NotAdministratorOf, NotFound
from samlkit.logout import NameId
from samlkit.samlxml import ATTRIBUTE

from . import i18n, session_store, sso
from .refusal import Refusal, refuse

RRN_ATTRIBUTE = ATTRIBUTE + "rrn"
CAPACITY_ATTRIBUTE = ATTRIBUTE + "capacity"
GOVERNMENT_ATTRIBUTE = ATTRIBUTE + "government"
SURNAME_ATTRIBUTE = ATTRIBUTE + "surname"
GIVEN_NAME_ATTRIBUTE = ATTRIBUTE + "givenName"
NO_ROLES = authz.Roles(local=False, central=False, helpdesk=False)
APPLICATION = "idbeheer"
_KEY = "admin"
_BRIDGE = "admin_bridge_session"


def now() -> float:
    """Seconds since the epoch; the session's clock (tests move it)."""
    return time.time()


def _account_home() -> str | None:
    """Mijn rechten, when the account pages are mounted beside the admin UI."""
    return url_for("account.home") if "account" in current_app.blueprints else None


def safe_return_to(target: str | None) -> str:
    """Only a path inside the admin UI or the account pages; anything else (another site)
    becomes the start page."""
    home = url_for("admin.home")
    if not target:
        return home
    parts = urlsplit(target)
    inside = tuple(p for p in (home, _account_home()) if p)
    if parts.scheme or parts.netloc or not parts.path.startswith(inside):
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

    Anyone the bridge signed in gets a session, as employee of one government or as citizen
    (R13): their own page (/account/) is for every civil servant. The admin pages ask for a
    role on top (require_administrator); someone without one who was on the way to the
    admin start page lands on their own page instead."""
    rrn = (attributes.get(RRN_ATTRIBUTE) or [""])[0]
    if not rrn:
        raise NotAdministratorOf(government="—")
    employee = (attributes.get(CAPACITY_ATTRIBUTE) or [""])[0] == "employee"
    government = (attributes.get(GOVERNMENT_ATTRIBUTE) or [""])[0] if employee else ""
    name = " ".join(v for v in ((attributes.get(GIVEN_NAME_ATTRIBUTE) or [""])[0],
                                (attributes.get(SURNAME_ATTRIBUTE) or [""])[0]) if v)
    # A new sign-in starts a new session under a new ID (no fixation of the old one).
    session_store.renew(keep=("admin_language", sso.OUTSTANDING))
    if "admin_language" not in session:
        # No language chosen in this browser: the person's own (the one notices are written
        # in, from the register or set by an administrator), not always Dutch.
        known = people.find(g.db, rrn)
        if known is not None and known.language in i18n.LANGUAGES:
            session["admin_language"] = known.language
    stamp = now()
    session[_KEY] = {"rrn": rrn, "government": government or None, "name": name,
                     "since": stamp, "seen": stamp}
    if bridge_session:
        # Kept apart from _KEY: it outlives an idle timeout, so "Afmelden" then still ends
        # the bridge's session.
        session[_BRIDGE] = dict(bridge_session)
    target = safe_return_to(return_to)
    account = _account_home()
    if account and target == url_for("admin.home") and not _roles(_actor(rrn, government)).any:
        return account
    return target


def _actor(rrn: str, government: str | None) -> authz.Actor | None:
    """The actor of an employee session; None as citizen, or for a person or government the
    service does not know (such a session has its own page, and no powers)."""
    if not government:
        return None
    try:
        return authz.acting_actor(g.db, rrn, government)
    except NotFound:
        return None


def _roles(actor: authz.Actor | None) -> authz.Roles:
    return authz.roles_of(g.db, actor, clock.today()) if actor else NO_ROLES


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
    """None when a valid session is present; otherwise the response that starts signing in.
    Sets `g.rrn` and `g.government` (None as citizen) for every signed-in person, `g.actor`
    (None without an employee capacity the service knows) and `g.roles`."""
    if not recognise():
        session.pop(_KEY, None)
        return start_sign_in(_return_point())
    session[_KEY]["seen"] = now()
    session.modified = True
    return None


def recognise() -> bool:
    """Whether a valid session is present, and if so its person in `g` as require_sign_in
    sets it; asks nobody to sign in (a public page that still names who is signed in)."""
    state = session.get(_KEY)
    if not state or _expired(state):
        return False
    g.rrn, g.government, g.signed_in_name = state["rrn"], state.get("government"), state.get("name")
    g.actor = _actor(g.rrn, g.government)
    g.roles = _roles(g.actor)
    return True


def require_administrator() -> Response | tuple[str, int] | None:
    """require_sign_in, and a role in this capacity (local or central administrator,
    helpdesk): a civil servant without one gets a 403 page that leads to their own page."""
    refused = require_sign_in()
    if refused is not None:
        return refused
    if g.roles.any:
        return None
    refuse(Refusal(403, "no_role"))
    # Someone who administers a government in another capacity may switch to it (R13).
    person = people.find(g.db, g.rrn)
    administers = authz.capacities(g.db, person.id, clock.today()) if person else []
    return render_template("admin/refused.html", status=403, no_role=True,
                           administers=administers), 403
